package dev.mcpsandbox.config;

/** Operator defaults (what a request gets when it asks for nothing) and maxima (what it may ask for). */
public record LimitsConfig(ResourceLimits defaults, ResourceLimits maxima) {
    public static final LimitsConfig DEFAULTS = new LimitsConfig(ResourceLimits.DEFAULTS, ResourceLimits.DEFAULT_MAXIMA);
}
