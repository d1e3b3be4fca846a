package io.veto.event;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks anything in free text that could be a card number before the text leaves Veto (DLQ
 * payloads, error messages). It works on text, not JSON, because the text it protects is often not
 * valid JSON. A run of 12 to 19 digits (spaces or dashes allowed) that passes the Luhn check, or
 * any digits that stand as the value of a {@code pan} field, keep only the first six and last four
 * digits.
 */
public final class PanMasker {
    private static final Pattern DIGIT_RUN = Pattern.compile("\\d(?:[ -]?\\d){11,18}");
    private static final Pattern PAN_FIELD =
            Pattern.compile("(\"pan\"\\s*:\\s*\"?)([0-9 -]{4,40})", Pattern.CASE_INSENSITIVE);

    private PanMasker() {}

    public static String mask(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String fieldMasked = replace(PAN_FIELD.matcher(text), m -> m.group(1) + maskDigits(m.group(2), true));
        return replace(DIGIT_RUN.matcher(fieldMasked), m -> maskDigits(m.group(), false));
    }

    private interface Replacer {
        String apply(Matcher m);
    }

    private static String replace(Matcher m, Replacer r) {
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(r.apply(m)));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String maskDigits(String run, boolean always) {
        StringBuilder digits = new StringBuilder();
        for (int i = 0; i < run.length(); i++) {
            if (Character.isDigit(run.charAt(i))) {
                digits.append(run.charAt(i));
            }
        }
        if (!always && !CardTokenizer.luhn(digits)) {
            return run;
        }
        int n = digits.length();
        if (n <= 10) {
            return "*".repeat(n);
        }
        return digits.substring(0, 6) + "*".repeat(n - 10) + digits.substring(n - 4);
    }
}
