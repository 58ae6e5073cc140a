package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.networknt.schema.Error;
import com.networknt.schema.path.NodePath;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns the validator's findings into sentences a model can act on: which argument, what was wrong, and for an
 * unknown one, the arguments that exist and the one it most likely meant ({@code "timeout"} → {@code
 * "timeoutSeconds"}).
 */
final class ArgumentProblems {
    private ArgumentProblems() {
    }

    static List<String> describe(List<Error> errors, Map<String, Object> schema) {
        List<String> problems = new ArrayList<>();
        for (Error e : errors) {
            String problem = describe(e, schema);
            if (!problems.contains(problem)) {
                problems.add(problem);
            }
        }
        return problems;
    }

    /** A value the schema let through that still does not fit its field (a whole number past the range of long). */
    static String describe(Exception e) {
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            List<String> path = m.getPath().stream().map(r -> r.getFieldName() == null
                    ? String.valueOf(r.getIndex()) : r.getFieldName()).toList();
            return name(path) + " cannot be read: " + m.getOriginalMessage();
        }
        return "the arguments cannot be read: " + e.getMessage();
    }

    private static String describe(Error e, Map<String, Object> rootSchema) {
        List<String> at = segments(e.getInstanceLocation());
        switch (e.getKeyword()) {
            case "required": {
                List<String> missing = new ArrayList<>(at);
                missing.add(e.getProperty());
                return name(missing) + " is required";
            }
            case "additionalProperties": {
                List<String> known = knownNames(rootSchema, at);
                String unknown = e.getProperty();
                List<String> full = new ArrayList<>(at);
                full.add(unknown);
                String where = at.isEmpty() ? "argument" : "key of " + name(at);
                return name(full) + " is not a known " + where + nearest(unknown, known)
                        .map(n -> " (did you mean \"" + n + "\"?)").orElse("")
                        + "; known: " + String.join(", ", known);
            }
            case "type": {
                String expected = e.getSchemaNode() == null ? "" : e.getSchemaNode().toString().replace("\"", "");
                String got = e.getInstanceNode() == null ? "" : abbreviate(e.getInstanceNode().toString());
                return name(at) + " must be " + expectation(expected) + ", got " + got;
            }
            default:
                return name(at) + ": " + e.getMessage();
        }
    }

    private static String expectation(String type) {
        return switch (type) {
            case "integer" -> "a whole number";
            case "number" -> "a number";
            case "string" -> "a string";
            case "boolean" -> "true or false";
            case "object" -> "an object";
            case "array" -> "an array";
            default -> "of type " + type;
        };
    }

    /** The names the schema knows at {@code path} (properties of the object there). */
    @SuppressWarnings("unchecked")
    private static List<String> knownNames(Map<String, Object> schema, List<String> path) {
        Map<String, Object> here = schema;
        for (String segment : path) {
            if (here.get("properties") instanceof Map<?, ?> p && p.get(segment) instanceof Map<?, ?> next) {
                here = (Map<String, Object>) next;
            } else {
                return List.of();
            }
        }
        return here.get("properties") instanceof Map<?, ?> p ? p.keySet().stream().map(String::valueOf).toList() : List.of();
    }

    static Optional<String> nearest(String name, List<String> known) {
        return known.stream()
                .filter(k -> distance(k.toLowerCase(), name.toLowerCase()) <= Math.max(2, k.length() / 3)
                        || k.toLowerCase().startsWith(name.toLowerCase()) || name.toLowerCase().startsWith(k.toLowerCase()))
                .min(Comparator.comparingInt(k -> distance(k.toLowerCase(), name.toLowerCase())));
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** {@code "files"["a.txt"]}, {@code "limits"["memoryMb"]}: the first name as sent, then each key within it. */
    private static String name(List<String> path) {
        if (path.isEmpty()) {
            return "the arguments";
        }
        StringBuilder b = new StringBuilder("\"").append(path.get(0)).append('"');
        for (String segment : path.subList(1, path.size())) {
            b.append("[\"").append(segment).append("\"]");
        }
        return b.toString();
    }

    /** The validator's instance location as its keys, each as sent. */
    private static List<String> segments(NodePath location) {
        List<String> segments = new ArrayList<>();
        for (int i = 0; i < location.getNameCount(); i++) {
            segments.add(String.valueOf(location.getElement(i)));
        }
        return segments;
    }

    private static String abbreviate(String text) {
        return text.length() <= 60 ? text : text.substring(0, 60) + "…";
    }
}
