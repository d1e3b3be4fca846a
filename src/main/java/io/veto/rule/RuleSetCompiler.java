package io.veto.rule;

import com.google.re2j.PatternSyntaxException;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelSource;
import dev.cel.common.CelSourceLocation;
import dev.cel.common.CelValidationException;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.navigation.CelNavigableExpr;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.veto.decision.Outcome;
import io.veto.feature.Entity;
import io.veto.feature.FeatureSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Checks a {@link RuleSet} completely and compiles it, or reports every problem with file, line and
 * column. Conditions are CEL: side-effect free, no reflection, no loops beyond bounded macros,
 * and regular expressions run on RE2 (linear time); on top of that this compiler refuses
 * expressions that are oversized, regular expressions that are not constant, too long, or built
 * with nested quantifiers, and names that are neither payment fields nor features.
 */
public final class RuleSetCompiler {
    public static final int MAX_EXPRESSION_CHARS = 2000;
    public static final int MAX_REGEX_CHARS = 256;
    /** A points expression's value is rounded to a whole number and clamped to 0..MAX_POINTS. */
    public static final int MAX_POINTS = 1000;

    private static final Pattern WHOLE_NUMBER = Pattern.compile("-?\\d+");

    private static final Set<String> MANIFEST_KEYS = orderedSet("name", "description", "thresholds");
    private static final Set<String> THRESHOLD_KEYS = orderedSet("review", "deny");
    private static final Set<String> RULE_FILE_KEYS = orderedSet("rules", "sequences", "examples");
    private static final Set<String> RULE_KEYS = orderedSet(
            "id",
            "description",
            "owner",
            "when",
            "points",
            "outcome",
            "mode",
            "explain",
            "validFrom",
            "validUntil",
            "tags");
    private static final Set<String> SEQUENCE_RULE_KEYS = union(RULE_KEYS, SequenceCompiler.SEQUENCE_KEYS);
    static final Pattern RULE_ID = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");
    private static final Pattern NESTED_QUANTIFIER = Pattern.compile("\\([^()]*[+*}][^()]*\\)\\s*[+*{]");

    private static final CelOptions OPTIONS = CelOptions.current()
            .enableHeterogeneousNumericComparisons(true)
            .maxExpressionCodePointSize(MAX_EXPRESSION_CHARS)
            .maxParseRecursionDepth(64)
            .comprehensionMaxIterations(1000)
            .maxRegexProgramSize(1000)
            .build();

    private final Set<Entity> computedEntities;
    private final CelCompiler compiler;
    /** Compiles {@code points:} expressions: the rule environment with any result type, checked to be numeric after. */
    private final CelCompiler pointsCompiler;

    private final CelRuntime runtime;
    private final CelRuntime pointsRuntime;
    private final SequenceCompiler sequences;

    /** A compiler for a job whose window stages compute the features of the given entities. */
    public RuleSetCompiler(Set<Entity> computedEntities) {
        this.computedEntities = EnumSet.copyOf(computedEntities);
        var builder = CelCompilerFactory.standardCelCompilerBuilder()
                .setOptions(OPTIONS)
                .setResultType(SimpleType.BOOL);
        PaymentVariables.FIELDS.forEach(builder::addVar);
        for (Entity e : Entity.values()) {
            builder.addVar(e.ruleName(), PaymentVariables.FEATURE_MAP);
        }
        this.compiler = builder.build();
        var points = CelCompilerFactory.standardCelCompilerBuilder().setOptions(OPTIONS);
        PaymentVariables.FIELDS.forEach(points::addVar);
        for (Entity e : Entity.values()) {
            points.addVar(e.ruleName(), PaymentVariables.FEATURE_MAP);
        }
        // min and max bound a points expression, e.g. min(60.0, 12.0 * card.amount_ratio_30d).
        for (String f : List.of("min", "max")) {
            points.addFunctionDeclarations(CelFunctionDecl.newFunctionDeclaration(
                    f,
                    CelOverloadDecl.newGlobalOverload(
                            f + "_double", SimpleType.DOUBLE, SimpleType.DOUBLE, SimpleType.DOUBLE),
                    CelOverloadDecl.newGlobalOverload(f + "_int", SimpleType.INT, SimpleType.INT, SimpleType.INT)));
        }
        this.pointsCompiler = points.build();
        this.pointsRuntime = CelRuntimeFactory.standardCelRuntimeBuilder()
                .setOptions(OPTIONS)
                .addFunctionBindings(
                        CelFunctionBinding.from("min_double", Double.class, Double.class, Math::min),
                        CelFunctionBinding.from("min_int", Long.class, Long.class, Math::min),
                        CelFunctionBinding.from("max_double", Double.class, Double.class, Math::max),
                        CelFunctionBinding.from("max_int", Long.class, Long.class, Math::max))
                .build();
        this.runtime = CelRuntimeFactory.standardCelRuntimeBuilder()
                .setOptions(OPTIONS)
                .build();
        this.sequences = new SequenceCompiler(this, OPTIONS);
    }

