package dev.mcpsandbox.config;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Optional;

/** Which isolation mechanism runs the code. */
public enum BackendKind {
    BUBBLEWRAP("bubblewrap"), DOCKER("docker"), GVISOR("gvisor");

    private final String jsonName;

    BackendKind(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The name in the configuration file; Jackson reads and writes the enum by it. */
    @JsonValue
    public String jsonName() {
        return jsonName;
    }

    public static Optional<BackendKind> fromJson(String name) {
        return Arrays.stream(values()).filter(k -> k.jsonName.equals(name)).findFirst();
    }
}
