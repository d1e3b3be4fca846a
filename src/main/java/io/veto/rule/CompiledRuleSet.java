package io.veto.rule;

import io.veto.decision.Reason;
import io.veto.event.PaymentEvent;
import io.veto.feature.Entity;
import io.veto.feature.FeatureSpec;
import io.veto.feature.FeatureValues;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A validated rule set, ready to score payments. Scoring is deterministic: active rules add their
 * points; the total maps to an outcome through the thresholds ({@code score >= deny} is DENY,
 * {@code score >= review} is REVIEW); a rule with a direct outcome raises the decision to at
 * least that outcome. Shadow rules are scored the same way, separately, and never enforced.
 *
 * <p>Not thread-safe (it reuses one variable resolver): one instance per operator subtask.
 */
public final class CompiledRuleSet {
    private static final Logger LOG = LoggerFactory.getLogger(CompiledRuleSet.class);
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+(?:\\.[a-z0-9_]+)?)}");

    private final String version;
    private final int reviewThreshold;
    private final int denyThreshold;
    private final List<CompiledRule> rules;
    private final Map<Entity, Set<FeatureSpec>> features;
    private final PaymentVariables vars = new PaymentVariables();

    CompiledRuleSet(String version, int reviewThreshold, int denyThreshold, List<CompiledRule> rules) {
        this.version = version;
        this.reviewThreshold = reviewThreshold;
        this.denyThreshold = denyThreshold;
        this.rules = List.copyOf(rules);
        EnumMap<Entity, Set<FeatureSpec>> f = new EnumMap<>(Entity.class);
        for (CompiledRule r : rules) {
            for (FeatureSpec s : r.features()) {
                f.computeIfAbsent(s.entity(), e -> new LinkedHashSet<>()).add(s);
            }
        }
        f.replaceAll((e, s) -> Collections.unmodifiableSet(s));
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

    /** The features the rules of this set read, for one entity (empty when none). */
    public Set<FeatureSpec> features(Entity entity) {
        return features.getOrDefault(entity, Set.of());
    }

    /** The longest horizon any rule needs for the entity, 0 when none. */
    public long maxHorizon(Entity entity) {
        return features(entity).stream().mapToLong(FeatureSpec::horizonMillis).max().orElse(0L);
    }

    public Outcome outcomeFor(int score) {
        if (score >= denyThreshold) {
            return Outcome.DENY;
        }
        return score >= reviewThreshold ? Outcome.REVIEW : Outcome.APPROVE;
    }

    public Evaluation evaluate(PaymentEvent payment, FeatureValues values) {
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
            boolean fired;
            try {
                fired = Boolean.TRUE.equals(r.program().eval(vars));
            } catch (Exception e) {
                // A rule that cannot be evaluated on this payment does not fire; the payment is still decided.
                errors++;
                LOG.warn("rule {} ({}) could not be evaluated on payment {}: {}", r.id(), version, payment.paymentId(), e.getMessage());
                continue;
            }
            if (!fired) {
                continue;
            }
            Reason reason = new Reason(r.id(), r.points(), r.outcome() == null ? null : r.outcome().name(), explain(r, payment));
            if (r.shadow()) {
                if (shadowReasons.isEmpty()) {
                    shadowReasons = new ArrayList<>(2);
                }
                shadowReasons.add(reason);
                shadowScore += r.points();
                shadowDirect = shadowDirect.atLeast(r.outcome());
            } else {
                reasons.add(reason);
                score += r.points();
                direct = direct.atLeast(r.outcome());
            }
        }
        Outcome outcome = outcomeFor(score).atLeast(direct);
        // Shadow: what the decision would be if the shadow rules were active too.
        Outcome shadowOutcome = null;
        if (!shadowReasons.isEmpty()) {
            shadowOutcome = outcomeFor(score + shadowScore).atLeast(direct).atLeast(shadowDirect);
        }
        return new Evaluation(outcome, score, reasons, shadowOutcome, score + shadowScore, shadowReasons, errors);
    }

    /** The rule's explanation with the values that made it fire, in words, never with code. */
    private String explain(CompiledRule r, PaymentEvent p) {
        StringBuilder values = new StringBuilder();
        for (String f : r.fields()) {
            append(values, f, format(f, vars.value(f), p));
        }
        for (FeatureSpec s : r.features()) {
            Object v = vars.value(s.entity().ruleName()) instanceof Map<?, ?> m ? m.get(s.name()) : null;
            append(values, s.qualifiedName(), format(s.qualifiedName(), v, p));
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
            return String.format(java.util.Locale.ROOT, "%.2f", d);
        }
        return String.valueOf(v);
    }
}
