package io.veto.stage.probe;

import io.veto.job.JobOptions;
import io.veto.stage.card.CardDecisionFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.util.OutputTag;

/**
 * Operators that break the architecture on purpose, one rule each, for {@code ArchitectureTest} to
 * prove its rules fail on them. They live in the test sources only, so the job never holds them.
 */
final class ArchitectureProbes {
    private ArchitectureProbes() {}
}

/** An operator that reads the wiring's options. */
final class ReachesIntoWiring {
    Object options() {
        return JobOptions.class;
    }

    JobOptions none() {
        return null;
    }
}

/** An operator that uses another operator's class. */
final class ReachesIntoCard {
    CardDecisionFunction other() {
        return null;
    }
}

/** An operator that makes its own side-output tag instead of using JobTags'. */
final class OwnTag {
    final OutputTag<String> tag = new OutputTag<>("own", Types.STRING);
}
