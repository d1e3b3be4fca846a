package io.veto.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The rule of every stage that waits for the watermark, without Flink: released at the
 * watermark, late behind it, before it only in a quiet spell of live traffic, and only after the
 * catch-up wait while the events are history.
 */
class EventTimeGateTest {
    /** A wall clock of live traffic: event times close to it. */
    private static final long NOW = 1_800_000_000_000L;

    private static final long MAX_WAIT = 1_000;
    private static final CatchUp CATCH_UP = CatchUp.of(CatchUp.DEFAULT_WAIT);

    private final EventTimeGate gate = new EventTimeGate(MAX_WAIT, CATCH_UP);

    @Test
    void shouldCallAnElementLateOnceTheWatermarkHasReachedIt() {
        gate.start(NOW);
        assertThat(gate.isLate(NOW - 5)).as("no watermark yet").isFalse();

        assertThat(gate.advance(NOW - 5, NOW)).isTrue();

        assertThat(gate.watermark()).isEqualTo(NOW - 5);
        assertThat(gate.isLate(NOW - 5)).isTrue();
        assertThat(gate.isLate(NOW - 4)).isFalse();
        assertThat(gate.advance(NOW - 6, NOW + 1))
                .as("a watermark never goes back")
                .isFalse();
        assertThat(gate.watermark()).isEqualTo(NOW - 5);
    }

    @Test
    void shouldReleaseBeforeTheWatermarkOnlyOnceTheElementWaitedAndTheWatermarkStalledAsLong() {
        gate.advance(NOW - 20, NOW);
        long arrived = NOW + 300;
        long wait = gate.maxWait(arrived, NOW - 10);

        assertThat(wait).isEqualTo(MAX_WAIT);
        assertThat(gate.releaseAt(arrived, wait)).as("waited maxWait").isEqualTo(arrived + MAX_WAIT);

        // The watermark moves on, though not past the element: its release moves with it.
        gate.advance(NOW - 15, NOW + 800);
        assertThat(gate.releaseAt(arrived, wait))
                .as("the watermark stalled for maxWait")
                .isEqualTo(NOW + 800 + MAX_WAIT);
        assertThat(gate.quietFrom(wait)).isEqualTo(NOW + 800 + MAX_WAIT);
    }

    @Test
    void shouldCountTheStartAsMovementSoThatRestoredElementsWaitForTheReplay() {
        gate.start(NOW);
        gate.start(NOW + 5_000);

        assertThat(gate.quietFrom(MAX_WAIT)).as("only the first start counts").isEqualTo(NOW + MAX_WAIT);
        assertThat(gate.releaseAt(NOW - 60_000, MAX_WAIT))
                .as("an element restored from before the start")
                .isEqualTo(NOW + MAX_WAIT);
    }

    @Test
    void shouldStartOnTheFirstLookWhenNotStartedExplicitly() {
        assertThat(gate.quietFrom(MAX_WAIT)).isEqualTo(Long.MIN_VALUE);

        assertThat(gate.advance(Long.MIN_VALUE, NOW)).as("no watermark yet").isFalse();

        assertThat(gate.quietFrom(MAX_WAIT)).isEqualTo(NOW + MAX_WAIT);
    }

    @Test
    void shouldWaitTheCatchUpWaitWhileTheWatermarkIsHistory() {
        gate.start(NOW);
        long dayAgo = NOW - 86_400_000L;

        assertThat(gate.maxWait(NOW, dayAgo))
                .as("no watermark: judged by the element")
                .isEqualTo(CATCH_UP.catchUpMillis());
        assertThat(gate.maxWait(NOW, NOW - 5)).isEqualTo(MAX_WAIT);

        gate.advance(dayAgo, NOW);
        assertThat(gate.maxWait(NOW, NOW - 5))
                .as("judged by the watermark once there is one")
                .isEqualTo(CATCH_UP.catchUpMillis());

        gate.advance(NOW - 5, NOW + 10);
        assertThat(gate.maxWait(NOW + 10, dayAgo))
                .as("the watermark turned live")
                .isEqualTo(MAX_WAIT);
    }

    @Test
    void shouldRoundChecksUpSoThatOneServesManyElements() {
        assertThat(EventTimeGate.checkAt(1_000)).isEqualTo(1_100);
        assertThat(EventTimeGate.checkAt(1_001)).isEqualTo(1_100);
        assertThat(EventTimeGate.checkAt(1_099)).isEqualTo(1_100);
    }
}
