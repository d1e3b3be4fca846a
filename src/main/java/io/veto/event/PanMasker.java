package io.veto.event;

import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds and masks card numbers (PANs) in text before it leaves Veto (DLQ payloads, error messages,
 * logs), and tells the parser when a field holds one. It works on text, not JSON, because the text
 * it protects is often not valid JSON.
 *
 * <p>A digit run is digits separated by at most {@value #MAX_GAP} separators (space, dash, dot,
 * slash, no-break or ideographic space, full-width dash). A digit is any Unicode decimal digit
 * (full-width {@code ４} too) or its JSON escape ({@code \u0034}, {@code \uFF14}), and so is a
 * separator's escape. A run of 12 to 19 digits that passes the Luhn check keeps only its first six
 * and last four digits; a run of more than 19 digits, which may hide a card number anywhere inside,
 * is masked whole; so are the digits that stand as the value of a {@code pan} field, Luhn or not.
 */
public final class PanMasker {
    static final int MIN_DIGITS = 12;
    static final int MAX_DIGITS = 19;
    /** Separators allowed between two digits of one run: "4111  1111", "4111 - 1111". */
    static final int MAX_GAP = 3;

    private static final Pattern PAN_FIELD =
            Pattern.compile("(\"pan\"\\s*:\\s*\"?)([0-9 -]{4,40})", Pattern.CASE_INSENSITIVE);

    private PanMasker() {}

