package dev.mcpsandbox.tools.discovery;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turning untrusted text (names, descriptions, enum values) into pieces of Python and TypeScript source
 * that cannot break out of the string, docstring or comment they are put in.
 */
final class SourceText {
    /** Longest tool description carried into a stub or search text. */
    static final int MAX_DESCRIPTION = 4000;
    /** Longest argument description. */
    static final int MAX_ARGUMENT_DESCRIPTION = 1000;
    /** Longest title or name shown in a comment. */
    static final int MAX_SHORT = 200;

    private static final Pattern ASCII_IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern JS_IDENTIFIER = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");

    /** Python's hard keywords (3.11), plus {@code __debug__}, which cannot be a parameter or keyword argument. */
    static final Set<String> PYTHON_KEYWORDS = Set.of(
            "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
            "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
            "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
            "yield", "__debug__");

    private SourceText() {
    }

    /**
     * An ASCII identifier that Python accepts as a parameter, keyword argument and attribute name.
     * (Python also allows non-ASCII identifiers, but normalises them, so such names are not trusted.)
     */
    static boolean isPythonName(String name) {
        return name != null && ASCII_IDENTIFIER.matcher(name).matches() && !PYTHON_KEYWORDS.contains(name);
    }

    /** An ASCII JavaScript IdentifierName (reserved words included: they are fine as property names). */
    static boolean isJsName(String name) {
        return name != null && JS_IDENTIFIER.matcher(name).matches();
    }

    /**
     * A double-quoted string literal that is at the same time valid JSON, Python and JavaScript: quotes,
     * backslashes and control characters are escaped, as are the line separators U+0085, U+2028, U+2029
     * and lone surrogates; everything else stays as it is.
     */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        b.append(c).append(s.charAt(++i));
                    } else if (needsEscape(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static boolean needsEscape(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029' || c == '\ufeff'
                || Character.isSurrogate(c);
    }

    /**
     * One line of text for the inside of a Python triple-double-quoted docstring: backslashes doubled,
     * a quote escaped when another quote follows it or when it starts or ends the line (so no
     * {@code """} can form, nor a quote touch a delimiter), control characters escaped.
     */
    static String docstringLine(String line) {
        StringBuilder b = new StringBuilder(line.length() + 8);
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\') {
                b.append("\\\\");
            } else if (c == '"') {
                boolean escape = i == 0 || i + 1 == line.length() || line.charAt(i + 1) == '"';
                b.append(escape ? "\\\"" : "\"");
            } else if (c == '\t') {
                b.append(c);
            } else if (Character.isHighSurrogate(c) && i + 1 < line.length() && Character.isLowSurrogate(line.charAt(i + 1))) {
                b.append(c).append(line.charAt(++i));
            } else if (needsEscape(c)) {
                b.append(c <= 0xff ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Text for a one-line comment ({@code #}, {@code //}) or a JSDoc line: no line breaks or control
     * characters (shown as {@code \}{@code uXXXX}), no lone surrogates, and no {@code *}{@code /} that
     * would close a block comment.
     */
    static String commentText(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\t') {
                b.append(' ');
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                b.append(c).append(s.charAt(++i));
            } else if (needsEscape(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString().replace("*/", "*\\/");
    }

    /** At most {@code max} characters (never splitting a surrogate pair), with a note when cut. */
    static String truncate(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        int end = max;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + " ... [truncated, " + (s.length() - end) + " more characters]";
    }

    /**
     * Text broken into lines of at most {@code width} characters at spaces (longer words stay whole).
     * Existing line breaks are kept; a line's leading indentation is repeated on its continuation lines;
     * tabs become spaces; trailing and repeated blank lines are dropped.
     */
    static List<String> wrap(String text, int width) {
        List<String> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        String normalised = text.replace("\r\n", "\n").replace('\r', '\n').replace("\t", "    ");
        for (String line : normalised.split("\n", -1)) {
            String stripped = line.stripTrailing();
            if (stripped.isBlank()) {
                if (!out.isEmpty() && !out.get(out.size() - 1).isEmpty()) {
                    out.add("");
                }
                continue;
            }
            int indentLength = 0;
            while (indentLength < stripped.length() && stripped.charAt(indentLength) == ' ') {
                indentLength++;
            }
            String indent = " ".repeat(Math.min(indentLength, width / 2));
            StringBuilder current = new StringBuilder(indent);
            for (String word : stripped.substring(indentLength).split(" +")) {
                if (current.length() > indent.length() && current.length() + 1 + word.length() > width) {
                    out.add(current.toString());
                    current = new StringBuilder(indent);
                }
                if (current.length() > indent.length()) {
                    current.append(' ');
                }
                current.append(word);
            }
            out.add(current.toString());
        }
        while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    /** {@code get_sum} → {@code GetSum}, {@code _2fa} → {@code _2fa}; never empty, never starting with a digit. */
    static String pascal(String identifier) {
        StringBuilder b = new StringBuilder();
        for (String part : identifier.split("_")) {
            if (!part.isEmpty()) {
                b.append(Character.toUpperCase(part.charAt(0))).append(part, 1, part.length());
            }
        }
        if (b.length() == 0 || Character.isDigit(b.charAt(0))) {
            b.insert(0, '_');
        }
        return b.toString();
    }

    /** Single-quotes a word for a POSIX shell unless it is plainly safe as it is. */
    static String shellWord(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_./:@%+=,-]+") && !s.startsWith("-")) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
