package dev.mcpsandbox.tools.discovery;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Defensive reading of JSON Schemas held as plain maps and lists. Upstream servers send whatever they
 * like, so nothing here trusts a shape: a value that is not the expected kind reads as absent, a
 * {@code $ref} that does not resolve inside the schema reads as absent, and every walk is bounded.
 */
final class Schemas {
    /** How deep renderers descend into nested schemas before falling back to "any". */
    static final int MAX_DEPTH = 8;
    /** How many {@code $ref} hops a single lookup follows. */
    private static final int MAX_REF_HOPS = 16;

    private Schemas() {
    }

    /** One argument of a tool (or one property of an object schema). */
    record Property(String name, Object schema, boolean required) {
    }

    static Map<?, ?> map(Object value) {
        return value instanceof Map<?, ?> m ? m : null;
    }

    /** {@code map.get(key)}, but a map whose keys are not strings (a TreeMap of numbers) reads as absent. */
    static Object get(Map<?, ?> map, String key) {
        if (map == null) {
            return null;
        }
        try {
            return map.get(key);
        } catch (RuntimeException e) {
            return null;
        }
    }

    static boolean has(Map<?, ?> map, String key) {
        if (map == null) {
            return false;
        }
        try {
            return map.containsKey(key);
        } catch (RuntimeException e) {
            return false;
        }
    }

    static String string(Map<?, ?> map, String key) {
        return get(map, key) instanceof String s ? s : null;
    }

    static List<?> list(Map<?, ?> map, String key) {
        return get(map, key) instanceof List<?> l ? l : null;
    }

    static Map<?, ?> mapAt(Map<?, ?> map, String key) {
        return map(get(map, key));
    }

