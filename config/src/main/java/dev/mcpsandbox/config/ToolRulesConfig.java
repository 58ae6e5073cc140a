package dev.mcpsandbox.config;

import com.fasterxml.jackson.annotation.JsonCreator;

import java.util.List;
import java.util.Objects;

/**
 * Which upstream tools sandboxed code may call, as {@code server.tool} glob patterns, and what the calls
 * of one execution may consume. Nothing is callable unless allowed; deny wins over allow; calls matching
 * {@code confirm} ask the human.
 */
public record ToolRulesConfig(List<String> allow, List<String> deny, List<String> confirm, ToolBudgetConfig budget) {
    @JsonCreator
    public ToolRulesConfig {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
        confirm = List.copyOf(confirm);
        Objects.requireNonNull(budget, "budget");
    }

    /** Rules with the default budget, for callers (tests, mostly) that only care about the patterns. */
    public ToolRulesConfig(List<String> allow, List<String> deny, List<String> confirm) {
        this(allow, deny, confirm, ToolBudgetConfig.DEFAULTS);
    }

    public static final ToolRulesConfig NOTHING_ALLOWED =
            new ToolRulesConfig(List.of(), List.of(), List.of(), ToolBudgetConfig.DEFAULTS);
}
