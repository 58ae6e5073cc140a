package dev.mcpsandbox.sandbox.backend;

import java.util.List;

/**
 * What a backend's self-check found: whether it can be used at all, what it enforces, and what it
 * could not enforce here (e.g. "no cgroups: memory is capped per process only").
 */
public record BackendHealth(boolean usable, List<String> enforced, List<String> weakened, List<String> failures) {
    public BackendHealth {
        enforced = List.copyOf(enforced);
        weakened = List.copyOf(weakened);
        failures = List.copyOf(failures);
    }
}
