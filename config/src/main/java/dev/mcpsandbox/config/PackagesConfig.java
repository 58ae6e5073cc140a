package dev.mcpsandbox.config;

import java.util.List;

/**
 * Where package managers inside a sandbox whose call has the network install from (the {@code "packages"}
 * block): the index hosts must also be allowed under {@code network.allow}, or the proxy refuses them.
 * An empty string leaves the tool's own default.
 */
public record PackagesConfig(Python python, JavaScript javascript) {
    public static final PackagesConfig NONE = new PackagesConfig(Python.NONE, JavaScript.NONE);

    /**
     * pip's {@code PIP_INDEX_URL}, {@code PIP_EXTRA_INDEX_URL} (space-separated) and {@code PIP_TRUSTED_HOST}.
     *
     * @param findLinks host directories of wheels (a wheelhouse), bound read-only at the same path into sandboxes
     *                  whose call has the network and given to pip as {@code PIP_FIND_LINKS}
     */
    public record Python(String indexUrl, List<String> extraIndexUrls, List<String> trustedHosts,
                         List<String> findLinks) {
        public static final Python NONE = new Python("", List.of(), List.of(), List.of());

        public Python {
            extraIndexUrls = List.copyOf(extraIndexUrls);
            trustedHosts = List.copyOf(trustedHosts);
            findLinks = List.copyOf(findLinks);
        }

        public boolean configured() {
            return !indexUrl.isEmpty() || !extraIndexUrls.isEmpty() || !findLinks.isEmpty();
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
