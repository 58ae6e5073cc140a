package dev.mcpsandbox.tools.discovery;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Writes plain JSON-like values (maps, lists, strings, numbers, booleans, null) as JSON or as a Python
 * literal. The two differ only in {@code true}/{@code false}/{@code null} versus
 * {@code True}/{@code False}/{@code None}, so a Python literal without those parses as JSON too.
 */
final class Literals {
    /** Example values larger than this (string length, collection size, nesting) are not used. */
    private static final int MAX_STRING = 200;
    private static final int MAX_ELEMENTS = 20;
    private static final int MAX_NESTING = 4;

    enum Style { JSON, PYTHON }

    private Literals() {
    }

    /** Is this a value that can be written, small enough to show in a snippet? */
    static boolean small(Object value) {
        return small(value, 0);
    }

    private static boolean small(Object value, int depth) {
        if (depth > MAX_NESTING) {
            return false;
        }
        if (value == null || value instanceof Boolean) {
            return true;
        }
        if (value instanceof String s) {
            return s.length() <= MAX_STRING;
        }
        if (value instanceof Number n) {
            return number(n) != null;
        }
        if (value instanceof Map<?, ?> m) {
            if (m.size() > MAX_ELEMENTS) {
                return false;
            }
            for (Map.Entry<?, ?> e : Schemas.orderedEntries(m)) {
                if (!small(e.getValue(), depth + 1) || String.valueOf(e.getKey()).length() > MAX_STRING) {
                    return false;
                }
            }
            return true;
        }
        if (value instanceof Collection<?> c) {
            if (c.size() > MAX_ELEMENTS) {
                return false;
            }
            for (Object o : c) {
                if (!small(o, depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /** The value written in the given style; anything that is not a JSON-like value is written as null. */
    static String write(Object value, Style style) {
        StringBuilder b = new StringBuilder();
        write(value, style, b, 0);
        return b.toString();
    }

    private static void write(Object value, Style style, StringBuilder b, int depth) {
        if (depth > MAX_NESTING + 2) {
            b.append(style == Style.PYTHON ? "None" : "null");
        } else if (value instanceof String s) {
            b.append(SourceText.quote(s));
        } else if (value instanceof Boolean bool) {
            b.append(style == Style.PYTHON ? (bool ? "True" : "False") : bool.toString());
        } else if (value instanceof Number n && number(n) != null) {
            b.append(number(n));
        } else if (value instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : Schemas.orderedEntries(m)) {
                b.append(first ? "" : ", ").append(SourceText.quote(String.valueOf(e.getKey()))).append(": ");
                write(e.getValue(), style, b, depth + 1);
                first = false;
            }
            b.append('}');
        } else if (value instanceof Collection<?> c) {
            b.append('[');
            boolean first = true;
            for (Object o : c) {
                b.append(first ? "" : ", ");
                write(o, style, b, depth + 1);
                first = false;
            }
            b.append(']');
        } else {
            b.append(style == Style.PYTHON ? "None" : "null");
        }
    }

    /** A number as JSON writes it (and Python and JavaScript read it); null for NaN, infinities and odd types. */
    private static String number(Number n) {
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte || n instanceof BigInteger) {
            return n.toString();
        }
        if (n instanceof BigDecimal d) {
            return d.toString();
        }
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            return Double.isFinite(d) ? n.toString() : null;
        }
        return null;
    }

    static final List<Object> EMPTY_LIST = List.of();
    static final Map<String, Object> EMPTY_MAP = Map.of();
}
