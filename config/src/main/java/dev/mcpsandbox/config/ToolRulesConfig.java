package dev.mcpsandbox.config;

import java.util.List;

/**
 * Which upstream tools sandboxed code may call, as {@code server.tool} glob patterns.
 * Nothing is callable unless allowed; deny wins over allow; calls matching {@code confirm} ask the human.
 */
public record ToolRulesConfig(List<String> allow, List<String> deny, List<String> confirm) {
    public ToolRulesConfig {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
        confirm = List.copyOf(confirm);
    }

    public static final ToolRulesConfig NOTHING_ALLOWED = new ToolRulesConfig(List.of(), List.of(), List.of());
}
