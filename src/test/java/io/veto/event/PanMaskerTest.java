package io.veto.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every form of card number the masker must catch in free text, and what it must leave alone. */
class PanMaskerTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "plain|card 4111111111111111 used|card 411111******1111 used",
                "spaces|card 4111 1111 1111 1111 used|card 4111 11** **** 1111 used",
                "double spaces|4111  1111  1111  1111|4111  11**  ****  1111",
                "dashes|4111-1111-1111-1111|4111-11**-****-1111",
                "dots|4111.1111.1111.1111|4111.11**.****.1111",
                "slashes|4111/1111/1111/1111|4111/11**/****/1111",
                "space dash space|4111 - 1111 - 1111 - 1111|4111 - 11** - **** - 1111",
                "amex|378282246310005|378282*****0005",
                "twelve digits|411111111117|411111**1117",
                "nineteen digits|4111111111111111110|411111*********1110",
                "inside a longer run|x 0000411111111111111100000 y|x ************************* y",
                "full-width|４１１１１１１１１１１１１１１１|４１１１１１******１１１１",
                "not Luhn|4111111111111112|4111111111111112",
                "too short|order 12345 of 2026|order 12345 of 2026",
                "iso time|2026-11-28T12:00:00.123Z|2026-11-28T12:00:00.123Z",
            })
    void shouldMaskEveryFormOfACardNumber(String name, String text, String masked) {
        assertThat(PanMasker.mask(text)).isEqualTo(masked);
    }

    @Test
    void shouldMaskJsonEscapedDigitsAndSeparators() {
        String escaped = "{\"note\":\"\\u0034\\u0031\\u0031\\u0031\\u00201111\\u002d1111 1111\"}";
        String masked = PanMasker.mask(escaped);
        assertThat(masked).isEqualTo("{\"note\":\"\\u0034\\u0031\\u0031\\u0031\\u002011**\\u002d**** 1111\"}");
        String fullWidthEscaped = "\\uff14\\uff11\\uff11\\uff11111111111111";
        assertThat(PanMasker.mask(fullWidthEscaped)).isEqualTo("\\uff14\\uff11\\uff11\\uff1111******1111");
    }

    @Test
    void shouldMaskAPanFieldEvenWhenItFailsLuhn() {
        assertThat(PanMasker.mask("{\"pan\":\"4111 1111 1111 1111\"")).isEqualTo("{\"pan\":\"411111******1111\"");
        assertThat(PanMasker.mask("{\"PAN\": 4111111111111112}")).doesNotContain("4111111111111112");
    }

    @Test
    void shouldMaskEveryMessageOfAThrowableForALog() {
        Throwable t =
                new IllegalStateException("bad 4111111111111111", new RuntimeException("cause 4111-1111-1111-1111"));
        Throwable m = PanMasker.masked(t);
        assertThat(m.toString()).isEqualTo("java.lang.IllegalStateException: bad 411111******1111");
        assertThat(m.getCause().getMessage()).isEqualTo("java.lang.RuntimeException: cause 4111-11**-****-1111");
        assertThat(m.getStackTrace()).isEqualTo(t.getStackTrace());
    }

    @Test
    void shouldTellAFieldHoldingACardNumber() {
        assertThat(PanMasker.containsPan("tok_4111111111111111")).isTrue();
        assertThat(PanMasker.containsPan("411111111117")).isTrue();
        assertThat(PanMasker.containsPan("dev-411111111117")).isFalse();
        assertThat(PanMasker.containsPan("411.111.111.117")).isFalse();
        assertThat(PanMasker.containsPan("x12345678901234567890123")).isTrue();
        assertThat(PanMasker.containsPan("0f8fad5b-d9cb-4692-8123-456789012345"))
                .isFalse();
        assertThat(PanMasker.containsPan("tok_QmFzZTY0VG9rZW4xMjM0")).isFalse();
    }
}
