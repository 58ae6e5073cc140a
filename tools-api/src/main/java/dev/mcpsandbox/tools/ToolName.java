package dev.mcpsandbox.tools;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A tool's qualified name, {@code server.tool}: the server as named in the configuration's
 * {@code mcpServers} block, the tool as that server lists it. Policy patterns, audit lines, the
 * bridge protocol and the guest libraries all use this form.
 */
public record ToolName(String server, String tool) {
    private static final Pattern SERVER = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public ToolName {
        if (!SERVER.matcher(server).matches()) {
            throw new IllegalArgumentException("invalid server name \"" + server + "\"");
        }
        if (tool.isEmpty() || tool.length() > 128) {
            throw new IllegalArgumentException("invalid tool name \"" + tool + "\"");
        }
    }

    /** Parses {@code server.tool}; the server part ends at the first dot, the tool may contain dots. */
    public static Optional<ToolName> parse(String qualified) {
        int dot = qualified.indexOf('.');
        if (dot <= 0 || dot == qualified.length() - 1) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ToolName(qualified.substring(0, dot), qualified.substring(dot + 1)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public String qualified() {
        return server + "." + tool;
    }

    /**
     * The one documented way a name becomes an identifier in guest code: every character other than
     * an ASCII letter, digit or underscore becomes '_', and a leading digit gets a '_' in front
     * ({@code get-sum} → {@code get_sum}, {@code 2fa} → {@code _2fa}).
     */
    public static String identifier(String name) {
        StringBuilder b = new StringBuilder(name.length() + 1);
        for (char c : name.toCharArray()) {
            b.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_') ? c : '_');
        }
        if (b.length() == 0 || Character.isDigit(b.charAt(0))) {
            b.insert(0, '_');
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return qualified();
    }
}
