package dev.mcpsandbox.config;

import java.util.List;
import java.util.Map;

/**
 * The fork server (bubblewrap backend, Python): a template interpreter per runtime, started once with the modules of
 * {@code preload} imported, forks each single-use sandbox instead of starting one, so a call pays neither the
 * interpreter's start nor those imports. Node.js cannot fork once V8 runs its threads, so JavaScript has no template:
 * its {@code preload} is loaded by each pre-started sandbox (the warm pool) before it waits for its call, on every
 * backend and whatever {@code enabled} says.
 *
 * @param enabled       false: every run starts its own sandbox as before
 * @param preload       modules loaded ahead of every call, per language id: "python" (the template imports them) and
 *                      "javascript" (each pre-started sandbox loads them, as its code's {@code require} would)
 * @param maxChildren   a template forks at most this many children before a fresh one replaces it: children of one
 *                      template share its hash secret and address-space layout, so this bounds how many do
 * @param maxAgeSeconds a template is replaced this long after it started, however few children it forked
 */
public record ForkServerConfig(boolean enabled, Map<String, List<String>> preload, int maxChildren, int maxAgeSeconds) {
    public static final ForkServerConfig DEFAULTS = new ForkServerConfig(true, Map.of(), 200, 300);

    public ForkServerConfig {
        preload = Map.copyOf(preload);
    }

    /** The modules loaded ahead of a call of {@code languageId}; none when the operator named none. */
    public List<String> preloadOf(String languageId) {
        return preload.getOrDefault(languageId, List.of());
    }
}
