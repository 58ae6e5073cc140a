package dev.mcpsandbox.tools.discovery;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JSON Schema → Python type hint. What a hint cannot say precisely becomes {@code Any}: unresolvable or
 * recursive {@code $ref}s, {@code allOf} of different shapes, schemas that are not objects, and hints
 * that would grow past a readable length.
 */
final class PythonTypes {
    static final String ANY = "Any";
    private static final String NONE = "None";
    private static final int MAX_LENGTH = 200;
    private static final int MAX_ENUM = 64;

    private static final int MAX_SHAPE_PROPERTIES = 20;
    private static final int MAX_SHAPE_NESTING = 3;

    private final Object root;
    private final boolean shapes;
    private final Set<String> activeRefs = new HashSet<>();
    private int shapeNesting;

    PythonTypes(Object root) {
        this(root, false);
    }

    /**
     * @param shapes write objects that list their properties as {@code {name: str, note?: str}} instead
     *               of {@code dict[str, Any]}: not Python, but what a docstring should tell a reader
     */
    PythonTypes(Object root, boolean shapes) {
        this.root = root;
        this.shapes = shapes;
    }

    /** The hint for a schema. */
    String hint(Object schema) {
        String hint = format(members(schema, 0));
        return hint.length() > MAX_LENGTH ? ANY : hint;
    }

    /** The hint with object shapes spelled out, for docstrings; the plain hint when that grows too long. */
    String describe(Object schema) {
        if (!shapes) {
            return new PythonTypes(root, true).describe(schema);
        }
        String shaped = format(members(schema, 0));
        return shaped.length() > 3 * MAX_LENGTH ? new PythonTypes(root).hint(schema) : shaped;
    }

    /** The hint for an argument that may be left out: {@code Optional[...]} (or {@code Any}). */
    String optionalHint(Object schema) {
        Set<String> members = members(schema, 0);
        if (members != null) {
            members = new LinkedHashSet<>(members);
            members.add(NONE);
        }
        String hint = format(members);
        return hint.length() > MAX_LENGTH ? ANY : hint;
    }

    /** The union members of a schema's type, {@code "None"} among them for null; null means "anything". */
    private Set<String> members(Object schema, int depth) {
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
                return target == null ? null : members(target, depth + 1);
            } finally {
                activeRefs.remove(ref);
            }
        }
        Set<String> out = new LinkedHashSet<>();
        boolean nullable = Boolean.TRUE.equals(Schemas.get(m, "nullable"));
        if (Schemas.has(m, "const")) {
            Object value = Schemas.get(m, "const");
            String literal = literal(value);
            if (value == null) {
                out.add(NONE);
                return out;
            }
            if (literal != null) {
                out.add("Literal[" + literal + "]");
                return out;
            }
        }
        List<?> values = Schemas.list(m, "enum");
        if (values != null && !values.isEmpty() && values.size() <= MAX_ENUM) {
            List<String> literals = new ArrayList<>();
            boolean allLiteral = true;
            for (Object v : values) {
                if (v == null) {
                    continue;
                }
                String literal = literal(v);
                if (literal == null) {
                    allLiteral = false;
                    break;
                }
                if (!literals.contains(literal)) {
                    literals.add(literal);
                }
            }
            if (allLiteral) {
                if (!literals.isEmpty()) {
                    out.add("Literal[" + String.join(", ", literals) + "]");
                }
                if (Schemas.containsNull(values) || nullable) {
                    out.add(NONE);
                }
                return out;
            }
        }
        List<Object> alternatives = Schemas.alternatives(m);
        if (!alternatives.isEmpty()) {
            for (Object branch : alternatives) {
                Set<String> b = members(branch, depth + 1);
                if (b == null) {
                    return null;
                }
                out.addAll(b);
            }
            if (nullable) {
                out.add(NONE);
            }
            return out;
        }
        List<String> types = Schemas.types(m);
        if (types.isEmpty()) {
            List<?> allOf = Schemas.list(m, "allOf");
            if (allOf != null && allOf.size() == 1) {
                Set<String> only = members(allOf.get(0), depth + 1);
                if (only != null && nullable) {
                    only = new LinkedHashSet<>(only);
                    only.add(NONE);
                }
                return only;
            }
            if (Schemas.has(m, "properties") || Schemas.has(m, "additionalProperties")
                    || Schemas.has(m, "patternProperties") || allOf != null && !allOf.isEmpty()) {
                types = List.of("object");
            } else if (Schemas.has(m, "items") || Schemas.has(m, "prefixItems")) {
                types = List.of("array");
            } else {
                return null;
            }
        }
        for (String type : types) {
            switch (type) {
                case "string" -> out.add("str");
                case "integer" -> out.add("int");
                case "number" -> out.add("float");
                case "boolean" -> out.add("bool");
                case "null" -> out.add(NONE);
                case "object" -> out.add(shapes ? shape(m, depth) : "dict[str, Any]");
                case "array" -> {
                    Object items = Schemas.get(m, "items");
                    String item = items instanceof Map<?, ?> ? format(members(items, depth + 1)) : ANY;
                    out.add("list[" + item + "]");
                }
                default -> {
                    return null;
                }
            }
        }
        if (nullable) {
            out.add(NONE);
        }
        return out;
    }

    private String shape(Map<?, ?> m, int depth) {
        List<Schemas.Property> properties = Schemas.properties(m, root);
        if (properties.isEmpty() || properties.size() > MAX_SHAPE_PROPERTIES || shapeNesting >= MAX_SHAPE_NESTING) {
            return "dict[str, Any]";
        }
        shapeNesting++;
        try {
            List<String> fields = new ArrayList<>();
            for (Schemas.Property p : properties) {
                fields.add(p.name() + (p.required() ? "" : "?") + ": " + format(members(p.schema(), depth + 1)));
            }
            return "{" + String.join(", ", fields) + "}";
        } finally {
            shapeNesting--;
        }
    }

    static String format(Set<String> members) {
        if (members == null) {
            return ANY;
        }
        Set<String> rest = new LinkedHashSet<>(members);
        boolean none = rest.remove(NONE);
        if (rest.isEmpty()) {
            return none ? NONE : ANY;
        }
        if (rest.contains(ANY)) {
            return ANY;
        }
        String core = rest.size() == 1 ? rest.iterator().next() : "Union[" + String.join(", ", rest) + "]";
        return none ? "Optional[" + core + "]" : core;
    }

    /** A value as a {@code Literal[...]} member; null when typing does not allow it (floats, objects). */
    static String literal(Object value) {
        if (value instanceof String s) {
            return SourceText.quote(s);
        }
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof BigInteger) {
            return value.toString();
        }
        return null;
    }
}
