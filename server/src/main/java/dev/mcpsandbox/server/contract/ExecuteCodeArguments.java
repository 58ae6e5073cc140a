package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.mcpsandbox.config.ResourceLimits;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/** The arguments of {@code execute_code}: the wire contract of DESIGN.md. */
public record ExecuteCodeArguments(
        @JsonProperty(required = true) @JsonPropertyDescription("One of: {languages} (see list_languages).")
        String language,
        @JsonProperty(required = true) @JsonPropertyDescription("The complete program. Print results to stdout.")
        String code,
        @JsonPropertyDescription("Input files: relative path -> text content, written into the work directory"
                + " (/workspace) before the code runs.")
        Map<String, String> files,
        @JsonPropertyDescription("Text fed to the program's standard input.")
        Optional<String> stdin,
        @JsonPropertyDescription("Format diagram languages (graphviz, mermaid) render to: \"png\" (default) or \"svg\".")
        Optional<String> imageFormat,
        @JsonPropertyDescription("Wall-clock limit in seconds, default {timeoutSeconds.default}, at most"
                + " {timeoutSeconds.max}.")
        Optional<Long> timeoutSeconds,
        @JsonPropertyDescription("Lower (or, up to the maxima, raise) other limits for this run.")
        Optional<RequestedLimits> limits,
        @JsonPropertyDescription("true: reach the hosts the operator allows (see list_languages), through an audited proxy.")
        Optional<Boolean> network,
        @JsonPropertyDescription("Run in this named session (e.g. \"analysis\"): variables, imports and /workspace"
                + " files persist between calls with the same name. Omit for a fresh sandbox.")
        Optional<String> session) {

    public ExecuteCodeArguments {
        files = files == null ? Map.of() : Map.copyOf(files);
        stdin = stdin == null ? Optional.empty() : stdin;
        imageFormat = imageFormat == null ? Optional.empty() : imageFormat;
        timeoutSeconds = timeoutSeconds == null ? Optional.empty() : timeoutSeconds;
        limits = limits == null ? Optional.empty() : limits;
        network = network == null ? Optional.empty() : network;
        session = session == null ? Optional.empty() : session;
    }

    /** Arguments without {@code network} and {@code session}. */
    public ExecuteCodeArguments(String language, String code, Map<String, String> files, Optional<String> stdin,
                                Optional<String> imageFormat, Optional<Long> timeoutSeconds,
                                Optional<RequestedLimits> limits) {
        this(language, code, files, stdin, imageFormat, timeoutSeconds, limits, Optional.empty(), Optional.empty());
    }

    /** True when the call asks for the network. */
    public boolean wantsNetwork() {
        return network.orElse(false);
    }

    /** The limits a run may ask for besides its time; each name is a {@link ResourceLimits.Key}'s. */
    public record RequestedLimits(
            @JsonPropertyDescription("default {memoryMb.default}, at most {memoryMb.max}") Optional<Long> memoryMb,
            @JsonPropertyDescription("default {processes.default}, at most {processes.max}") Optional<Long> processes,
            @JsonPropertyDescription("default {outputBytes.default}, at most {outputBytes.max}") Optional<Long> outputBytes,
            @JsonPropertyDescription("default {fileSizeMb.default}, at most {fileSizeMb.max}") Optional<Long> fileSizeMb,
            @JsonPropertyDescription("default {diskMb.default}, at most {diskMb.max}") Optional<Long> diskMb) {

        public RequestedLimits {
            memoryMb = memoryMb == null ? Optional.empty() : memoryMb;
            processes = processes == null ? Optional.empty() : processes;
            outputBytes = outputBytes == null ? Optional.empty() : outputBytes;
            fileSizeMb = fileSizeMb == null ? Optional.empty() : fileSizeMb;
            diskMb = diskMb == null ? Optional.empty() : diskMb;
        }

        Map<ResourceLimits.Key, Long> asked() {
            Map<ResourceLimits.Key, Long> asked = new EnumMap<>(ResourceLimits.Key.class);
            memoryMb.ifPresent(v -> asked.put(ResourceLimits.Key.MEMORY_MB, v));
            processes.ifPresent(v -> asked.put(ResourceLimits.Key.PROCESSES, v));
            outputBytes.ifPresent(v -> asked.put(ResourceLimits.Key.OUTPUT_BYTES, v));
            fileSizeMb.ifPresent(v -> asked.put(ResourceLimits.Key.FILE_SIZE_MB, v));
            diskMb.ifPresent(v -> asked.put(ResourceLimits.Key.DISK_MB, v));
            return asked;
        }
    }

    /** Every limit the call asked for, its time included. */
    public Map<ResourceLimits.Key, Long> requestedLimits() {
        Map<ResourceLimits.Key, Long> asked = new EnumMap<>(ResourceLimits.Key.class);
        limits.ifPresent(l -> asked.putAll(l.asked()));
        timeoutSeconds.ifPresent(t -> asked.put(ResourceLimits.Key.TIMEOUT_SECONDS, t));
        return asked;
    }
}
