package dev.mcpsandbox.config;

import java.util.List;

/**
 * Operator overrides for one language.
 *
 * @param enabled false hides the language even when its runtime is installed
 * @param command the interpreter or compiler to use instead of the detected one (absolute paths;
 *                empty: detect). Shell shims (pyenv, nvm) are resolved to the real binary.
 * @param extraReadOnlyPaths host directories the runtime needs besides /usr (for toolchains
 *                installed elsewhere, e.g. /opt/node or ~/.rustup), bound read-only at the same path
 */
public record LanguageConfig(boolean enabled, List<String> command, List<String> extraReadOnlyPaths) {
    public LanguageConfig {
        command = List.copyOf(command);
        extraReadOnlyPaths = List.copyOf(extraReadOnlyPaths);
    }

    public static final LanguageConfig DEFAULT = new LanguageConfig(true, List.of(), List.of());
}