    public static String mask(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        Matcher m = PAN_FIELD.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + maskAll(m.group(2))));
        }
        m.appendTail(out);
        String fieldMasked = out.toString();
        return maskRuns(fieldMasked);
    }

    /**
     * A copy of {@code t} for a log: the same class name, stack trace and causes, every message
     * masked. Log this instead of an exception whose message may quote a record.
     */
    public static Throwable masked(Throwable t) {
        return masked(t, 0);
    }

    private static Throwable masked(Throwable t, int depth) {
        Throwable cause =
                t.getCause() == null || t.getCause() == t || depth >= 8 ? null : masked(t.getCause(), depth + 1);
        String message =
                t.getMessage() == null ? t.getClass().getName() : t.getClass().getName() + ": " + mask(t.getMessage());
        RuntimeException copy = new RuntimeException(message, cause) {
            @Override
            public synchronized Throwable fillInStackTrace() {
                return this;
            }

            @Override
            public String toString() {
                return getMessage();
            }
        };
        copy.setStackTrace(t.getStackTrace());
        return copy;
    }

    /**
     * Whether a field value holds what looks like a card number: a Luhn-valid run of 13 to 19
     * digits, a value that is nothing but a Luhn-valid 12-digit number (no separators: dotted, that
     * is an IPv4 address), or a longer run with a
     * Luhn-valid 13-to-19-digit stretch inside. Short hex ids ({@code dev-1234567890ab}) and UUIDs
     * are not taken for one, though either may by chance hold 12 decimal digits.
     */
    public static boolean containsPan(String value) {
        int n = value.length();
        if (n < MIN_DIGITS || isUuid(value)) {
            return false;
        }
        int[] digits = new int[n];
        int i = 0;
        while (i < n) {
            int d = digitAt(value, i);
            if (d < 0) {
                i++;
                continue;
            }
            int start = i;
            int count = 0;
            int end = i;
            boolean separated = false;
            while (true) {
                digits[count++] = d & 0xF;
                end = i + (d >>> 4);
                int j = nextDigitOfRun(value, end);
                if (j < 0) {
                    break;
                }
                separated |= j > end;
                i = j;
                d = digitAt(value, j);
            }
            boolean whole = start == 0 && end == n;
            if (count >= 13 && count <= MAX_DIGITS && luhn(digits, 0, count)) {
                return true;
            }
            // Twelve digits in groups are an IPv4 address far more often than a card number.
            if (count == MIN_DIGITS && whole && !separated && luhn(digits, 0, count)) {
                return true;
            }
            if (count > MAX_DIGITS && hasLuhnWindow(digits, count)) {
                return true;
            }
            i = end;
        }
        return false;
    }

    /**
     * Where a run of digits goes on after a digit that ends at {@code from}: the index of its next
     * digit, past at most {@link #MAX_GAP} separators ({@code 4111 1111}, {@code 4111-1111}), or -1
     * when the run ends there. {@link #containsPan} and {@link #maskRuns} read runs alike.
     */
    private static int nextDigitOfRun(String text, int from) {
        int n = text.length();
        int j = from;
        for (int gap = 0; j < n && gap <= MAX_GAP; gap++) {
            if (digitAt(text, j) >= 0) {
                return j;
            }
            int s = separatorAt(text, j);
            if (s == 0) {
                return -1;
            }
            j += s;
        }
        return -1;
    }

    private static boolean hasLuhnWindow(int[] digits, int count) {
        for (int len = 13; len <= MAX_DIGITS; len++) {
            for (int from = 0; from + len <= count; from++) {
                if (luhn(digits, from, len)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String maskRuns(String text) {
        int n = text.length();
        StringBuilder out = null;
        int copied = 0;
        int[] starts = new int[32];
        int[] ends = new int[32];
        int[] values = new int[32];
        int i = 0;
        while (i < n) {
            int d = digitAt(text, i);
            if (d < 0) {
                i++;
                continue;
            }
            int count = 0;
            while (true) {
                if (count == starts.length) {
                    starts = Arrays.copyOf(starts, count * 2);
                    ends = Arrays.copyOf(ends, count * 2);
                    values = Arrays.copyOf(values, count * 2);
                }
                starts[count] = i;
                ends[count] = i + (d >>> 4);
                values[count] = d & 0xF;
                count++;
                int j = nextDigitOfRun(text, ends[count - 1]);
                if (j < 0) {
                    break;
                }
                i = j;
                d = digitAt(text, j);
            }
            int keepHead;
            int keepTail;
            if (count > MAX_DIGITS) {
                keepHead = 0;
                keepTail = 0;
            } else if (count >= MIN_DIGITS && luhn(values, 0, count)) {
                keepHead = 6;
                keepTail = 4;
            } else {
                i = ends[count - 1];
                continue;
            }
            if (out == null) {
                out = new StringBuilder(n);
            }
            for (int k = 0; k < count; k++) {
                if (k >= keepHead && k < count - keepTail) {
                    out.append(text, copied, starts[k]).append('*');
                    copied = ends[k];
                }
            }
            i = ends[count - 1];
        }
        if (out == null) {
            return text;
        }
        return out.append(text, copied, n).toString();
    }

    /**
     * The decimal digit at {@code i} and the number of chars it takes, packed as
     * {@code length << 4 | digit}; -1 when there is none.
     */
    private static int digitAt(String s, int i) {
        char c = s.charAt(i);
        if (c >= '0' && c <= '9') {
            return 1 << 4 | (c - '0');
        }
        if (c == '\\') {
            int e = escapeAt(s, i);
            if (e >= 0 && Character.isDigit(e)) {
                return 6 << 4 | Character.digit(e, 10);
            }
            return -1;
        }
        if (c > 0x7f && Character.isDigit(c)) {
            return 1 << 4 | Character.digit(c, 10);
        }
        return -1;
    }

    /** The number of chars of the separator at {@code i}, or 0. */
    private static int separatorAt(String s, int i) {
        char c = s.charAt(i);
        if (isSeparator(c)) {
            return 1;
        }
        if (c == '\\') {
            int e = escapeAt(s, i);
            return e >= 0 && isSeparator((char) e) ? 6 : 0;
        }
        return 0;
    }

    private static boolean isSeparator(char c) {
        return c == ' ' || c == '-' || c == '.' || c == '/' || c == '\u00a0' || c == '\u3000' || c == '\uff0d';
    }

    /** The char a JSON escape {@code \}{@code uXXXX} at {@code i} stands for, or -1. */
    private static int escapeAt(String s, int i) {
        if (i + 6 > s.length() || (s.charAt(i + 1) != 'u' && s.charAt(i + 1) != 'U')) {
            return -1;
        }
        int v = 0;
        for (int k = i + 2; k < i + 6; k++) {
            int h = Character.digit(s.charAt(k), 16);
            if (h < 0) {
                return -1;
            }
            v = v << 4 | h;
        }
        return v;
    }

    private static boolean isUuid(String s) {
        if (s.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : Character.digit(c, 16) < 0 || c > 'f') {
                return false;
            }
        }
        return true;
    }

    /** A {@code pan} field's value: digits only, the first six and last four kept when over ten. */
    private static String maskAll(String run) {
        StringBuilder digits = new StringBuilder(run.length());
        for (int i = 0; i < run.length(); i++) {
            if (Character.isDigit(run.charAt(i))) {
                digits.append(run.charAt(i));
            }
        }
        int n = digits.length();
        if (n <= 10) {
            return "*".repeat(n);
        }
        return digits.substring(0, 6) + "*".repeat(n - 10) + digits.substring(n - 4);
    }

    private static boolean luhn(int[] digits, int from, int len) {
        int sum = 0;
        boolean dbl = false;
        for (int i = from + len - 1; i >= from; i--) {
            int d = digits[i];
            if (dbl) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            dbl = !dbl;
        }
        return sum % 10 == 0;
    }
}
