package dev.mcpsandbox.tools.discovery;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JSON Schema → TypeScript type. Objects are written inline (to a bounded depth and width); what a
 * type cannot say precisely becomes {@code unknown}: unresolvable or recursive {@code $ref}s, schemas
 * that are not objects, types that would grow past a readable length.
 */
final class TypeScriptTypes {
    static final String UNKNOWN = "unknown";
    private static final String NULL = "null";
    private static final String OPEN_RECORD = "{ [key: string]: unknown }";
    private static final int MAX_LENGTH = 2000;
    private static final int MAX_ENUM = 64;
    private static final int MAX_INLINE_PROPERTIES = 40;

    private final Object root;
    private final Set<String> activeRefs = new HashSet<>();
    private int inlineObjectDepth = 3;

    TypeScriptTypes(Object root) {
        this.root = root;
    }

    /** The type for a schema, falling back to shallower object shapes and then {@code unknown} when it grows too long. */
    String type(Object schema) {
        int saved = inlineObjectDepth;
        try {
            for (int depth = saved; depth >= 0; depth--) {
                inlineObjectDepth = depth;
                String type = format(members(schema, 0, 0));
                if (type.length() <= MAX_LENGTH) {
                    return type;
                }
            }
            return UNKNOWN;
        } finally {
            inlineObjectDepth = saved;
        }
    }

    /** A property name as written in a type: bare when it is an identifier, quoted otherwise. */
    static String propertyName(String name) {
        return SourceText.isJsName(name) ? name : SourceText.quote(name);
    }

    private Set<String> members(Object schema, int depth, int objectDepth) {
        Map<?, ?> m = Schemas.map(schema);
        if (m == null || depth > Schemas.MAX_DEPTH) {
            return null;
        }
        String ref = Schemas.string(m, "$ref");
        if (ref != null) {
            if (!activeRefs.add(ref)) {
                return null;
            }
            try {
                Object target = Schemas.pointer(root, ref);
                return target == null ? null : members(target, depth + 1, objectDepth);
            } finally {
                activeRefs.remove(ref);
            }
        }
        Set<String> out = new LinkedHashSet<>();
        boolean nullable = Boolean.TRUE.equals(Schemas.get(m, "nullable"));
        if (Schemas.has(m, "const")) {
            String literal = literal(Schemas.get(m, "const"));
            if (literal != null) {
                out.add(literal);
                return out;
            }
        }
        List<?> values = Schemas.list(m, "enum");
        if (values != null && !values.isEmpty() && values.size() <= MAX_ENUM) {
            Set<String> literals = new LinkedHashSet<>();
            for (Object v : values) {
                String literal = literal(v);
                if (literal == null) {
                    literals = null;
                    break;
                }
                literals.add(literal);
            }
            if (literals != null) {
                out.addAll(literals);
                if (nullable) {
                    out.add(NULL);
                }
                return out;
            }
        }
        List<Object> alternatives = Schemas.alternatives(m);
        if (!alternatives.isEmpty()) {
            for (Object branch : alternatives) {
                Set<String> b = members(branch, depth + 1, objectDepth);
                if (b == null) {
                    return null;
                }
                out.addAll(b);
            }
            if (nullable) {
                out.add(NULL);
            }
            return out;
        }
        List<String> types = Schemas.types(m);
        List<?> allOf = Schemas.list(m, "allOf");
        if (types.isEmpty() && allOf != null && !allOf.isEmpty()) {
            List<String> parts = new ArrayList<>();
            for (Object branch : allOf) {
                Set<String> b = members(branch, depth + 1, objectDepth);
                if (b == null) {
                    return null;
                }
                String part = format(b);
                parts.add(b.size() > 1 ? "(" + part + ")" : part);
            }
            out.add(parts.size() == 1 ? parts.get(0) : "(" + String.join(" & ", parts) + ")");
            if (nullable) {
                out.add(NULL);
            }
            return out;
        }
        if (types.isEmpty()) {
            if (Schemas.has(m, "properties") || Schemas.has(m, "additionalProperties")
                    || Schemas.has(m, "patternProperties")) {
                types = List.of("object");
            } else if (Schemas.has(m, "items") || Schemas.has(m, "prefixItems")) {
                types = List.of("array");
            } else {
                return null;
            }
        }
        for (String type : types) {
            switch (type) {
                case "string" -> out.add("string");
                case "integer", "number" -> out.add("number");
                case "boolean" -> out.add("boolean");
                case "null" -> out.add(NULL);
                case "object" -> out.add(object(m, depth, objectDepth));
                case "array" -> {
                    Object items = Schemas.get(m, "items");
                    Set<String> item = items instanceof Map<?, ?> ? members(items, depth + 1, objectDepth) : null;
                    String element = format(item);
                    boolean wrap = item != null && (item.size() > 1 || element.startsWith("-"));
                    out.add(wrap ? "(" + element + ")[]" : element + "[]");
                }
                default -> {
                    return null;
                }
            }
        }
        if (nullable) {
            out.add(NULL);
        }
        return out;
    }

    private String object(Map<?, ?> m, int depth, int objectDepth) {
        List<Schemas.Property> properties = Schemas.properties(m, root);
        if (properties.isEmpty()) {
            Object additional = Schemas.get(m, "additionalProperties");
            if (additional instanceof Map<?, ?> && objectDepth < inlineObjectDepth) {
                return "{ [key: string]: " + format(members(additional, depth + 1, objectDepth + 1)) + " }";
            }
            return OPEN_RECORD;
        }
        if (objectDepth >= inlineObjectDepth || properties.size() > MAX_INLINE_PROPERTIES) {
            return OPEN_RECORD;
        }
        List<String> fields = new ArrayList<>();
        for (Schemas.Property p : properties) {
            String type = format(members(p.schema(), depth + 1, objectDepth + 1));
            fields.add(propertyName(p.name()) + (p.required() ? "" : "?") + ": " + type);
        }
        return "{ " + String.join("; ", fields) + " }";
    }

    static String format(Set<String> members) {
        if (members == null || members.isEmpty() || members.contains(UNKNOWN)) {
            return UNKNOWN;
        }
        return String.join(" | ", members);
    }

    /** A JSON value as a literal type; null for values that have none (objects, arrays, NaN). */
    static String literal(Object value) {
        if (value == null) {
            return NULL;
        }
        if (value instanceof String s) {
            return SourceText.quote(s);
        }
        if (value instanceof Boolean b) {
            return b.toString();
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof BigInteger) {
            return value.toString();
        }
        if (value instanceof BigDecimal d) {
            return d.toString();
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            return Double.isFinite(d) ? value.toString() : null;
        }
        return null;
    }
}
