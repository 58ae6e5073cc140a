package dev.mcpsandbox.config;

import java.util.Map;

/**
 * How the docker and gvisor backends reach their engine and which images they run code in (the
 * {@code "docker"} block; ignored by the bubblewrap backend).
 *
 * @param host          the engine's API address: {@code unix:///path/to/docker.sock} or {@code tcp://host:port}
 * @param image         the image every language runs in unless {@code images} names another; bin/build-images
 *                      builds {@code mcp-sandbox/runtime:latest} from the host's own runtimes, without a registry
 * @param images        per-language images, by language id
 * @param gvisorRuntime the name the engine knows gVisor's runsc by (its daemon.json {@code runtimes} key)
 * @param cpus          CPU cores one sandbox may use (a CFS quota; fractions allowed)
 */
public record DockerConfig(String host, String image, Map<String, String> images, String gvisorRuntime, double cpus) {
    public static final DockerConfig DEFAULTS = new DockerConfig("unix:///var/run/docker.sock",
            "mcp-sandbox/runtime:latest", Map.of(), "runsc", 1.0);

    public DockerConfig {
        images = Map.copyOf(images);
    }

    /** The image {@code languageId} runs in. */
    public String imageFor(String languageId) {
        return images.getOrDefault(languageId, image);
    }
}