    /** The compiler for this version of Veto's job, which computes card features. */
    public static RuleSetCompiler forJob() {
        return new RuleSetCompiler(EnumSet.allOf(Entity.class));
    }

    public CompiledRuleSet compile(RuleSet ruleSet) throws RuleSetException {
        List<RuleProblem> problems = new ArrayList<>();
        String manifestText = ruleSet.files().get(RuleSet.MANIFEST);
        int review = 0;
        int deny = 0;
        if (manifestText == null) {
            problems.add(new RuleProblem(
                    RuleSet.MANIFEST,
                    1,
                    1,
                    "a rule set needs a " + RuleSet.MANIFEST + " with its name and thresholds"));
        } else {
            YamlNodes y = new YamlNodes(RuleSet.MANIFEST, problems);
            Node root = y.parse(manifestText);
            if (root != null) {
                Map<String, Node> m = y.mapping(root, "the rule set manifest");
                y.rejectUnknownKeys(m, MANIFEST_KEYS, "the rule set manifest");
                String name = m.containsKey("name") ? y.text(m.get("name"), "name") : null;
                // The name keys the rule set on the rules topic and starts its version: keep it plain.
                if (name != null && !RULE_ID.matcher(name).matches()) {
                    y.problem(
                            m.get("name"),
                            "rule set name '" + name
                                    + "' must be lower-case letters, digits, '-', '_' or '.', at most 64");
                }
                Node th = m.get("thresholds");
                if (th == null) {
                    y.problem(root, "missing 'thresholds' (review and deny scores)");
                } else {
                    Map<String, Node> t = y.mapping(th, "thresholds");
                    y.rejectUnknownKeys(t, THRESHOLD_KEYS, "thresholds");
                    Integer r = t.containsKey("review") ? y.integer(t.get("review"), "thresholds.review") : null;
                    Integer d = t.containsKey("deny") ? y.integer(t.get("deny"), "thresholds.deny") : null;
                    if (r == null || d == null) {
                        y.problem(th, "thresholds need both 'review' and 'deny'");
                    } else if (r <= 0 || d <= r) {
                        y.problem(
                                th, "thresholds must satisfy 0 < review < deny (got review " + r + ", deny " + d + ")");
                    } else {
                        review = r;
                        deny = d;
                    }
                }
            }
        }

        List<CompiledRule> rules = new ArrayList<>();
        List<EntityList> lists = new ArrayList<>();
        List<Example> examples = new ArrayList<>();
        List<ExampleCompiler.Reference> references = new ArrayList<>();
        Map<String, String> seenIds = new HashMap<>();
        Map<String, String> seenListIds = new HashMap<>();
        for (Map.Entry<String, String> f : ruleSet.files().entrySet()) {
            if (f.getKey().equals(RuleSet.MANIFEST)) {
                continue;
            }
            YamlNodes y = new YamlNodes(f.getKey(), problems);
            Node root = y.parse(f.getValue());
            if (root == null) {
                continue;
            }
            Map<String, Node> top =
                    y.mapping(root, ListCompiler.isListFile(f.getKey()) ? "a list file" : "a rule file");
            if (top.isEmpty()) {
                continue;
            }
            if (ListCompiler.isListFile(f.getKey())) {
                EntityList l = ListCompiler.compile(y, root, top, seenListIds);
                if (l != null) {
                    lists.add(l);
                }
            } else {
                compileFile(y, f.getValue(), root, top, rules, seenIds);
            }
            if (top.containsKey("examples")) {
                examples.addAll(ExampleCompiler.compile(y, top.get("examples"), references));
            }
        }
        checkExamples(examples, references, seenIds, seenListIds, problems);
        if (!problems.isEmpty()) {
            throw new RuleSetException(problems);
        }
        return new CompiledRuleSet(ruleSet.version(), review, deny, rules, lists, examples);
    }

