package io.veto.rule;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * Signatures of published rule sets: Ed25519 (the JDK's own), over a canonical form of the set's
 * name and files. Ed25519 rather than an HMAC because the job then holds only the public key: a
 * TaskManager, its environment or a heap dump that leaks gives an attacker nothing to sign with;
 * only whoever publishes holds the private key.
 *
 * <p>Keys are given like the PAN key, never as job options (the web UI shows those): the job's
 * public key in {@value #ENV_PUBLIC_KEY} (the key itself) or {@value #ENV_PUBLIC_KEY_FILE} (a file
 * holding it), the publisher's private key in {@value #ENV_SIGNING_KEY} or
 * {@value #ENV_SIGNING_KEY_FILE}. Either form is PEM ({@code openssl genpkey -algorithm ed25519},
 * {@code openssl pkey -pubout}) or the same DER in plain base64; {@code rules keygen} writes a pair.
 */
public final class RuleSigning {
    public static final String ENV_PUBLIC_KEY = "VETO_RULES_PUBLIC_KEY";
    public static final String ENV_PUBLIC_KEY_FILE = "VETO_RULES_PUBLIC_KEY_FILE";
    public static final String ENV_SIGNING_KEY = "VETO_RULES_SIGNING_KEY";
    public static final String ENV_SIGNING_KEY_FILE = "VETO_RULES_SIGNING_KEY_FILE";
    public static final String ALGORITHM = "Ed25519";
    /** Starts the signed bytes, so a signature made for anything else never verifies a rule set. */
    private static final String DOMAIN = "veto-rule-set-v1";

    private RuleSigning() {}

    /**
     * The bytes a signature covers: the name and every file's path and text, in path order, each
     * preceded by its length, so no two different sets share a form (no separator can be forged).
     */
    static byte[] canonical(RuleSet rs) {
        var out = new ByteArrayOutputStream();
        put(out, DOMAIN);
        put(out, rs.name());
        for (Map.Entry<String, String> f : rs.files().entrySet()) {
            put(out, f.getKey());
            put(out, f.getValue());
        }
        return out.toByteArray();
    }

    private static void put(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b.length >>> 24);
        out.write(b.length >>> 16);
        out.write(b.length >>> 8);
        out.write(b.length);
        out.writeBytes(b);
    }

    /** The signature of {@code rs}, base64. */
    public static String sign(RuleSet rs, PrivateKey key) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(canonical(rs));
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign rule set " + rs.name() + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code signature} (base64) is {@code key}'s signature of exactly this set. */
    public static boolean verify(RuleSet rs, String signature, PublicKey key) {
        try {
            byte[] sig = Base64.getDecoder().decode(signature);
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(canonical(rs));
            return s.verify(sig);
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return false;
        }
    }

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String pem(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    public static String pem(PrivateKey key) {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /** A public key from its PEM or base64 DER (X.509) text. */
    public static PublicKey publicKey(String text) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der(text)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not an Ed25519 public key (PEM or base64 X.509): " + e.getMessage(), e);
        }
    }

    /** A private key from its PEM or base64 DER (PKCS#8) text. */
    public static PrivateKey privateKey(String text) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der(text)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "not an Ed25519 private key (PEM or base64 PKCS#8): " + e.getMessage(), e);
        }
    }

    private static byte[] der(String text) {
        StringBuilder b64 = new StringBuilder();
        for (String line : text.split("\\R")) {
            if (!line.startsWith("-----")) {
                b64.append(line.strip());
            }
        }
        return Base64.getDecoder().decode(b64.toString());
    }

    /**
     * The job's public key text (PEM or base64) from the given environment; empty when neither
     * variable is set, an exception naming the variable when the file cannot be read.
     */
    public static Optional<String> publicKeyText(Map<String, String> env) {
        return text(env, ENV_PUBLIC_KEY, ENV_PUBLIC_KEY_FILE, "rule-set public key");
    }

    /** The publisher's private key text from the given environment, as {@link #publicKeyText}. */
    public static Optional<String> signingKeyText(Map<String, String> env) {
        return text(env, ENV_SIGNING_KEY, ENV_SIGNING_KEY_FILE, "rule-set signing key");
    }

    /** The key text of a file, with a message naming the file when it cannot be read. */
    public static String readKeyFile(Path file, String what) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the " + what + " file " + file + ": " + e.getMessage(), e);
        }
    }

    private static Optional<String> text(Map<String, String> env, String inlineVar, String fileVar, String what) {
        String inline = env.get(inlineVar);
        if (inline != null && !inline.isBlank()) {
            return Optional.of(inline.trim());
        }
        String file = env.get(fileVar);
        if (file != null && !file.isBlank()) {
            return Optional.of(readKeyFile(Path.of(file.trim()), what + " (" + fileVar + ")"));
        }
        return Optional.empty();
    }

    public static String missingPublicKeyMessage() {
        return "no rule-set public key is configured: set " + ENV_PUBLIC_KEY + " (the key) or " + ENV_PUBLIC_KEY_FILE
                + " (a file holding it) in the environment of every TaskManager; until then every published rule set is rejected";
    }
}
