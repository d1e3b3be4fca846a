package io.veto.time;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TimesTest {
    @ParameterizedTest(name = "{0} + {1} = {2}")
    @CsvSource({
        "1000, 500, 1500",
        "-1000, 500, -500",
        "9223372036854775807, 1, 9223372036854775807",
        "9223372036854775000, 86400000, 9223372036854775807",
        "9223372036854775807, 9223372036854775807, 9223372036854775807",
        "-9223372036854775808, -1, -9223372036854775808",
        "-9223372036854775808, 9223372036854775807, -1",
        "-9223372036854775000, -86400000, -9223372036854775808",
        "9223372036854775807, -1, 9223372036854775806",
        "0, -9223372036854775808, -9223372036854775808",
    })
    void shouldAddWithoutWrapping(long t, long d, long expected) {
        assertThat(Times.plusSaturating(t, d)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} - {1} = {2}")
    @CsvSource({
        "1000, 500, 500",
        "-9223372036854775808, 1, -9223372036854775808",
        "-9223372036854775000, 86400000, -9223372036854775808",
        "9223372036854775807, -1, 9223372036854775807",
        "0, -9223372036854775808, 9223372036854775807",
        "-1, -9223372036854775808, 9223372036854775807",
        "9223372036854775807, 9223372036854775807, 0",
    })
    void shouldSubtractWithoutWrapping(long t, long d, long expected) {
        assertThat(Times.minusSaturating(t, d)).isEqualTo(expected);
    }

    @Test
    void shouldPlaceTimersOnTheGridWithoutWrappingPastTheEnd() {
        assertThat(Times.nextMultipleAfter(1_000, 100)).isEqualTo(1_100);
        assertThat(Times.nextMultipleAfter(1_099, 100)).isEqualTo(1_100);
        assertThat(Times.nextMultipleAfter(-1, 100)).isZero();
        assertThat(Times.nextMultipleAfter(Long.MAX_VALUE, 100)).isEqualTo(Long.MAX_VALUE);
        assertThat(Times.nextMultipleAfter(Long.MAX_VALUE - 50, 100)).isEqualTo(9_223_372_036_854_775_800L);
        assertThat(Times.nextMultipleAfter(9_223_372_036_854_775_800L, 100)).isEqualTo(Long.MAX_VALUE);
        assertThat(Times.nextMultipleAfter(Long.MIN_VALUE, 100)).isEqualTo(-9_223_372_036_854_775_800L);
        assertThat(Times.nextMultipleAfter(Long.MIN_VALUE + 1, 1)).isEqualTo(Long.MIN_VALUE + 2);
    }
}
