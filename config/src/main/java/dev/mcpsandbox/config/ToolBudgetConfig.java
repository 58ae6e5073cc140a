package dev.mcpsandbox.config;

import java.time.Duration;

/**
 * What one execution's tool calls may consume besides their number (that is {@code limits.toolCalls},
 * because a request may lower or raise it like the other resource limits). These totals bound how
 * much data code mode can push through the bridge and how long it can keep upstream servers busy.
 *
 * @param argumentBytes      total serialised argument bytes of all calls
 * @param resultBytes        total result bytes handed back to the sandbox
 * @param toolSeconds        total time spent inside tool calls (summed, so concurrent calls each count)
 * @param callTimeoutSeconds longest one call may take
 */
public record ToolBudgetConfig(long argumentBytes, long resultBytes, int toolSeconds, int callTimeoutSeconds) {
    /** The largest byte budget: results are held in server memory before they go to the sandbox. */
    public static final long MAX_BYTES = 1L << 30;
    /** The longest time budget; an execution's own timeout ends it much sooner in practice. */
    public static final int MAX_SECONDS = 86_400;

    public static final ToolBudgetConfig DEFAULTS = new ToolBudgetConfig(1L << 20, 8L << 20, 60, 30);

    public ToolBudgetConfig {
        requireRange("argumentBytes", argumentBytes, MAX_BYTES);
        requireRange("resultBytes", resultBytes, MAX_BYTES);
        requireRange("toolSeconds", toolSeconds, MAX_SECONDS);
        requireRange("callTimeoutSeconds", callTimeoutSeconds, MAX_SECONDS);
    }

    public Duration toolTime() {
        return Duration.ofSeconds(toolSeconds);
    }

    public Duration callTimeout() {
        return Duration.ofSeconds(callTimeoutSeconds);
    }

    private static void requireRange(String name, long value, long max) {
        if (value < 1 || value > max) {
            throw new IllegalArgumentException("tools.budget." + name + " must be from 1 to " + max + ", got " + value);
        }
    }
}
