package io.veto.rule;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DefaultRulesCompileTest {
    @Test
    void shouldCompileTheShippedDefaultRuleSet() throws Exception {
        CompiledRuleSet rules = RuleSetCompiler.forJob().compile(RuleSet.fromDirectory(Path.of("rules/default")));
        assertThat(rules.size()).isGreaterThanOrEqualTo(8);
        assertThat(rules.version()).startsWith("default@");
    }
}
