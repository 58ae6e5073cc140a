package dev.mcpsandbox.server.tools;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a tool call's {@code arguments} map, collecting one problem per bad argument (naming it and
 * saying what was expected) instead of failing on the first.
 */
final class Arguments {
    private final Map<String, Object> raw;
    private final List<String> problems = new ArrayList<>();

    Arguments(Map<String, Object> raw) {
        this.raw = raw == null ? Map.of() : raw;
    }

    List<String> problems() {
        return problems;
    }

    void problem(String message) {
        problems.add(message);
    }

    String requiredString(String name) {
        Object v = raw.get(name);
        if (v instanceof String s) {
            return s;
        }
        problems.add(v == null ? "\"" + name + "\" is required" : "\"" + name + "\" must be a string");
        return "";
    }

    Optional<String> optionalString(String name) {
        Object v = raw.get(name);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof String s) {
            return Optional.of(s);
        }
        problems.add("\"" + name + "\" must be a string");
        return Optional.empty();
    }

    boolean optionalBoolean(String name, boolean fallback) {
        Object v = raw.get(name);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        problems.add("\"" + name + "\" must be true or false");
        return fallback;
    }

    Optional<Long> optionalWholeNumber(String name) {
        Object v = raw.get(name);
        return v == null ? Optional.empty() : wholeNumber(name, v);
    }

    Optional<Long> wholeNumber(String name, Object v) {
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Optional.of(n.longValue());
            }
        }
        problems.add("\"" + name + "\" must be a whole number, got " + v);
        return Optional.empty();
    }

    Map<String, Object> object(String name) {
        Object v = raw.get(name);
        if (v == null) {
            return Map.of();
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, val) -> copy.put(String.valueOf(k), val));
            return copy;
        }
        problems.add("\"" + name + "\" must be an object");
        return Map.of();
    }

    Map<String, String> stringMap(String name) {
        Map<String, String> result = new LinkedHashMap<>();
        object(name).forEach((k, v) -> {
            if (v instanceof String s) {
                result.put(k, s);
            } else {
                problems.add("\"" + name + "\"[\"" + k + "\"] must be a string (the file's text content)");
            }
        });
        return result;
    }
}
