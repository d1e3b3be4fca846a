package io.veto.bench;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoField;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.api.java.typeutils.TypeExtractor;

/**
 * Flink's own POJO serializer of a class that has a serializer of Veto's: what Flink used before,
 * built field by field (the type extractor now picks Veto's), as the baseline of the serialization
 * benchmarks.
 */
final class FlinkPojo {
    private FlinkPojo() {}

    static <T> TypeSerializer<T> serializer(Class<T> type) {
        List<PojoField> fields = new ArrayList<>();
        for (Field f : type.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) && !Modifier.isTransient(f.getModifiers())) {
                fields.add(new PojoField(f, TypeExtractor.createTypeInfo(f.getGenericType())));
            }
        }
        return new PojoTypeInfo<>(type, fields).createSerializer(new SerializerConfigImpl());
    }
}
