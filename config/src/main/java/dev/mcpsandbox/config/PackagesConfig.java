package dev.mcpsandbox.config;

import java.util.List;

/**
 * Where package managers inside a sandbox whose call has the network install from (the {@code "packages"}
 * block): the index hosts must also be allowed under {@code network.allow}, or the proxy refuses them.
 * An empty string leaves the tool's own default.
 */
public record PackagesConfig(Python python, JavaScript javascript) {
    public static final PackagesConfig NONE = new PackagesConfig(Python.NONE, JavaScript.NONE);

    /** pip's {@code PIP_INDEX_URL}, {@code PIP_EXTRA_INDEX_URL} (space-separated) and {@code PIP_TRUSTED_HOST}. */
    public record Python(String indexUrl, List<String> extraIndexUrls, List<String> trustedHosts) {
        public static final Python NONE = new Python("", List.of(), List.of());

        public Python {
            extraIndexUrls = List.copyOf(extraIndexUrls);
            trustedHosts = List.copyOf(trustedHosts);
        }

        public boolean configured() {
            return !indexUrl.isEmpty() || !extraIndexUrls.isEmpty();
        }
    }

    /** npm's {@code npm_config_registry}. */
    public record JavaScript(String registry) {
        public static final JavaScript NONE = new JavaScript("");

        public boolean configured() {
            return !registry.isEmpty();
        }
    }
}
