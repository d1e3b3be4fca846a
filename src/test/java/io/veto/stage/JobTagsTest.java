package io.veto.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The names savepoints and the wiring depend on: a rename here loses state on restore. */
class JobTagsTest {
    @Test
    void shouldKeepTheStateNamesOfEarlierReleases() {
        assertThat(List.of(
                        JobTags.cardWindow().getName(),
                        JobTags.cardWaiting().getName(),
                        JobTags.entityWindow().getName(),
                        JobTags.entityWaiting().getName(),
                        JobTags.customerWaiting().getName(),
                        JobTags.RULES.getName()))
                .containsExactly(
                        "card-window",
                        "card-waiting",
                        "entity-window",
                        "entity-waiting-at-checkpoint",
                        "customer-waiting",
                        "active-rule-set");
    }

    @Test
    void shouldGiveEverySideOutputItsOwnId() {
        assertThat(List.of(
                        JobTags.DLQ,
                        JobTags.ENTITY_REQUESTS,
                        JobTags.CUSTOMER_EVENTS,
                        JobTags.RULE_ACKS,
                        JobTags.CARD_ALERTS,
                        JobTags.CUSTOMER_ALERTS))
                .extracting(t -> t.getId())
                .doesNotHaveDuplicates();
    }

    @Test
    void shouldMakeAFreshKeyedStateDescriptorForEachOperator() {
        assertThat(JobTags.cardWindow()).isNotSameAs(JobTags.cardWindow());
    }
}
