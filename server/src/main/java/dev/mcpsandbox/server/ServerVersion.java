package dev.mcpsandbox.server;

/**
 * The version this server reports in {@code serverInfo}, {@code --version} and {@code /healthz}: the pom's, which
 * the shade plugin writes into the jar's manifest as {@code Implementation-Version}. Classes run outside the jar
 * (an IDE, {@code target/classes}) have no manifest and report {@code dev}.
 */
public final class ServerVersion {
    private ServerVersion() {
    }

    public static String number() {
        String v = ServerVersion.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
