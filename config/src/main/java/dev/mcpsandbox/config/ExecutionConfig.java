package dev.mcpsandbox.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How executions are admitted and where their scratch space lives.
 *
 * @param maxConcurrent executions running at once (default: the number of cores)
 * @param queueSize     executions waiting for a slot; past it a request is refused at once
 * @param maxCodeBytes  largest {@code code} argument, in UTF-8 bytes
 * @param maxInputFilesBytes all input {@code files} of one request together, in UTF-8 bytes
 * @param workRoot      host directory under which each execution gets its own private directory
 *                      (empty: a directory under the system temp dir)
 * @param sandboxUidBase first host uid given to sandboxes when the server runs as root; each
 *                      concurrent execution gets its own uid so per-uid process limits stay exact
 * @param compileTimeoutSeconds wall-clock time a compiler gets, on top of the run's own time limit
 * @param buildCacheMb  disk space kept for compiled programs, so repeated programs skip compilation
 */
public record ExecutionConfig(int maxConcurrent, int queueSize, int maxCodeBytes, int maxInputFilesBytes,
                              Optional<Path> workRoot, int sandboxUidBase, int compileTimeoutSeconds, int buildCacheMb) {
    public static ExecutionConfig defaults() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new ExecutionConfig(cores, 16 * cores, 256 * 1024, 8 * 1024 * 1024, Optional.empty(), 61000, 60, 512);
    }
}
