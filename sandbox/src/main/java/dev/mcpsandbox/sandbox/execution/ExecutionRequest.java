package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;

import java.util.Map;
import java.util.Optional;

/**
 * What a client asked to run, as received; {@link RequestCheck} decides whether it may run.
 *
 * @param requestedLimits limits the client asked for; missing keys take the operator's defaults
 * @param imageFormat     the picture format diagram languages render to ({@code png} or {@code svg}); empty: png
 * @param network         the caller asks for the network (through the operator's proxy)
 * @param session         the caller's session to run in (its state kept between calls); empty: a fresh sandbox
 */
public record ExecutionRequest(String language, String code, Map<String, String> files, Optional<String> stdin,
                               Map<ResourceLimits.Key, Long> requestedLimits, Optional<String> imageFormat,
                               boolean network, Optional<String> session) {
    public ExecutionRequest {
        files = Map.copyOf(files);
        requestedLimits = Map.copyOf(requestedLimits);
    }

    /** A request without the network, in a fresh sandbox. */
    public ExecutionRequest(String language, String code, Map<String, String> files, Optional<String> stdin,
                            Map<ResourceLimits.Key, Long> requestedLimits, Optional<String> imageFormat) {
        this(language, code, files, stdin, requestedLimits, imageFormat, false, Optional.empty());
    }

    /** A request in a fresh sandbox. */
    public ExecutionRequest(String language, String code, Map<String, String> files, Optional<String> stdin,
                            Map<ResourceLimits.Key, Long> requestedLimits, Optional<String> imageFormat,
                            boolean network) {
        this(language, code, files, stdin, requestedLimits, imageFormat, network, Optional.empty());
    }

    public static ExecutionRequest of(String language, String code) {
        return new ExecutionRequest(language, code, Map.of(), Optional.empty(), Map.of(), Optional.empty());
    }

    public ExecutionRequest inSession(String name) {
        return new ExecutionRequest(language, code, files, stdin, requestedLimits, imageFormat, network,
                Optional.of(name));
    }
}
