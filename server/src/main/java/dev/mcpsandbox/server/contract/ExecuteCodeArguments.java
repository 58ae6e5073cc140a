package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.mcpsandbox.config.ResourceLimits;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/** The arguments of {@code execute_code}: the wire contract of DESIGN.md. */
public record ExecuteCodeArguments(
        @JsonProperty(required = true) @JsonPropertyDescription("One of: {languages}.")
        String language,
        @JsonProperty(required = true) @JsonPropertyDescription("The whole program; print results to stdout.")
        String code,
        @JsonPropertyDescription("Input files: relative path -> text, written to /workspace first.")
        Map<String, String> files,
        Optional<String> stdin,
        @JsonPropertyDescription("Diagrams: png (default) or svg.")
        Optional<String> imageFormat,
        @JsonPropertyDescription("Wall-clock seconds, default {timeoutSeconds.default}, max {timeoutSeconds.max}.")
        Optional<Long> timeoutSeconds,
        @JsonPropertyDescription("Other limits for this run, up to the maxima list_languages gives.")
        Optional<RequestedLimits> limits,
        @JsonPropertyDescription("true: reach the hosts the operator allows (see list_languages), through an audited proxy.")
        Optional<Boolean> network,
        @JsonPropertyDescription("Calls with the same name share variables and files.")
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
            Optional<Long> memoryMb,
            Optional<Long> processes,
            Optional<Long> outputBytes,
            Optional<Long> fileSizeMb,
            Optional<Long> diskMb) {

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
