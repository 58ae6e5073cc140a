package dev.mcpsandbox.tools.policy;

import dev.mcpsandbox.tools.ToolName;

import java.util.regex.Pattern;

/**
 * A glob over qualified tool names ({@code server.tool}): {@code *} matches any run of characters,
 * dots included (so {@code *.delete_*} also catches a tool named {@code a.delete_b.c}), {@code ?}
 * matches exactly one character, and everything else matches itself, case-sensitively.
 */
public final class ToolPattern {
    /** The same shape the configuration loader accepts for {@code tools.allow}, {@code deny} and {@code confirm}. */
    private static final Pattern SHAPE = Pattern.compile("[A-Za-z0-9_*?-]+\\.[A-Za-z0-9_.*?/-]+");

    private final String glob;
    private final Pattern regex;

    private ToolPattern(String glob, Pattern regex) {
        this.glob = glob;
        this.regex = regex;
    }

    /** @throws IllegalArgumentException when the text is not {@code server.tool} with * and ? as wildcards */
    public static ToolPattern parse(String glob) {
        if (!SHAPE.matcher(glob).matches()) {
            throw new IllegalArgumentException("a pattern is \"server.tool\" with * and ? as wildcards, got \""
                    + glob + "\"");
        }
        return new ToolPattern(glob, Pattern.compile(toRegex(glob), Pattern.DOTALL));
    }

    /**
     * Translates {@code P0*P1*...*Pn} into {@code P0(?>.*?P1)...(?>.*?Pn-1).*Pn}. A plain {@code .*}
     * per star backtracks polynomially in the number of stars, and the tool names come from upstream
     * servers; between stars every part has a fixed length, so committing to its leftmost match (the
     * atomic group) never loses a match and keeps matching linear in the name per part.
     */
    private static String toRegex(String glob) {
        String[] parts = glob.split("\\*", -1);
        StringBuilder regex = new StringBuilder(literal(parts[0]));
        for (int i = 1; i < parts.length - 1; i++) {
            if (!parts[i].isEmpty()) {
                regex.append("(?>.*?").append(literal(parts[i])).append(')');
            }
        }
        if (parts.length > 1) {
            regex.append(".*").append(literal(parts[parts.length - 1]));
        }
        return regex.toString();
    }

    /** One star-free part: {@code ?} is any one character, the rest is quoted. */
    private static String literal(String part) {
        StringBuilder regex = new StringBuilder();
        int start = 0;
        for (int q = part.indexOf('?'); q >= 0; q = part.indexOf('?', start)) {
            if (q > start) {
                regex.append(Pattern.quote(part.substring(start, q)));
            }
            regex.append('.');
            start = q + 1;
        }
        if (start < part.length()) {
            regex.append(Pattern.quote(part.substring(start)));
        }
        return regex.toString();
    }

    public boolean matches(ToolName name) {
        return matches(name.qualified());
    }

    public boolean matches(String qualifiedName) {
        return regex.matcher(qualifiedName).matches();
    }

    /** Whether this matches more than one name; only a non-wildcard pattern may allow a destructive tool. */
    public boolean isWildcard() {
        return glob.indexOf('*') >= 0 || glob.indexOf('?') >= 0;
    }

    public String glob() {
        return glob;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ToolPattern other && glob.equals(other.glob);
    }

    @Override
    public int hashCode() {
        return glob.hashCode();
    }

    @Override
    public String toString() {
        return glob;
    }
}