    /** Example names are unique; what examples expect to fire must be a rule or list of the set. */
    private static void checkExamples(
            List<Example> examples,
            List<ExampleCompiler.Reference> references,
            Map<String, String> ruleIds,
            Map<String, String> listIds,
            List<RuleProblem> problems) {
        Map<String, String> names = new HashMap<>();
        for (Example ex : examples) {
            String prev = names.putIfAbsent(ex.name(), ex.location());
            if (prev != null) {
                problems.add(new RuleProblem(
                        ex.file(),
                        ex.line(),
                        ex.column(),
                        "duplicate example name '" + ex.name() + "' (first at " + prev + ")"));
            }
        }
        for (ExampleCompiler.Reference r : references) {
            String id = r.id();
            boolean known = id.startsWith("list:") ? listIds.containsKey(id.substring(5)) : ruleIds.containsKey(id);
            if (!known) {
                String hint = !id.startsWith("list:") && listIds.containsKey(id)
                        ? "; '" + id + "' is a list: write list:" + id
                        : " (rules are named by id, lists as list:<id>)";
                r.yaml().problem(r.node(), "no rule or list '" + id + "' in this rule set" + hint);
            }
        }
    }

    private void compileFile(
            YamlNodes y,
            String text,
            Node root,
            Map<String, Node> top,
            List<CompiledRule> rules,
            Map<String, String> seenIds) {
        if (!top.containsKey("rules")
                && !top.containsKey("sequences")
                && (top.containsKey("values") || top.containsKey("kind") || top.containsKey("entity"))) {
            y.problem(
                    root,
                    "this looks like an allow or block list: lists go in the rule set's " + ListCompiler.DIRECTORY
                            + " directory");
            return;
        }
        y.rejectUnknownKeys(top, RULE_FILE_KEYS, "a rule file");
        if (!top.containsKey("rules") && !top.containsKey("sequences")) {
            if (!top.containsKey("examples")) {
                y.problem(root, "a rule file needs a 'rules:' or 'sequences:' list");
            }
            return;
        }
        if (top.containsKey("rules")) {
            for (Node rn : y.sequence(top.get("rules"), "'rules'")) {
                compileRule(y, text, rn, false, rules, seenIds);
            }
        }
        if (top.containsKey("sequences")) {
            for (Node rn : y.sequence(top.get("sequences"), "'sequences'")) {
                compileRule(y, text, rn, true, rules, seenIds);
            }
        }
    }

