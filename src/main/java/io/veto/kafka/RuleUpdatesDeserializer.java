package io.veto.kafka;

import io.veto.rule.RuleSigning;
import io.veto.rule.RulesKeySupplier;
import io.veto.stage.RuleSetGuard;
import io.veto.stage.RuleSetUpdate;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks each rules-topic record with a {@link RuleSetGuard} (signature, name, limits, examples)
 * and passes it on, accepted or refused with the reasons; the rule-aware operators then compile an
 * accepted one themselves, or answer REJECTED for a refused one. Checked here, once per
 * publication, so that nothing unsigned ever reaches the operators.
 */
public final class RuleUpdatesDeserializer implements KafkaRecordDeserializationSchema<RuleSetUpdate> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RuleUpdatesDeserializer.class);

    private final RulesKeySupplier keys;
    private transient RuleSetGuard guard;

    public RuleUpdatesDeserializer(RulesKeySupplier keys) {
        this.keys = keys;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        guard = new RuleSetGuard(keys.get());
        if (!guard.hasKey()) {
            LOG.warn(
                    "published rule sets will all be rejected: the rule-set public key is missing or unusable ({} or {})",
                    RuleSigning.ENV_PUBLIC_KEY,
                    RuleSigning.ENV_PUBLIC_KEY_FILE);
        }
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RuleSetUpdate> out) {
        if (record.value() == null) {
            return;
        }
        if (guard == null) {
            guard = new RuleSetGuard(keys.get());
        }
        String origin = record.topic() + "/" + record.partition() + "/" + record.offset();
        RuleSetUpdate u = guard.check(record.value(), origin);
        if (u.refused()) {
            LOG.warn("rule set {} ({}) refused: {}", u.version(), origin, String.join("; ", u.problems()));
        }
        out.collect(u);
    }

    @Override
    public TypeInformation<RuleSetUpdate> getProducedType() {
        return TypeInformation.of(RuleSetUpdate.class);
    }
}
