package dev.mcpsandbox.config;

import com.fasterxml.jackson.annotation.JsonCreator;

import java.util.Map;

/**
 * Pre-started sandboxes to keep ready per language id; a language not named gets none. Without a
 * {@code pool} key the defaults suit two cores: two Python, one JavaScript, one Bash (about 60 MB).
 */
public record PoolConfig(Map<String, Integer> sizes) {
    /** The file's {@code pool} object is the map itself. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public PoolConfig {
        sizes = Map.copyOf(sizes);
    }

    public static final PoolConfig NONE = new PoolConfig(Map.of());
    public static final PoolConfig DEFAULTS = new PoolConfig(Map.of("python", 2, "javascript", 1, "bash", 1));
}
