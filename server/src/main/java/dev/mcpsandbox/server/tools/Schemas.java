package dev.mcpsandbox.server.tools;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds JSON Schema fragments as plain maps, the form the SDK's {@code Tool.builder} takes. */
final class Schemas {
    private Schemas() {
    }

    static Map<String, Object> object(Map<String, Object> properties, List<String> required) {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        if (!required.isEmpty()) {
            schema.put("required", required);
        }
        return schema;
    }

    static Map<String, Object> type(Object type, String description) {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", type);
        if (!description.isEmpty()) {
            schema.put("description", description);
        }
        return schema;
    }

    static Map<String, Object> nullable(String type, String description) {
        return type(List.of(type, "null"), description);
    }

    static Map<String, Object> arrayOf(Map<String, Object> items, String description) {
        Map<String, Object> schema = type("array", description);
        schema.put("items", items);
        return schema;
    }

    static Map<String, Object> props(Object... keysAndSchemas) {
        Map<String, Object> props = new LinkedHashMap<>();
        for (int i = 0; i < keysAndSchemas.length; i += 2) {
            props.put((String) keysAndSchemas[i], keysAndSchemas[i + 1]);
        }
        return props;
    }
}
