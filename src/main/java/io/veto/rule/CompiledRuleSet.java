package io.veto.rule;

import io.veto.decision.Outcome;
import io.veto.decision.Reason;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.FeatureSpec;
import io.veto.feature.FeatureValues;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A validated rule set, ready to score payments. Scoring is deterministic and goes in this order:
 *
 * <ol>
 *   <li>a hit on a block list denies the payment;
 *   <li>otherwise a hit on an allow list approves it;
 *   <li>otherwise active rules add their points, the total maps to an outcome through the
 *       thresholds ({@code score >= deny} is DENY, {@code score >= review} is REVIEW), and a rule with
 *       a direct outcome raises the decision to at least that outcome.
 * </ol>
 *
 * <p>Rules are evaluated in every case, so a decision made by a list still shows the rules that
 * fired (after the list's reason) and its score. Shadow rules are scored the same way, separately,
 * and never enforced; the lists take precedence over them too.
 *
 * <p>Not thread-safe (it reuses one variable resolver): one instance per operator subtask.
 */
public final class CompiledRuleSet {
    private static final Logger LOG = LoggerFactory.getLogger(CompiledRuleSet.class);
    static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+(?:\\.[a-z0-9_]+)?)}");

    private final String version;
    private final int reviewThreshold;
    private final int denyThreshold;
    private final List<CompiledRule> rules;
    private final List<EntityList> blockLists;
    private final List<EntityList> allowLists;
    private final List<EntityList> lists;
    private final List<Example> examples;
    private final Map<Entity, Set<FeatureSpec>> features;
    private final List<CompiledSequence> sequences;
    /**
     * Feature names rules write differently from the spec's canonical name (count_24h for count_1d),
     * per entity: written -> canonical. Features are computed once under the canonical name; these
     * aliases make the written name resolve too.
     */
    private final Map<Entity, Map<String, String>> aliases;

    private final PaymentVariables vars = new PaymentVariables();
    private final java.util.Map<String, Long> ruleErrors = new HashMap<>();

    CompiledRuleSet(
            String version,
            int reviewThreshold,
            int denyThreshold,
            List<CompiledRule> rules,
            List<EntityList> lists,
            List<Example> examples) {
        this.version = version;
        this.reviewThreshold = reviewThreshold;
        this.denyThreshold = denyThreshold;
        this.rules = List.copyOf(rules);
        this.lists = List.copyOf(lists);
        this.blockLists = lists.stream().filter(l -> l.kind() == ListKind.BLOCK).toList();
        this.allowLists = lists.stream().filter(l -> l.kind() == ListKind.ALLOW).toList();
        this.examples = List.copyOf(examples);
        EnumMap<Entity, Set<FeatureSpec>> f = new EnumMap<>(Entity.class);
        EnumMap<Entity, Map<String, String>> a = new EnumMap<>(Entity.class);
        for (CompiledRule r : rules) {
            for (Map.Entry<String, FeatureSpec> e : r.features().entrySet()) {
                FeatureSpec s = e.getValue();
                f.computeIfAbsent(s.entity(), x -> new LinkedHashSet<>()).add(s);
                String written = e.getKey().substring(e.getKey().indexOf('.') + 1);
                if (!written.equals(s.name())) {
                    a.computeIfAbsent(s.entity(), x -> new HashMap<>()).put(written, s.name());
                }
            }
        }
        f.replaceAll((e, s) -> Collections.unmodifiableSet(s));
        this.sequences = rules.stream()
                .map(CompiledRule::sequence)
                .filter(Objects::nonNull)
                .toList();
        this.aliases = a;
        this.features = Collections.unmodifiableMap(f);
    }

    public String version() {
        return version;
    }

    public int reviewThreshold() {
        return reviewThreshold;
    }

    public int denyThreshold() {
        return denyThreshold;
    }

    public int size() {
        return rules.size();
    }

    public List<String> ruleIds() {
        return rules.stream().map(CompiledRule::id).toList();
    }

    /** The rules as written, in file order. */
    public List<RuleDefinition> rules() {
        return rules.stream().map(CompiledRule::definition).toList();
    }

    /** The allow and block lists, in file order. */
    public List<EntityList> lists() {
        return lists;
    }

    /**
     * The examples written with the rules: {@code rules test} runs them, and the job runs a
     * published set's before it applies it ({@code RuleSetGuard}).
     */
    public List<Example> examples() {
        return examples;
    }

    /** The patterns of the sequence rules, in file order. */
    public List<CompiledSequence> sequences() {
        return sequences;
    }

    /** The patterns of the sequence rules over one key's events, in file order. */
    public List<CompiledSequence> sequences(SequenceDefinition.SequenceKey key) {
        return sequences.stream().filter(s -> s.key() == key).toList();
    }

    /** The features the rules of this set read, for one entity (empty when none). */
    public Set<FeatureSpec> features(Entity entity) {
        return features.getOrDefault(entity, Set.of());
    }

    /** The longest horizon any rule needs for the entity, 0 when none. */
    public long maxHorizon(Entity entity) {
        return features(entity).stream()
                .mapToLong(FeatureSpec::horizonMillis)
                .max()
                .orElse(0L);
    }

    /**
     * How far back anything of this set looks from a payment: the longest horizon of a feature of
     * any entity, or {@code within} of a sequence; 0 when a decision reads the payment alone.
     */
    public long longestHorizon() {
        long h = 0;
        for (Entity e : Entity.values()) {
            h = Math.max(h, maxHorizon(e));
        }
        for (CompiledSequence s : sequences) {
            h = Math.max(h, s.definition().withinMillis());
        }
        return h;
    }

    /**
     * The event times at which a rule starts or stops applying ({@code validFrom}, {@code
     * validUntil}) or a list entry expires, ascending. Apart from windows, sequences and the hour of
     * day ({@code event_hour}), these are all a decision reads of a payment's event time: payments
     * moved by whole days, across none of them, are decided alike.
     */
    public NavigableSet<Long> validityChanges() {
        TreeSet<Long> times = new TreeSet<>();
        for (CompiledRule r : rules) {
            RuleDefinition d = r.definition();
            if (d.validFrom() != Long.MIN_VALUE) {
                times.add(d.validFrom());
            }
            if (d.validUntil() != Long.MAX_VALUE) {
                times.add(d.validUntil());
            }
        }
        for (EntityList l : lists) {
            for (ListEntry e : l.entries()) {
                if (e.expires() != Long.MAX_VALUE) {
                    times.add(e.expires());
                }
            }
        }
        return Collections.unmodifiableNavigableSet(times);
    }

    public Outcome outcomeFor(int score) {
        if (score >= denyThreshold) {
            return Outcome.DENY;
        }
        return score >= reviewThreshold ? Outcome.REVIEW : Outcome.APPROVE;
    }

    /**
     * Decides one payment from its features. Features a rule writes in another unit than their
     * canonical name ({@code card.count_24h} for {@code count_1d}) are added to {@code values} under
     * the written name, so the caller's per-payment values gain those keys.
     */
    public Evaluation evaluate(PaymentEvent payment, FeatureValues values) {
        return evaluate(payment, values, List.of());
    }

    /**
     * Decides one payment from its features and the sequence matches it completes. A sequence rule
     * fires when one of {@code matches} is its own and its {@code when}, if any, holds.
     */
    public Evaluation evaluate(PaymentEvent payment, FeatureValues values, List<SequenceMatch> matches) {
        for (Map.Entry<Entity, Map<String, String>> e : aliases.entrySet()) {
            Map<String, Double> m = values.of(e.getKey());
            for (Map.Entry<String, String> alias : e.getValue().entrySet()) {
                Double v = m.get(alias.getValue());
                if (v != null) {
                    m.put(alias.getKey(), v);
                }
            }
        }
        vars.reset(payment, values);
        int score = 0;
        int shadowScore = 0;
        Outcome direct = Outcome.APPROVE;
        Outcome shadowDirect = Outcome.APPROVE;
        List<Reason> reasons = new ArrayList<>(2);
        List<Reason> shadowReasons = List.of();
        int errors = 0;
        for (CompiledRule r : rules) {
            if (!r.validAt(payment.eventTime())) {
                continue;
            }
            SequenceMatch match = null;
            if (r.sequence() != null) {
                match = matchOf(r, matches);
                if (match == null) {
                    continue;
                }
            }
            boolean fired;
            try {
                fired = Boolean.TRUE.equals(r.program().eval(vars));
            } catch (Exception e) {
                // A rule that cannot be evaluated on this payment does not fire; the payment is still
                // decided, and says so in a reason of no points that metrics count as the rule's error.
                errors++;
                reasons.add(errorReason(r, e));
                logFailure(r, payment, e);
                continue;
            }
            if (!fired) {
                continue;
            }
            int points = r.points();
            if (r.pointsProgram() != null) {
                try {
                    points = clampPoints(r.pointsProgram().eval(vars));
                } catch (Exception e) {
                    // The rule fired: it is reported, with no points, rather than dropped.
                    errors++;
                    logFailure(r, payment, e);
                    points = 0;
                }
            }
            Reason reason = match == null
                    ? new Reason(
                            r.id(),
                            points,
                            r.outcome() == null ? null : r.outcome().name(),
                            explain(r, payment))
                    : new Reason(
                            r.id(),
                            points,
                            r.outcome() == null ? null : r.outcome().name(),
                            explainMatch(r, payment, match),
                            match.eventIds());
            if (r.shadow()) {
                if (shadowReasons.isEmpty()) {
                    shadowReasons = new ArrayList<>(2);
                }
                shadowReasons.add(reason);
                shadowScore += points;
                shadowDirect = shadowDirect.atLeast(r.outcome());
            } else {
                reasons.add(reason);
                score += points;
                direct = direct.atLeast(r.outcome());
            }
        }
        Outcome outcome = outcomeFor(score).atLeast(direct);
        // Shadow: what the decision would be if the shadow rules were active too.
        Outcome shadowOutcome = null;
        if (!shadowReasons.isEmpty()) {
            shadowOutcome = outcomeFor(score + shadowScore).atLeast(direct).atLeast(shadowDirect);
        }
        // Lists come last in the code but first in precedence: a block hit denies, else an allow hit approves.
        Outcome forced = Outcome.DENY;
        List<Reason> listReasons = listHits(blockLists, payment);
        if (listReasons == null) {
            forced = Outcome.APPROVE;
            listReasons = listHits(allowLists, payment);
        }
        if (listReasons != null) {
            outcome = forced;
            if (shadowOutcome != null) {
                shadowOutcome = forced;
            }
            listReasons.addAll(reasons);
            reasons = listReasons;
        }
        return new Evaluation(outcome, score, reasons, shadowOutcome, score + shadowScore, shadowReasons, errors);
    }

    private void logFailure(CompiledRule r, PaymentEvent payment, Exception e) {
        long n = ruleErrors.merge(r.id(), 1L, Long::sum);
        // 1st, 10th, 100th ... failure of a rule: a rule failing on every payment must not flood the log.
        if (Long.toString(n).matches("10*")) {
            LOG.warn(
                    "rule {} ({}) could not be evaluated on payment {} ({} failures so far): {}",
                    r.id(),
                    version,
                    payment.paymentId(),
                    n,
                    e.getMessage());
        }
    }

    /**
     * A points expression's value as the whole number of points it adds: rounded half up and
     * clamped to 0..{@value RuleSetCompiler#MAX_POINTS}, so one rule can neither subtract from a
     * score nor overflow it; NaN adds none.
     */
    static int clampPoints(Object value) {
        double v = ((Number) value).doubleValue();
        if (Double.isNaN(v)) {
            return 0;
        }
        return (int) Math.max(0, Math.min(RuleSetCompiler.MAX_POINTS, Math.floor(v + 0.5)));
    }

    /** The reason-id prefix of a rule that could not be evaluated: {@code error:<ruleId>}. */
    public static final String ERROR_PREFIX = "error:";

    private static final int MAX_ERROR_CHARS = 200;

    private static Reason errorReason(CompiledRule r, Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (m.length() > MAX_ERROR_CHARS) {
            m = m.substring(0, MAX_ERROR_CHARS) + "...";
        }
        return new Reason(ERROR_PREFIX + r.id(), 0, null, "could not be evaluated, so it did not fire: " + m);
    }

    private static SequenceMatch matchOf(CompiledRule r, List<SequenceMatch> matches) {
        for (SequenceMatch m : matches) {
            if (m.ruleId().equals(r.id())) {
                return m;
            }
        }
        return null;
    }

    private String explainMatch(CompiledRule r, PaymentEvent p, SequenceMatch m) {
        long seconds = (m.lastEventTime() - m.firstEventTime()) / 1000;
        String span = seconds < 120
                ? seconds + " s"
                : seconds < 7200 ? (seconds / 60) + " min" : String.format(Locale.ROOT, "%.1f h", seconds / 3600.0);
        return explain(r, p) + " [sequence of " + m.eventIds().length + " events in " + span + ": "
                + String.join(" > ", m.eventIds()) + "]";
    }

    /** One reason per list of {@code candidates} the payment is on, or null when it is on none. */
    private static List<Reason> listHits(List<EntityList> candidates, PaymentEvent payment) {
        List<Reason> hits = null;
        for (EntityList l : candidates) {
            ListEntry e = l.match(payment);
            if (e == null) {
                continue;
            }
            if (hits == null) {
                hits = new ArrayList<>(2);
            }
            String key = l.entity().keyOf(payment);
            String detail = l.entity().label() + " " + key
                    + (e.value().equals(key) ? "" : " (in " + e.value() + ")")
                    + " is on " + l.kind().yamlName() + " list " + l.id()
                    + (e.note() == null ? "" : ": " + e.note());
            hits.add(new Reason(l.reasonId(), 0, l.kind().outcome().name(), detail));
        }
        return hits;
    }

    /** The rule's explanation with the values that made it fire, in words, never with code. */
    private String explain(CompiledRule r, PaymentEvent p) {
        StringBuilder values = new StringBuilder();
        for (String f : r.fields()) {
            append(values, f, format(f, vars.value(f), p));
        }
        for (Map.Entry<String, FeatureSpec> e : r.features().entrySet()) {
            FeatureSpec s = e.getValue();
            Object v = vars.value(s.entity().ruleName()) instanceof Map<?, ?> m ? m.get(s.name()) : null;
            append(values, e.getKey(), format(e.getKey(), v, p));
        }
        String head;
        if (r.explain() != null) {
            Matcher m = PLACEHOLDER.matcher(r.explain());
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String name = m.group(1);
                Object v;
                int dot = name.indexOf('.');
                if (dot > 0 && Entity.fromRuleName(name.substring(0, dot)) != null) {
                    Object map = vars.value(name.substring(0, dot));
                    v = map instanceof Map<?, ?> mm ? mm.get(name.substring(dot + 1)) : null;
                } else {
                    v = vars.value(name);
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(v == null ? m.group() : format(name, v, p)));
            }
            m.appendTail(sb);
            head = sb.toString();
        } else {
            head = r.description().isEmpty() ? r.id() : r.description();
        }
        return values.length() == 0 ? head : head + " (" + values + ")";
    }

    private static void append(StringBuilder sb, String name, String value) {
        if (sb.length() > 0) {
            sb.append(", ");
        }
        sb.append(name).append('=').append(value);
    }

    private static String format(String name, Object v, PaymentEvent p) {
        if (name.equals("amount") && p.amount() != null) {
            return p.amount().toPlainString() + (p.currency() == null ? "" : " " + p.currency());
        }
        if (v instanceof Double d) {
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Long.toString(d.longValue());
            }
            return String.format(Locale.ROOT, "%.2f", d);
        }
        return String.valueOf(v);
    }
}
