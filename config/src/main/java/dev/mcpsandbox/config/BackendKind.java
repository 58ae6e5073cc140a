package dev.mcpsandbox.config;

import java.util.Arrays;
import java.util.Optional;

/** Which isolation mechanism runs the code. */
public enum BackendKind {
    BUBBLEWRAP("bubblewrap"), DOCKER("docker"), GVISOR("gvisor");

    private final String jsonName;

    BackendKind(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    public static Optional<BackendKind> fromJson(String name) {
        return Arrays.stream(values()).filter(k -> k.jsonName.equals(name)).findFirst();
    }
}
