package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes the JSON Schema of a contract record from its components, so the record is the one place a field is
 * declared: its name, its type, whether it is required ({@code @JsonProperty(required = true)} on arguments;
 * every field of a result is always present, as null when empty, unless it is {@code @JsonInclude(NON_ABSENT)},
 * which the schema does not repeat)
 * and its description ({@code @JsonPropertyDescription}, whose
 * {@code {placeholders}} take this server's facts: languages, default limits).
 *
 * <p>Every client sends the whole {@code tools/list} to the model, so a result's schema stays short: its fields with
 * their types, nested records as plain objects, no {@code required} list (every field of a result is always
 * present, except the {@code NON_ABSENT} ones), no descriptions (the descriptions stay on the records, for readers
 * of the code and of docs/). The arguments' schema keeps its descriptions: they are what a model reads to call.
 */
final class SchemaWriter {
    /** How an {@code Optional} field is written: left out of {@code required} (arguments), or as a nullable value (results). */
    enum Direction { ARGUMENTS, RESULT }

    private final Direction direction;
    private final Map<String, String> facts;
    private final ObjectMapper json;

    SchemaWriter(Direction direction, Map<String, String> facts, ObjectMapper json) {
        this.direction = direction;
        this.facts = Map.copyOf(facts);
        this.json = json;
    }

    Map<String, Object> object(Class<?> record) {
        if (!record.isRecord()) {
            throw new IllegalArgumentException(record + " is not a record");
        }
        Map<String, Object> properties = new LinkedHashMap<>();
        List<String> required = new ArrayList<>();
        for (RecordComponent c : record.getRecordComponents()) {
            Map<String, Object> schema = new LinkedHashMap<>(of(c.getGenericType()));
            boolean optional = isOptional(c.getGenericType());
            if (direction == Direction.ARGUMENTS) {
                Optional.ofNullable(c.getAccessor().getAnnotation(JsonPropertyDescription.class)).map(d -> fill(d.value()))
                        .filter(d -> !d.isEmpty()).ifPresent(d -> schema.put("description", d));
            }
            properties.put(c.getName(), schema);
            JsonProperty property = c.getAccessor().getAnnotation(JsonProperty.class);
            boolean leftOutWhenEmpty = Optional.ofNullable(c.getAccessor().getAnnotation(JsonInclude.class))
                    .map(i -> i.value() == JsonInclude.Include.NON_ABSENT).orElse(false);
            if (leftOutWhenEmpty) {
                schema.putAll(of(((ParameterizedType) c.getGenericType()).getActualTypeArguments()[0]));
            }
            if (direction == Direction.ARGUMENTS && property != null && property.required()) {
                required.add(c.getName());
            }
            if (direction == Direction.ARGUMENTS && optional && property != null && property.required()) {
                throw new IllegalStateException(record.getSimpleName() + "." + c.getName() + " is Optional and required");
            }
        }
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        if (!required.isEmpty()) {
            schema.put("required", required);
        }
        if (direction == Direction.ARGUMENTS) {
            schema.put("additionalProperties", false);
        }
        return schema;
    }

    private Map<String, Object> of(Type type) {
        if (type instanceof ParameterizedType p) {
            Type raw = p.getRawType();
            Type[] args = p.getActualTypeArguments();
            if (raw == Optional.class) {
                Map<String, Object> inner = new LinkedHashMap<>(of(args[0]));
                if (direction == Direction.RESULT && inner.get("type") instanceof String t) {
                    inner.put("type", List.of(t, "null"));
                    if (inner.get("enum") instanceof List<?> names) {
                        List<Object> withNull = new ArrayList<>(names);
                        withNull.add(null);
                        inner.put("enum", withNull);
                    }
                }
                return inner;
            }
            if (raw == List.class) {
                if (direction == Direction.RESULT && args[0] instanceof Class<?> item && item.isRecord()) {
                    return Map.of("type", "array");
                }
                return Map.of("type", "array", "items", of(args[0]));
            }
            if (raw == Map.class) {
                return direction == Direction.RESULT ? Map.of("type", "object")
                        : Map.of("type", "object", "additionalProperties", of(args[1]));
            }
            throw new IllegalArgumentException("no schema for " + type);
        }
        Class<?> c = (Class<?>) type;
        if (c == String.class) {
            return Map.of("type", "string");
        }
        if (c == boolean.class || c == Boolean.class) {
            return Map.of("type", "boolean");
        }
        if (c == int.class || c == Integer.class || c == long.class || c == Long.class) {
            return Map.of("type", "integer");
        }
        if (c == double.class || c == Double.class || c == Number.class) {
            return Map.of("type", "number");
        }
        if (c == JsonNode.class || c == Object.class) {
            return Map.of();
        }
        if (c.isEnum()) {
            List<Object> names = new ArrayList<>();
            for (Object constant : c.getEnumConstants()) {
                names.add(json.convertValue(constant, String.class));
            }
            return Map.of("type", "string", "enum", names);
        }
        if (c.isRecord()) {
            return direction == Direction.RESULT ? Map.of("type", "object") : object(c);
        }
        throw new IllegalArgumentException("no schema for " + type);
    }

    private static boolean isOptional(Type type) {
        return type instanceof ParameterizedType p && p.getRawType() == Optional.class;
    }

    private String fill(String description) {
        String text = description;
        for (Map.Entry<String, String> fact : facts.entrySet()) {
            text = text.replace("{" + fact.getKey() + "}", fact.getValue());
        }
        if (text.matches("(?s).*\\{[a-zA-Z.]+}.*")) {
            throw new IllegalStateException("a description names a fact nobody gave: " + text);
        }
        return text;
    }
}
