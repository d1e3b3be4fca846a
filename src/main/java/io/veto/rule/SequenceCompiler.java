package io.veto.rule;

import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOptions;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.cep.nfa.aftermatch.AfterMatchSkipStrategy;
import org.apache.flink.cep.nfa.compiler.NFACompiler;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Compiles the sequence part of a sequence rule — key, {@code within}, skip strategy and steps —
 * to a flink-cep {@code Pattern}, and checks it the way flink-cep would at job start, so that a
 * pattern flink-cep refuses is a problem at the rule's line, not a failure in the running job.
 *
 * <p>Matches are reported on the event that completes them (see {@link #skipStrategy}).
 *
 * <p>Step conditions are CEL, with the payment fields rules use, the event's {@code type},
 * {@code event_time}, {@code lat}/{@code lon}, the events the match has taken so far
 * ({@code matched}, {@code prev}, {@code first}) and {@code distance_km(lat1, lon1, lat2, lon2)}.
 */
final class SequenceCompiler {
    static final Set<String> SEQUENCE_KEYS = new LinkedHashSet<>(List.of("key", "within", "skip", "steps", "alert"));
    private static final Set<String> STEP_KEYS = new LinkedHashSet<>(
            List.of("name", "where", "after", "times", "gap", "optional", "greedy", "consecutive", "until"));
    /** Every pattern is bounded: partial matches older than this cannot exist. */
    static final long MAX_WITHIN_MILLIS = Duration.ofDays(7).toMillis();

    static final int MAX_STEPS = 16;
    static final int MAX_TIMES = 100;
    private static final Pattern STEP_NAME = Pattern.compile("[a-z][a-z0-9_]{0,31}");
    private static final Pattern ALERT_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h|d)");
    private static final Pattern TIMES = Pattern.compile("(\\d{1,3})(?:(\\+)|\\.\\.(\\d{1,3}))?");
    private static final Set<String> MATCH_NAMES = SequenceVariables.MATCH_VARIABLES.keySet();

    private static final String NAMES_HINT = "a step can use the payment fields ("
            + String.join(", ", PaymentVariables.FIELDS.keySet()) + "), "
            + String.join(", ", SequenceVariables.EXTRA_FIELDS.keySet())
            + ", the match so far (matched, prev, first) and distance_km(lat1, lon1, lat2, lon2)";

    private final RuleSetCompiler owner;
    private final CelCompiler compiler;
    private final CelRuntime runtime;

    SequenceCompiler(RuleSetCompiler owner, CelOptions options) {
        this.owner = owner;
        var builder = CelCompilerFactory.standardCelCompilerBuilder()
                .setOptions(options)
                .setResultType(SimpleType.BOOL)
                .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
                .addFunctionDeclarations(CelFunctionDecl.newFunctionDeclaration(
                        "distance_km",
                        CelOverloadDecl.newGlobalOverload(
                                "distance_km_4d",
                                SimpleType.DOUBLE,
                                SimpleType.DOUBLE,
                                SimpleType.DOUBLE,
                                SimpleType.DOUBLE,
                                SimpleType.DOUBLE)));
        PaymentVariables.FIELDS.forEach(builder::addVar);
        SequenceVariables.EXTRA_FIELDS.forEach(builder::addVar);
        SequenceVariables.MATCH_VARIABLES.forEach(builder::addVar);
        // Declared only to say, below, that steps cannot read them.
        for (Entity e : Entity.values()) {
            builder.addVar(e.ruleName(), PaymentVariables.FEATURE_MAP);
        }
        this.compiler = builder.build();
        this.runtime = CelRuntimeFactory.standardCelRuntimeBuilder()
                .setOptions(options)
                .addFunctionBindings(CelFunctionBinding.from(
                        "distance_km_4d",
                        List.of(Double.class, Double.class, Double.class, Double.class),
                        args -> Geo.distanceKm((Double) args[0], (Double) args[1], (Double) args[2], (Double) args[3])))
                .build();
    }

    /** The compiled sequence, or null with every problem recorded in {@code y}. */
    CompiledSequence compile(String ruleId, YamlNodes y, String text, Node rn, Map<String, Node> r) {
        int before = y.problemCount();
        SequenceDefinition.SequenceKey key = SequenceDefinition.SequenceKey.CARD;
        if (r.containsKey("key")) {
            String k = y.text(r.get("key"), "key");
            key = null;
            for (SequenceDefinition.SequenceKey candidate : SequenceDefinition.SequenceKey.values()) {
                if (candidate.yamlName().equals(k)) {
                    key = candidate;
                }
            }
            if (key == null) {
                y.problem(
                        r.get("key"),
                        "key must be 'card' or 'customer' (whose events the steps run over), not '" + k + "'");
            }
        }
        long within = 0;
        if (!r.containsKey("within")) {
            y.problem(
                    rn,
                    "sequence rule '" + ruleId + "' needs 'within' (e.g. 15m): every sequence must be bounded in time");
        } else {
            within = duration(y, r.get("within"), "within");
            if (within > MAX_WITHIN_MILLIS) {
                y.problem(r.get("within"), "within is at most 7d");
            }
        }
        List<SequenceStep> steps = new ArrayList<>();
        List<StepCondition[]> conditions = new ArrayList<>();
        if (!r.containsKey("steps")) {
            y.problem(rn, "sequence rule '" + ruleId + "' needs 'steps'");
        } else {
            List<Node> stepNodes = y.sequence(r.get("steps"), "'steps'");
            if (stepNodes.size() > MAX_STEPS) {
                y.problem(r.get("steps"), "a sequence has at most " + MAX_STEPS + " steps");
            }
            Set<String> names = new HashSet<>();
            List<String> soFar = new ArrayList<>();
            for (int i = 0; i < stepNodes.size(); i++) {
                step(ruleId, y, text, stepNodes.get(i), i, names, soFar, steps, conditions);
            }
            if (stepNodes.isEmpty()) {
                y.problem(r.get("steps"), "a sequence needs at least one step");
            }
        }
        String skip = r.containsKey("skip") ? y.text(r.get("skip"), "skip") : "skip-past-last-event";
        Boolean pastLast = skip == null ? null : skipStrategy(skip);
        if (skip != null && pastLast == null) {
            y.problem(
                    r.get("skip"),
                    skip.startsWith("skip-to-")
                            ? "skip '" + skip
                                    + "' would hold a match back until earlier partial matches end, so the payment that completes it"
                                    + " could not carry it: use skip-past-last-event (one match per incident) or no-skip (every match)"
                            : "skip must be skip-past-last-event (one match per incident) or no-skip (every match), not '"
                                    + skip + "'");
        }
        String alert = null;
        if (r.containsKey("alert")) {
            alert = y.text(r.get("alert"), "alert");
            if (alert != null && !ALERT_NAME.matcher(alert).matches()) {
                y.problem(r.get("alert"), "alert name '" + alert + "' must be lower-case letters, digits, '-' or '_'");
            }
        }
        if (y.problemCount() > before || key == null || pastLast == null) {
            return null;
        }
        org.apache.flink.cep.pattern.Pattern<PaymentEvent, PaymentEvent> pattern = null;
        for (int i = 0; i < steps.size(); i++) {
            SequenceStep s = steps.get(i);
            StepCondition[] c = conditions.get(i);
            pattern = i == 0
                    ? org.apache.flink.cep.pattern.Pattern.<PaymentEvent>begin(
                            s.name(), AfterMatchSkipStrategy.noSkip())
                    : append(pattern, s);
            pattern = pattern.where(c[0]);
            if (s.looping()) {
                // flink-cep ends a loop at a gap of exactly its window; a gap of 30s allows 30 s.
                Duration gap = s.gapMillis() > 0 ? Duration.ofMillis(s.gapMillis() + 1) : null;
                pattern = s.maxTimes() == Integer.MAX_VALUE
                        ? (s.minTimes() == 1 ? pattern.oneOrMore(gap) : pattern.timesOrMore(s.minTimes(), gap))
                        : pattern.times(s.minTimes(), s.maxTimes(), gap);
                if (s.consecutive()) {
                    pattern = pattern.consecutive();
                }
                if (s.greedy()) {
                    pattern = pattern.greedy();
                }
                if (c[1] != null) {
                    pattern = pattern.until(c[1]);
                }
            } else if (s.minTimes() > 1) {
                pattern = pattern.times(s.minTimes());
            }
            if (s.optional()) {
                pattern = pattern.optional();
            }
        }
        pattern = pattern.within(Duration.ofMillis(within));
        NFACompiler.NFAFactory<PaymentEvent> factory;
        try {
            factory = NFACompiler.compileFactory(pattern, true);
        } catch (RuntimeException e) {
            // flink-cep's own checks (e.g. a pattern ending in notNext, or one that can match nothing).
            y.problem(r.get("steps"), "flink-cep rejects this sequence: " + e.getMessage());
            return null;
        }
        String fingerprint = fingerprint(key, within, skip, steps);
        SequenceDefinition def = new SequenceDefinition(key, within, skip, List.copyOf(steps), alert, fingerprint);
        StepCondition start = steps.get(0).optional() ? null : conditions.get(0)[0];
        return new CompiledSequence(ruleId, ruleId + "@" + fingerprint, def, factory, pastLast, start);
    }

    private void step(
            String ruleId,
            YamlNodes y,
            String text,
            Node sn,
            int index,
            Set<String> names,
            List<String> soFar,
            List<SequenceStep> steps,
            List<StepCondition[]> conditions) {
        Map<String, Node> s = y.mapping(sn, "a step");
        if (s.isEmpty()) {
            return;
        }
        int before = y.problemCount();
        y.rejectUnknownKeys(s, STEP_KEYS, "a step");
        String name = s.containsKey("name") ? y.text(s.get("name"), "name") : null;
        if (name == null) {
            y.problem(sn, "a step needs a 'name'");
            return;
        }
        if (!STEP_NAME.matcher(name).matches()) {
            y.problem(
                    s.get("name"),
                    "step name '" + name + "' must be lower-case letters, digits or '_', starting with a letter");
        } else if (!names.add(name)) {
            y.problem(s.get("name"), "duplicate step name '" + name + "'");
        }
        SequenceStep.Contiguity after = SequenceStep.Contiguity.FOLLOWED_BY;
        if (s.containsKey("after")) {
            String a = y.text(s.get("after"), "after");
            after = SequenceStep.Contiguity.fromYaml(a);
            if (index == 0) {
                y.problem(s.get("after"), "the first step follows nothing: 'after' belongs on later steps");
            } else if (after == null) {
                y.problem(
                        s.get("after"),
                        "after must be next, followedBy, followedByAny, notNext or notFollowedBy, not '" + a + "'");
            }
            if (after == null) {
                // Reported above; the checks below still look at it.
                after = SequenceStep.Contiguity.FOLLOWED_BY;
            }
        }
        int min = 1;
        int max = 1;
        if (s.containsKey("times")) {
            String t = y.text(s.get("times"), "times");
            Matcher m = t == null ? null : TIMES.matcher(t.trim());
            if (m == null || !m.matches()) {
                y.problem(
                        s.get("times"),
                        "times is a count (3), at least a count (3+) or a range (2..5), not '" + t + "'");
            } else {
                min = Integer.parseInt(m.group(1));
                max = m.group(2) != null ? Integer.MAX_VALUE : m.group(3) != null ? Integer.parseInt(m.group(3)) : min;
                if (min < 1 || max < min || (max != Integer.MAX_VALUE && max > MAX_TIMES) || min > MAX_TIMES) {
                    y.problem(
                            s.get("times"),
                            "times must be between 1 and " + MAX_TIMES + ", with a range's lower end first");
                }
                if (after.negative() && index > 0) {
                    y.problem(s.get("times"), "a '" + after.yamlName() + "' step cannot repeat");
                }
            }
        }
        boolean optional = flag(y, s, "optional");
        boolean greedy = flag(y, s, "greedy");
        boolean consecutive = flag(y, s, "consecutive");
        if ((greedy || consecutive) && !(max > 1)) {
            y.problem(
                    s.get(greedy ? "greedy" : "consecutive"),
                    (greedy ? "greedy" : "consecutive")
                            + " applies to a step that takes several events (times: 3, 3+ or 2..5)");
        }
        if (optional && after.negative() && index > 0) {
            y.problem(s.get("optional"), "a '" + after.yamlName() + "' step cannot be optional");
        }
        if (s.containsKey("until") && max != Integer.MAX_VALUE) {
            y.problem(s.get("until"), "until ends a step that takes 'or more' events (times: 1+)");
        }
        long gap = 0;
        if (s.containsKey("gap")) {
            gap = duration(y, s.get("gap"), "gap");
            if (max <= 1) {
                y.problem(
                        s.get("gap"),
                        "gap is the longest time between the events of a step that takes several (times: 3, 3+ or 2..5)");
            }
        }
        Node where = s.get("where");
        StepCondition[] c = new StepCondition[2];
        List<String> through = new ArrayList<>(soFar);
        through.add(name);
        if (where == null) {
            y.problem(sn, "step '" + name + "' needs a 'where' condition");
        } else {
            c[0] = stepCondition(ruleId, name, y, text, where, through);
        }
        String until = null;
        if (s.containsKey("until")) {
            until = y.text(s.get("until"), "until");
            c[1] = until == null ? null : stepCondition(ruleId, name, y, text, s.get("until"), through);
        }
        soFar.add(name);
        if (y.problemCount() > before) {
            return;
        }
        steps.add(new SequenceStep(
                name,
                y.text(where, "where"),
                after,
                min,
                max,
                optional,
                greedy,
                consecutive,
                until,
                gap,
                sn.getStartMark().getLine() + 1));
        conditions.add(c);
    }

    private StepCondition stepCondition(
            String ruleId, String step, YamlNodes y, String text, Node node, List<String> through) {
        String expr = y.text(node, "a step condition");
        if (expr == null) {
            return null;
        }
        RuleSetCompiler.Condition c =
                owner.condition(compiler, runtime, NAMES_HINT, y.file(), text, (ScalarNode) node, expr, y);
        if (c == null) {
            return null;
        }
        for (Entity e : Entity.values()) {
            if (c.idents().contains(e.ruleName())) {
                y.problem(
                        node,
                        "step conditions see the event and the match so far, not window features ('" + e.ruleName()
                                + ".'); put conditions on features in the sequence's 'when', checked at the completing payment");
                return null;
            }
        }
        boolean readsMatch = c.idents().stream().anyMatch(MATCH_NAMES::contains);
        return new StepCondition(ruleId, step, c.program(), through, readsMatch);
    }

    private static boolean flag(YamlNodes y, Map<String, Node> s, String key) {
        if (!s.containsKey(key)) {
            return false;
        }
        String v = y.text(s.get(key), key);
        if ("true".equals(v)) {
            return true;
        }
        if (!"false".equals(v)) {
            y.problem(s.get(key), key + " must be true or false, not '" + v + "'");
        }
        return false;
    }

    private static long duration(YamlNodes y, Node node, String what) {
        String t = y.text(node, what);
        Matcher m = t == null ? null : DURATION.matcher(t.trim());
        if (m == null || !m.matches()) {
            y.problem(node, what + " must be a duration such as 90s, 15m, 2h or 1d, not '" + t + "'");
            return 0;
        }
        long n = Long.parseLong(m.group(1));
        long millis = switch (m.group(2)) {
            case "ms" -> n;
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            case "h" -> n * 3_600_000;
            default -> n * 86_400_000;
        };
        if (millis <= 0) {
            y.problem(node, what + " must be longer than zero");
        }
        return millis;
    }

    /**
     * Whether a match ends the incident: {@code skip-past-last-event} (true: once a match completes,
     * every partial match under way is dropped, so one incident gives one match) or {@code no-skip}
     * (false: every match is reported). Null for anything else. flink-cep's own skip strategies hold
     * a completed match back until every partial match that started earlier has ended, which would
     * keep it from the payment that completes it; Veto gives the NFAs no-skip and applies these two
     * itself, at once.
     */
    private static Boolean skipStrategy(String skip) {
        return switch (skip) {
            case "skip-past-last-event" -> Boolean.TRUE;
            case "no-skip" -> Boolean.FALSE;
            default -> null;
        };
    }

    private static org.apache.flink.cep.pattern.Pattern<PaymentEvent, PaymentEvent> append(
            org.apache.flink.cep.pattern.Pattern<PaymentEvent, PaymentEvent> p, SequenceStep s) {
        return switch (s.after()) {
            case NEXT -> p.next(s.name());
            case FOLLOWED_BY -> p.followedBy(s.name());
            case FOLLOWED_BY_ANY -> p.followedByAny(s.name());
            case NOT_NEXT -> p.notNext(s.name());
            case NOT_FOLLOWED_BY -> p.notFollowedBy(s.name());
        };
    }

    /** What makes two versions of a sequence the same pattern; its text and points may differ. */
    private static String fingerprint(
            SequenceDefinition.SequenceKey key, long within, String skip, List<SequenceStep> steps) {
        StringBuilder sb = new StringBuilder()
                .append(key)
                .append('|')
                .append(within)
                .append('|')
                .append(skip);
        for (SequenceStep s : steps) {
            sb.append('|')
                    .append(s.name())
                    .append('|')
                    .append(s.where())
                    .append('|')
                    .append(s.after())
                    .append('|')
                    .append(s.minTimes())
                    .append('|')
                    .append(s.maxTimes())
                    .append('|')
                    .append(s.optional())
                    .append('|')
                    .append(s.greedy())
                    .append('|')
                    .append(s.consecutive())
                    .append('|')
                    .append(s.until())
                    .append('|')
                    .append(s.gapMillis());
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
