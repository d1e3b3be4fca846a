package io.veto.generator;

/** The Luhn (mod 10) check used by card numbers: making synthetic PANs valid and checking them. */
public final class Luhn {
    private Luhn() {}

    /** The check digit (0-9) that makes {@code payload + digit} Luhn-valid. */
    public static int checkDigit(CharSequence payload) {
        int sum = 0;
        boolean doubleIt = true; // the rightmost payload digit is doubled once the check digit is appended
        for (int i = payload.length() - 1; i >= 0; i--) {
            int d = digit(payload.charAt(i));
            if (doubleIt) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            doubleIt = !doubleIt;
        }
        return (10 - sum % 10) % 10;
    }

    /** Whether a string of digits (at least two) passes the Luhn check. */
    public static boolean isValid(CharSequence number) {
        if (number == null || number.length() < 2) {
            return false;
        }
        for (int i = 0; i < number.length(); i++) {
            char c = number.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return checkDigit(number.subSequence(0, number.length() - 1)) == digit(number.charAt(number.length() - 1));
    }

    private static int digit(char c) {
        if (c < '0' || c > '9') {
            throw new IllegalArgumentException("not a digit");
        }
        return c - '0';
    }
}
