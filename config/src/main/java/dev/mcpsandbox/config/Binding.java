package dev.mcpsandbox.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Binds a section of the file, already checked against the schema, into its record. A record's defaults
 * are its own constants: their JSON form is laid under what the file gives, key by key at every depth, so
 * a key the file leaves out keeps the record's default and no list of keys lives here.
 */
final class Binding {
    /** Comments and trailing commas are allowed: operators annotate their files. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
            .addModule(optionalPaths())
            .build();

    private Binding() {
    }

    /** {@code value} over {@code defaults}; absent ({@code null}): the defaults. */
    static <T> T over(JsonNode value, T defaults) {
        return value == null ? defaults : bind(merge(JSON.valueToTree(defaults), value), defaults);
    }

    /** Each entry of the object {@code value} over {@code defaults}, in the file's order. */
    static <T> Map<String, T> each(JsonNode value, T defaults) {
        Map<String, T> entries = new LinkedHashMap<>();
        if (value != null) {
            value.fields().forEachRemaining(e -> entries.put(e.getKey(), over(e.getValue(), defaults)));
        }
        return entries;
    }

    /** {@code value} in place of {@code defaults}, nothing kept from them (a {@code pool} replaces the default pool). */
    static <T> T instead(JsonNode value, T defaults) {
        return value == null ? defaults : bind(value, defaults);
    }

    private static JsonNode merge(JsonNode base, JsonNode over) {
        if (!(base instanceof ObjectNode baseObject) || !over.isObject()) {
            return over;
        }
        ObjectNode merged = baseObject.deepCopy();
        over.fields().forEachRemaining(e -> merged.set(e.getKey(), merge(merged.path(e.getKey()), e.getValue())));
        return merged;
    }

    @SuppressWarnings("unchecked")
    private static <T> T bind(JsonNode value, T defaults) {
        try {
            return JSON.treeToValue(value, (Class<T>) defaults.getClass());
        } catch (JsonProcessingException | IllegalArgumentException e) {
            // The schema accepted the value, so the record refusing it means the two disagree: a bug, not the file's fault.
            throw new IllegalStateException("config.schema.json accepts what " + defaults.getClass().getSimpleName()
                    + " cannot hold: " + e.getMessage(), e);
        }
    }

    /**
     * The records hold an {@code Optional} only around a {@link Path} ({@code execution.workRoot},
     * {@code audit.file}): a string in the file, {@code null} when empty. This keeps jackson-datatype-jdk8 off
     * the classpath for two keys.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static SimpleModule optionalPaths() {
        SimpleModule module = new SimpleModule("optional-paths");
        module.addSerializer(Optional.class, new StdSerializer<>(Optional.class) {
            @Override
            public void serialize(Optional value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                if (value.isPresent()) {
                    gen.writeString(value.get().toString());
                } else {
                    gen.writeNull();
                }
            }
        });
        module.addDeserializer(Optional.class, new StdDeserializer<>(Optional.class) {
            @Override
            public Optional deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                return Optional.of(Path.of(p.getValueAsString()));
            }

            @Override
            public Optional getNullValue(DeserializationContext ctxt) {
                return Optional.empty();
            }
        });
        return module;
    }
}
