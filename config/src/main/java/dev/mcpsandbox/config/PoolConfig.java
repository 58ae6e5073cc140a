package dev.mcpsandbox.config;

import java.util.Map;

/** Pre-started sandboxes to keep ready per language id; a language not named gets none. */
public record PoolConfig(Map<String, Integer> sizes) {
    public PoolConfig {
        sizes = Map.copyOf(sizes);
    }

    public static final PoolConfig NONE = new PoolConfig(Map.of());
}