    /** The schema's {@code type}, as a list: a string, or the strings of an array; empty when absent. */
    static List<String> types(Map<?, ?> schema) {
        Object type = get(schema, "type");
        if (type instanceof String s) {
            return List.of(s);
        }
        List<String> out = new ArrayList<>();
        if (type instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof String s && !out.contains(s)) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** The {@code anyOf} and {@code oneOf} branches together (both mean "one of these shapes" for a caller). */
    static List<Object> alternatives(Map<?, ?> schema) {
        List<Object> out = new ArrayList<>();
        List<?> anyOf = list(schema, "anyOf");
        if (anyOf != null) {
            out.addAll(anyOf);
        }
        List<?> oneOf = list(schema, "oneOf");
        if (oneOf != null) {
            out.addAll(oneOf);
        }
        return out;
    }

    /**
     * Resolves a local reference ({@code #}, {@code #/$defs/Node}, {@code #/definitions/a~1b}) against
     * the root schema. Anything else (remote references, anchors, broken pointers) gives null.
     */
    static Object pointer(Object root, String ref) {
        if (ref == null || !ref.startsWith("#")) {
            return null;
        }
        String fragment;
        try {
            fragment = URLDecoder.decode(ref.substring(1).replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (fragment.isEmpty()) {
            return root;
        }
        if (!fragment.startsWith("/")) {
            return null;
        }
        Object current = root;
        for (String raw : fragment.substring(1).split("/", -1)) {
            String token = raw.replace("~1", "/").replace("~0", "~");
            if (current instanceof Map<?, ?> m) {
                if (!has(m, token)) {
                    return null;
                }
                current = get(m, token);
            } else if (current instanceof List<?> l) {
                try {
                    int index = Integer.parseInt(token);
                    current = index >= 0 && index < l.size() ? l.get(index) : null;
                } catch (NumberFormatException e) {
                    return null;
                }
            } else {
                return null;
            }
            if (current == null) {
                return null;
            }
        }
        return current;
    }

    /**
     * Follows a chain of {@code $ref}s from {@code schema} to a schema without one. Null when a reference
     * does not resolve or the chain loops.
     */
    static Map<?, ?> deref(Object schema, Object root) {
        Map<?, ?> current = map(schema);
        Set<String> seen = new HashSet<>();
        for (int hops = 0; current != null && hops < MAX_REF_HOPS; hops++) {
            String ref = string(current, "$ref");
            if (ref == null) {
                return current;
            }
            if (!seen.add(ref)) {
                return null;
            }
            current = map(pointer(root, ref));
        }
        return null;
    }

    /**
     * The properties of an object schema: its own {@code properties}, merged with those of its
     * {@code allOf} branches (the first definition of a name wins), each marked required when any
     * {@code required} list names it. Names that are required but not described come last, with no
     * schema. Order: see {@link #orderedEntries(Map)}.
     */
    static List<Property> properties(Object schema, Object root) {
        Map<?, ?> top = deref(schema, root);
        if (top == null) {
            return List.of();
        }
        List<Map<?, ?>> parts = new ArrayList<>();
        parts.add(top);
        List<?> allOf = list(top, "allOf");
        if (allOf != null) {
            for (Object branch : allOf) {
                Map<?, ?> b = deref(branch, root);
                if (b != null && b != top) {
                    parts.add(b);
                }
            }
        }
        Map<String, Object> described = new LinkedHashMap<>();
        Set<String> required = new LinkedHashSet<>();
        for (Map<?, ?> part : parts) {
            Map<?, ?> props = mapAt(part, "properties");
            if (props != null) {
                for (Map.Entry<?, ?> e : orderedEntries(props)) {
                    described.putIfAbsent(String.valueOf(e.getKey()), e.getValue());
                }
            }
            List<?> req = list(part, "required");
            if (req != null) {
                for (Object r : req) {
                    if (r instanceof String s) {
                        required.add(s);
                    }
                }
            }
        }
        List<Property> out = new ArrayList<>();
        described.forEach((name, s) -> out.add(new Property(name, s, required.contains(name))));
        for (String name : required) {
            if (!described.containsKey(name)) {
                out.add(new Property(name, null, true));
            }
        }
        return out;
    }

    /**
     * Entries in the map's own order, except for maps whose order comes from hashing ({@link HashMap},
     * {@link Map#of}, {@link Hashtable}, concurrent and identity maps): those are sorted by key, so the
     * output never depends on hash layout or the JVM's per-run salt. JSON parsers build
     * {@link LinkedHashMap}s, so a schema's declared order is what normally shows.
     */
    static List<Map.Entry<?, ?>> orderedEntries(Map<?, ?> map) {
        List<Map.Entry<?, ?>> entries;
        try {
            entries = new ArrayList<>(map.entrySet());
        } catch (RuntimeException e) {
            return List.of();
        }
        if (hashOrdered(map)) {
            entries.sort(Comparator.comparing(e -> String.valueOf(e.getKey())));
        }
        return entries;
    }

    private static boolean hashOrdered(Map<?, ?> map) {
        if (map instanceof LinkedHashMap<?, ?> || map instanceof SortedMap<?, ?>) {
            return false;
        }
        return map instanceof HashMap<?, ?> || map instanceof Hashtable<?, ?> || map instanceof ConcurrentMap<?, ?>
                || map instanceof IdentityHashMap<?, ?> || map instanceof WeakHashMap<?, ?>
                || map.getClass().getName().startsWith("java.util.ImmutableCollections");
    }

    /** The property's description: its own, or that of the schema its {@code $ref} points to. */
    static String description(Object propertySchema, Object root) {
        Map<?, ?> m = map(propertySchema);
        String own = string(m, "description");
        if (own != null && !own.isBlank()) {
            return own;
        }
        Map<?, ?> target = deref(m, root);
        String referenced = string(target, "description");
        return referenced != null && !referenced.isBlank() ? referenced : null;
    }

    /** Does anything in this collection look like a JSON null? */
    static boolean containsNull(Collection<?> values) {
        for (Object v : values) {
            if (v == null) {
                return true;
            }
        }
        return false;
    }
}
