package io.veto.event;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Replaces a raw card number (PAN) with a keyed HMAC-SHA256 token, so the same card always maps to
 * the same token under one key but the PAN cannot be recovered from it. Only the BIN (first six
 * digits, which identify the issuer and are not secret) and the last four survive.
 *
 * <p>Not thread-safe (it holds one {@link Mac}): one instance per operator subtask.
 */
public final class CardTokenizer {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private final Mac mac;

    public CardTokenizer(byte[] key) {
        if (key == null || key.length < 16) {
            throw new IllegalArgumentException("the PAN tokenization key must be at least 16 bytes");
        }
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Token for a PAN of digits only (already validated by {@link #normalize}). */
    public String token(String digits) {
        byte[] h = mac.doFinal(digits.getBytes(StandardCharsets.US_ASCII));
        byte[] head = new byte[16];
        System.arraycopy(h, 0, head, 0, head.length);
        return "tok_" + B64.encodeToString(head);
    }

    /**
     * The PAN as digits only, or null when it is not a plausible card number (12 to 19 digits,
     * spaces or dashes allowed between them, Luhn check passes).
     */
    public static String normalize(String pan) {
        if (pan == null) {
            return null;
        }
        StringBuilder digits = new StringBuilder(19);
        for (int i = 0; i < pan.length(); i++) {
            char c = pan.charAt(i);
            if (c >= '0' && c <= '9') {
                digits.append(c);
            } else if (c != ' ' && c != '-') {
                return null;
            }
        }
        if (digits.length() < 12 || digits.length() > 19 || !luhn(digits)) {
            return null;
        }
        return digits.toString();
    }

    public static boolean luhn(CharSequence digits) {
        int sum = 0;
        boolean dbl = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
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