    /** One rule or sequence rule: the parts they share, then the sequence's pattern. */
    private void compileRule(
            YamlNodes y,
            String text,
            Node rn,
            boolean sequence,
            List<CompiledRule> rules,
            Map<String, String> seenIds) {
        String file = y.file();
        String what = sequence ? "a sequence rule" : "a rule";
        Map<String, Node> r = y.mapping(rn, what);
        if (r.isEmpty()) {
            return;
        }
        if (!sequence && r.containsKey("steps")) {
            y.problem(
                    r.get("steps"), "a rule with 'steps' is a sequence rule: list it under 'sequences:', not 'rules:'");
            return;
        }
        y.rejectUnknownKeys(r, sequence ? SEQUENCE_RULE_KEYS : RULE_KEYS, what);
        String id = r.containsKey("id") ? y.text(r.get("id"), "id") : null;
        if (id == null) {
            y.problem(rn, what + " needs an 'id'");
            return;
        }
        if (!RULE_ID.matcher(id).matches()) {
            y.problem(
                    r.get("id"),
                    "rule id '" + id + "' must be lower-case letters, digits, '-', '_' or '.', at most 64");
        }
        int line = rn.getStartMark().getLine() + 1;
        String prev = seenIds.putIfAbsent(id, file + ":" + line);
        if (prev != null) {
            y.problem(r.get("id"), "duplicate rule id '" + id + "' (first defined at " + prev + ")");
        }
        String mode = r.containsKey("mode") ? y.text(r.get("mode"), "mode") : "active";
        if (mode != null && !mode.equals("active") && !mode.equals("shadow")) {
            y.problem(r.get("mode"), "mode must be 'active' or 'shadow', not '" + mode + "'");
        }
        Integer points = null;
        String pointsExpr = null;
        Node pointsNode = r.get("points");
        if (pointsNode instanceof ScalarNode sn
                && !WHOLE_NUMBER.matcher(sn.getValue().trim()).matches()) {
            pointsExpr = y.text(pointsNode, "points");
            points = 0;
        } else if (pointsNode != null) {
            points = y.integer(pointsNode, "points");
        }
        Outcome outcome = null;
        if (r.containsKey("outcome")) {
            String o = y.text(r.get("outcome"), "outcome");
            if (o != null) {
                try {
                    outcome = Outcome.valueOf(o.trim().toUpperCase(Locale.ROOT));
                    if (outcome == Outcome.APPROVE) {
                        y.problem(
                                r.get("outcome"),
                                "a rule's outcome can be REVIEW or DENY; trusted entities belong in an allow list");
                    }
                } catch (IllegalArgumentException e) {
                    y.problem(r.get("outcome"), "outcome must be REVIEW or DENY, not '" + o + "'");
                }
            }
        }
        if (points == null && outcome == null) {
            y.problem(rn, "rule '" + id + "' needs 'points' or an 'outcome'");
        }
        long from = r.containsKey("validFrom") ? orZero(y.instant(r.get("validFrom"), "validFrom")) : Long.MIN_VALUE;
        long until =
                r.containsKey("validUntil") ? orZero(y.instant(r.get("validUntil"), "validUntil")) : Long.MAX_VALUE;
        if (from >= until) {
            y.problem(r.get("validUntil"), "validUntil must be after validFrom");
        }
        int before = y.problemCount();
        // A sequence rule's 'when' is optional: checked at the completing payment, with its features.
        Node when = r.get("when");
        String expr;
        Condition c;
        if (when == null) {
            if (!sequence) {
                y.problem(rn, "rule '" + id + "' needs a 'when' condition");
                return;
            }
            expr = null;
            c = alwaysTrue();
        } else {
            expr = y.text(when, "when");
            if (expr == null) {
                return;
            }
            c = condition(file, text, (ScalarNode) when, expr, y);
        }
        Condition pc = pointsExpr == null ? null : points(file, text, (ScalarNode) pointsNode, pointsExpr, y);
        if (pc != null && c != null) {
            // The features the points read are computed and shown with the rule's own.
            Map<String, FeatureSpec> merged = new LinkedHashMap<>(c.features);
            pc.features.forEach(merged::putIfAbsent);
            LinkedHashSet<String> fields = new LinkedHashSet<>(c.fields);
            fields.addAll(pc.fields);
            c = new Condition(c.program, Collections.unmodifiableMap(merged), List.copyOf(fields), c.idents);
        }
        CompiledSequence seq = sequence ? sequences.compile(id, y, text, rn, r) : null;
        String explain = r.containsKey("explain") ? y.text(r.get("explain"), "explain") : null;
        Map<String, FeatureSpec> features =
                c == null ? Map.of() : explainFeatures(text, r.get("explain"), explain, c.features, y);
        List<String> tags = r.containsKey("tags")
                ? y.scalars(r.get("tags"), "tags").stream()
                        .map(n -> ((ScalarNode) n).getValue())
                        .toList()
                : List.of();
        if (c == null || y.problemCount() > before) {
            return;
        }
        RuleDefinition def = new RuleDefinition(
                id,
                r.containsKey("description") ? y.text(r.get("description"), "description") : "",
                r.containsKey("owner") ? y.text(r.get("owner"), "owner") : "",
                file,
                line,
                expr,
                points == null ? 0 : points,
                outcome,
                "shadow".equals(mode),
                explain,
                from,
                until,
                tags,
                seq == null ? null : seq.definition(),
                pointsExpr);
        rules.add(new CompiledRule(def, c.program, features, c.fields, seq, pc == null ? null : pc.program));
    }

