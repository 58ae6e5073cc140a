package dev.mcpsandbox.config;

import java.nio.file.Path;
import java.util.Optional;

/** Where audit lines (one JSON object per execution and per tool call) are appended; empty: no audit file. */
public record AuditConfig(Optional<Path> file) {
    public static final AuditConfig NONE = new AuditConfig(Optional.empty());
}
