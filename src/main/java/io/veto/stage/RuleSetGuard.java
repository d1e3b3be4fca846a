package io.veto.stage;

import io.veto.rule.CompiledRuleSet;
import io.veto.rule.RuleProblem;
import io.veto.rule.RuleSet;
import io.veto.rule.RuleSetCodec;
import io.veto.rule.RuleSetCompiler;
import io.veto.rule.RuleSetException;
import io.veto.rule.RuleSetLimits;
import io.veto.rule.RuleSigning;
import io.veto.scoring.ExampleRunner;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The door every published rule set passes before any operator sees it: it must be signed with the
 * publishers' key, carry a plain name (the one its manifest gives), compile, keep the
 * {@link RuleSetLimits}, and pass its own examples, run with the job's own scorer. Runs once per
 * publication, in the rules source; what it refuses reaches the rule-aware operators only as the
 * problems they all answer REJECTED with, so the previous set stays active everywhere.
 */
public final class RuleSetGuard {
    /** A rule-set name: it keys the rules topic, the status topic and metric labels. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");

    private static final int SHOWN_NAME_CHARS = 64;

    private final PublicKey key;
    private final String keyProblem;
    private final RuleSetCompiler compiler = RuleSetCompiler.forJob();

    /** @param publicKey the publishers' public key (PEM or base64), or null when none is configured */
    public RuleSetGuard(String publicKey) {
        PublicKey k = null;
        String problem = null;
        if (publicKey == null) {
            problem = RuleSigning.missingPublicKeyMessage();
        } else {
            try {
                k = RuleSigning.publicKey(publicKey);
            } catch (IllegalArgumentException e) {
                problem = "the rule-set public key configured on the TaskManager is unusable: " + e.getMessage();
            }
        }
        this.key = k;
        this.keyProblem = problem;
    }

    /** Whether a usable public key is configured; without one every publication is refused. */
    public boolean hasKey() {
        return key != null;
    }

    /** The publication as accepted, or refused with every reason found. */
    public RuleSetUpdate check(byte[] json, String origin) {
        RuleSetCodec.Published published;
        try {
            published = RuleSetCodec.decodePublished(json);
        } catch (RuleSetException e) {
            return refuse("?", "?", origin, e.problems());
        }
        RuleSet rs = published.ruleSet();
        if (!NAME.matcher(rs.name()).matches()) {
            return refuse(
                    "?",
                    "?",
                    origin,
                    List.of(
                            published(
                                    "rule-set name " + shown(rs.name())
                                            + " must be 1 to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit")));
        }
        String version = rs.version();
        if (key == null) {
            return refuse(rs.name(), version, origin, List.of(published(keyProblem)));
        }
        if (published.signature() == null) {
            return refuse(
                    rs.name(),
                    version,
                    origin,
                    List.of(
                            published(
                                    "the rule set is not signed; publish it with 'rules publish' and the publishers' signing key")));
        }
        if (!RuleSigning.verify(rs, published.signature(), key)) {
            return refuse(
                    rs.name(),
                    version,
                    origin,
                    List.of(
                            published(
                                    "the signature does not match: the rule set was changed after it was signed, or signed with another key")));
        }
        String manifestName = RuleSet.manifestName(rs.files().get(RuleSet.MANIFEST));
        if (!rs.name().equals(manifestName)) {
            return refuse(
                    rs.name(),
                    version,
                    origin,
                    List.of(new RuleProblem(
                            RuleSet.MANIFEST,
                            1,
                            1,
                            "the rule set is published as '" + rs.name() + "' but its manifest names it "
                                    + (manifestName == null ? "nothing" : shown(manifestName)))));
        }
        CompiledRuleSet compiled;
        try {
            compiled = compiler.compile(rs);
        } catch (RuleSetException e) {
            return refuse(rs.name(), version, origin, e.problems());
        }
        List<RuleProblem> limits = RuleSetLimits.check(compiled);
        if (!limits.isEmpty()) {
            return refuse(rs.name(), version, origin, limits);
        }
        List<RuleProblem> failed = new ArrayList<>();
        try {
            for (ExampleRunner.Result r : ExampleRunner.run(compiled)) {
                if (!r.passed()) {
                    failed.add(new RuleProblem(
                            r.example().file(),
                            r.example().line(),
                            r.example().column(),
                            "example \"" + r.example().name() + "\" fails: " + String.join("; ", r.mismatches())));
                }
            }
        } catch (RuntimeException e) {
            failed.add(published("the examples could not be run: " + e));
        }
        if (!failed.isEmpty()) {
            return refuse(rs.name(), version, origin, failed);
        }
        return new RuleSetUpdate(json, origin);
    }

    private static RuleSetUpdate refuse(String name, String version, String origin, List<RuleProblem> problems) {
        // The refused set's bytes go no further: every operator answers from the problems alone.
        return new RuleSetUpdate(
                new byte[0],
                origin,
                name,
                version,
                problems.stream().map(RuleProblem::toString).toArray(String[]::new));
    }

    private static RuleProblem published(String message) {
        return new RuleProblem("<published>", 1, 1, message);
    }

    /** A name as a status message may show it: quoted, cut, with control characters escaped. */
    private static String shown(String name) {
        String cut = name.length() > SHOWN_NAME_CHARS
                ? name.substring(0, SHOWN_NAME_CHARS) + "... (" + name.length() + " characters)"
                : name;
        StringBuilder sb = new StringBuilder("'");
        cut.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.append('\'').toString();
    }
}
