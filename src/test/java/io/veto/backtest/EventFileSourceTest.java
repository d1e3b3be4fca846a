package io.veto.backtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.veto.event.EventParser;
import io.veto.event.Ingested;
import io.veto.event.PanPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backtest's file source: lines, line numbers, and where a restored reader resumes. */
class EventFileSourceTest {

    private static List<String> drain(EventFileSource.LineIterator it) {
        List<String> out = new ArrayList<>();
        while (it.hasNext()) {
            EventFileSource.Line l = it.next();
            out.add(l.number() + ":" + new String(l.bytes(), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void shouldReadLinesWithTheirNumbersSkippingBlankOnesAndCarriageReturns(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("e.jsonl"), "a\r\n\n  \nbb\nccc");

        assertThat(drain(new EventFileSource.Split(f.toString(), 0, 1).getIterator()))
                .containsExactly("1:a", "4:bb", "5:ccc");
    }

    @Test
    void shouldResumeAfterTheLastLineHandedOutNotAfterOneReadAhead(@TempDir Path dir) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 50_000; i++) {
            text.append("line-").append(i).append('\n');
        }
        Path f = Files.writeString(dir.resolve("e.jsonl"), text);
        EventFileSource.Split split = new EventFileSource.Split(f.toString(), 0, 1);
        EventFileSource.LineIterator it = split.getIterator();
        for (int i = 0; i < 30_000; i++) {
            it.next();
        }
        assertThat(it.hasNext()).isTrue(); // reads line 30,001 ahead

        EventFileSource.Split restored = (EventFileSource.Split) split.getUpdatedSplitForIterator(it);
        List<String> rest = drain(restored.getIterator());

        assertThat(rest).hasSize(20_000);
        assertThat(rest.get(0)).isEqualTo("30001:line-30001");
        assertThat(rest.get(19_999)).isEqualTo("50000:line-50000");
        assertThat(new EventFileSource.SplitSerializer()
                        .deserialize(1, new EventFileSource.SplitSerializer().serialize(restored))
                        .offset)
                .isEqualTo(restored.offset);
    }

    @Test
    void shouldTurnABadLineIntoADlqRecordNamingFileAndLineWithTheCardNumberMasked() {
        EventParser parser = new EventParser(PanPolicy.REJECT, null, EventParser.DEFAULT_MAX_BYTES);

        Ingested in = EventFileSource.parse(
                parser, "h.jsonl", 7, "{\"pan\":\"4111111111111111\", broken".getBytes(StandardCharsets.UTF_8));

        assertThat(in.event()).isNull();
        assertThat(in.rejected().sourceTopic()).isEqualTo("h.jsonl");
        assertThat(in.rejected().sourceOffset()).isEqualTo(7);
        assertThat(in.rejected().error()).isNotBlank();
        assertThat(in.rejected().payload()).doesNotContain("4111111111111111");
    }
}
