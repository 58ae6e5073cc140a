package dev.mcpsandbox.sandbox.backend;

/**
 * Per-process rlimits the in-sandbox launcher applies right before exec of the code. They may only
 * be lower than what the sandbox was created with, which is why a pre-started sandbox can serve a
 * request that asks for tighter limits.
 */
public record RunLimits(long cpuSeconds, long fileSizeBytes, long openFiles, long addressSpaceBytes, long processes) {
}