    /**
     * Compiles a {@code points:} expression with the names a condition may use; it must have a
     * numeric type. Null (problems recorded) otherwise.
     */
    private Condition points(String file, String fileText, ScalarNode node, String expr, YamlNodes y) {
        Condition c = condition(pointsCompiler, pointsRuntime, RULE_NAMES_HINT, file, fileText, node, expr, y);
        if (c == null) {
            return null;
        }
        try {
            var type = pointsCompiler.compile(expr).getAst().getResultType();
            if (type != SimpleType.INT && type != SimpleType.DOUBLE && type != SimpleType.UINT) {
                y.problem(
                        node,
                        "points must be a number or a numeric expression; '" + expr.trim() + "' is of type "
                                + type.name() + " (write 1.0, not 1, next to a feature)");
                return null;
            }
        } catch (CelValidationException e) {
            throw new IllegalStateException("compiled once, not twice: " + expr, e);
        }
        return c;
    }

    private Condition alwaysTrue() {
        try {
            return new Condition(
                    runtime.createProgram(compiler.compile("true").getAst()), Map.of(), List.of(), Set.of());
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long orZero(Long t) {
        return t == null ? 0 : t;
    }

    /**
     * Checks the {placeholders} of an explanation: each must be a payment field or a feature. Features
     * named only in the explanation are added to the rule's, so they are computed and shown.
     */
    private Map<String, FeatureSpec> explainFeatures(
            String fileText, Node node, String explain, Map<String, FeatureSpec> conditionFeatures, YamlNodes y) {
        if (explain == null) {
            return conditionFeatures;
        }
        Map<String, FeatureSpec> out = new LinkedHashMap<>(conditionFeatures);
        ScalarPositions pos = new ScalarPositions(fileText, (ScalarNode) node);
        Matcher m = CompiledRuleSet.PLACEHOLDER.matcher(explain);
        while (m.find()) {
            String name = m.group(1);
            int dot = name.indexOf('.');
            String problem = null;
            if (dot < 0) {
                if (!PaymentVariables.FIELDS.containsKey(name)) {
                    problem = "explain names {" + name + "}, which is not a payment field ("
                            + String.join(", ", PaymentVariables.FIELDS.keySet()) + ")";
                }
            } else {
                Entity entity = Entity.fromRuleName(name.substring(0, dot));
                if (entity == null) {
                    problem = "explain names {" + name + "}: '" + name.substring(0, dot)
                            + "' is not an entity with features";
                } else {
                    try {
                        FeatureSpec spec = FeatureSpec.parse(entity, name.substring(dot + 1));
                        if (!computedEntities.contains(entity)) {
                            problem = "explain names {" + name + "}: features of '" + entity.ruleName()
                                    + "' are not computed by this job";
                        } else {
                            out.putIfAbsent(name, spec);
                        }
                    } catch (IllegalArgumentException e) {
                        problem = "explain names {" + name + "}: " + e.getMessage();
                    }
                }
            }
            if (problem != null) {
                int[] lc = pos.lineColumn(m.start());
                y.addProblem(lc[0], lc[1], problem);
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** @param features by the name the rule writes ({@code card.count_24h}), which may not be the canonical one ({@code card.count_1d}) */
    /** @param idents every name the expression reads */
    record Condition(
            CelRuntime.Program program, Map<String, FeatureSpec> features, List<String> fields, Set<String> idents) {}

    private Condition condition(String file, String fileText, ScalarNode node, String expr, YamlNodes y) {
        return condition(compiler, runtime, RULE_NAMES_HINT, file, fileText, node, expr, y);
    }

    /** Compiles a condition with the given CEL environment; null (problems recorded) when it does not compile. */
    Condition condition(
            CelCompiler compiler,
            CelRuntime runtime,
            String namesHint,
            String file,
            String fileText,
            ScalarNode node,
            String expr,
            YamlNodes y) {
        List<RuleProblem> problems = new ArrayList<>();
        Condition c = condition(compiler, runtime, namesHint, file, fileText, node, expr, problems);
        problems.forEach(p -> y.addProblem(p.line(), p.column(), p.message()));
        return problems.isEmpty() ? c : null;
    }

    private Condition condition(
            CelCompiler compiler,
            CelRuntime runtime,
            String namesHint,
            String file,
            String fileText,
            ScalarNode node,
            String expr,
            List<RuleProblem> problems) {
        Position pos = new Position(file, fileText, node);
        if (expr.length() > MAX_EXPRESSION_CHARS) {
            problems.add(pos.at(
                    1, 0, "condition is " + expr.length() + " characters; the limit is " + MAX_EXPRESSION_CHARS));
            return null;
        }
        CelAbstractSyntaxTree ast;
        try {
            ast = compiler.compile(expr).getAst();
        } catch (CelValidationException e) {
            for (CelIssue issue : e.getErrors()) {
                CelSourceLocation l = issue.getSourceLocation();
                problems.add(pos.at(
                        Math.max(1, l.getLine()),
                        Math.max(0, l.getColumn()),
                        explainCelError(issue.getMessage(), namesHint)));
            }
            return null;
        }
        CelSource source = ast.getSource();
        Map<String, FeatureSpec> features = new LinkedHashMap<>();
        LinkedHashSet<String> fields = new LinkedHashSet<>();
        Set<String> idents = new HashSet<>();
        CelNavigableAst nav = CelNavigableAst.fromAst(ast);
        nav.getRoot().allNodes().forEach(n -> {
            CelExpr e = n.expr();
            switch (e.getKind()) {
                case IDENT -> {
                    String name = e.ident().name();
                    idents.add(name);
                    Entity entity = Entity.fromRuleName(name);
                    if (entity == null) {
                        if (PaymentVariables.FIELDS.containsKey(name)) {
                            fields.add(name);
                        }
                        return;
                    }
                    boolean selected = n.parent()
                            .map(p -> p.expr().getKind() == CelExpr.ExprKind.Kind.SELECT)
                            .orElse(false);
                    if (!selected) {
                        problems.add(pos.atOffset(
                                source,
                                e.id(),
                                "name features as " + name + ".<feature>, e.g. " + name + ".count_10m"));
                        return;
                    }
                    CelExpr sel = n.parent().get().expr();
                    try {
                        FeatureSpec spec =
                                FeatureSpec.parse(entity, sel.select().field());
                        if (!computedEntities.contains(entity)) {
                            problems.add(pos.atOffset(
                                    source,
                                    sel.id(),
                                    "features of '" + name + "' are not computed by this job; available: "
                                            + computedEntities.stream()
                                                    .map(Entity::ruleName)
                                                    .toList()));
                        } else {
                            features.putIfAbsent(name + "." + sel.select().field(), spec);
                        }
                    } catch (IllegalArgumentException ex) {
                        problems.add(pos.atOffset(source, sel.id(), ex.getMessage()));
                    }
                }
                case CALL -> checkRegex(n, source, pos, problems);
                default -> {}
            }
        });
        try {
            return new Condition(
                    runtime.createProgram(ast),
                    Collections.unmodifiableMap(features),
                    List.copyOf(fields),
                    Set.copyOf(idents));
        } catch (CelEvaluationException e) {
            problems.add(pos.at(1, 0, "cannot compile condition: " + e.getMessage()));
            return null;
        }
    }

    private static void checkRegex(CelNavigableExpr n, CelSource source, Position pos, List<RuleProblem> problems) {
        CelExpr.CelCall call = n.expr().call();
        if (!call.function().equals("matches")) {
            return;
        }
        CelExpr pattern = call.args().get(call.args().size() - 1);
        if (pattern.getKind() != CelExpr.ExprKind.Kind.CONSTANT
                || pattern.constant().getKind() != CelConstant.Kind.STRING_VALUE) {
            problems.add(pos.atOffset(
                    source, n.expr().id(), "regular expressions must be constant strings, written in the rule"));
            return;
        }
        String re = pattern.constant().stringValue();
        if (re.length() > MAX_REGEX_CHARS) {
            problems.add(pos.atOffset(
                    source,
                    pattern.id(),
                    "regular expression is " + re.length() + " characters; the limit is " + MAX_REGEX_CHARS));
        } else if (NESTED_QUANTIFIER.matcher(re).find()) {
            problems.add(
                    pos.atOffset(
                            source,
                            pattern.id(),
                            "regular expression '" + re
                                    + "' nests quantifiers (catastrophic backtracking form); rewrite it without a repeated group that itself repeats"));
        } else {
            try {
                com.google.re2j.Pattern.compile(re);
            } catch (PatternSyntaxException ex) {
                problems.add(pos.atOffset(source, pattern.id(), "invalid regular expression: " + ex.getDescription()));
            }
        }
    }

    private static final String RULE_NAMES_HINT =
            "payment fields: " + String.join(", ", PaymentVariables.FIELDS.keySet())
                    + "; features: <entity>.<feature> with entity one of card, customer, merchant, terminal, device, ip, bin";

    private static String explainCelError(String msg, String namesHint) {
        String m = msg.replaceFirst("^ERROR: <input>:\\d+:\\d+: ", "");
        int nl = m.indexOf('\n');
        m = nl > 0 ? m.substring(0, nl) : m;
        // CEL names the (empty) container it looked in; rules have none, so that only confuses.
        m = m.replace(" (in container '')", "");
        if (m.startsWith("mismatched input")
                || m.startsWith("extraneous input")
                || m.startsWith("no viable alternative")
                || m.startsWith("token recognition error")) {
            return "syntax error: " + m;
        }
        if (m.startsWith("undeclared reference to")) {
            return m + " (" + namesHint + ")";
        }
        return m;
    }

    private static Set<String> orderedSet(String... keys) {
        return new LinkedHashSet<>(List.of(keys));
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new LinkedHashSet<>(a);
        u.addAll(b);
        return u;
    }

    /** Maps a position inside a condition to the rule file's line and column. */
    private static final class Position {
        private final String file;
        private final ScalarPositions positions;

        Position(String file, String text, ScalarNode node) {
            this.file = file;
            this.positions = new ScalarPositions(text, node);
        }

        /** @param line 1-based line in the condition; @param col 0-based column in that line */
        RuleProblem at(int line, int col, String message) {
            int[] lc = positions.lineColumn(line, col);
            return new RuleProblem(file, lc[0], lc[1], message);
        }

        RuleProblem atOffset(CelSource source, long exprId, String message) {
            Integer offset = source.getPositionsMap().get(exprId);
            if (offset == null) {
                return at(1, 0, message);
            }
            int[] lc = positions.lineColumn(offset);
            return new RuleProblem(file, lc[0], lc[1], message);
        }
    }
}
