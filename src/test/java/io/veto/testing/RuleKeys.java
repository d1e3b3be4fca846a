package io.veto.testing;

import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCodec;
import io.veto.rule.RuleSigning;
import io.veto.rule.RulesKeySupplier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;

/** The rule-signing key pair tests publish with: one per test JVM, made with the rules tool's own code. */
public final class RuleKeys {
    private static final KeyPair PAIR = RuleSigning.generate();
    private static final String PUBLIC_PEM = RuleSigning.pem(PAIR.getPublic());

    private RuleKeys() {}

    /** The public key (PEM), as the job's TaskManagers get it. */
    public static String publicKey() {
        return PUBLIC_PEM;
    }

    /** A rules-source key supplier that serializes into the job graph (a test JVM has no such environment). */
    public static RulesKeySupplier supplier() {
        String pem = PUBLIC_PEM;
        return () -> pem;
    }

    /** The published form of {@code rs}, signed with the test key: what {@code rules publish} sends. */
    public static byte[] signed(RuleSet rs) {
        return RuleSetCodec.encode(rs, RuleSigning.sign(rs, PAIR.getPrivate()));
    }

    /** Writes the private key (PEM) to a file in {@code dir}, for {@code rules publish --signing-key}. */
    public static Path signingKeyFile(Path dir) {
        try {
            return Files.writeString(dir.resolve("rules-signing.key"), RuleSigning.pem(PAIR.getPrivate()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
