package dev.mcpsandbox.config;

/** One thing wrong with the configuration file, naming the key (e.g. {@code limits.max.memoryMb}). */
public record ConfigProblem(String keyPath, String message) {
    @Override
    public String toString() {
        return keyPath + ": " + message;
    }
}
