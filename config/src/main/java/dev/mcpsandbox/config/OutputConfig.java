package dev.mcpsandbox.config;

/** What happens to stdout and stderr before they reach the model. */
public record OutputConfig(boolean redactSecrets) {
    public static final OutputConfig DEFAULTS = new OutputConfig(true);
}
