package dev.mcpsandbox.sandbox.backend;

/**
 * An isolation mechanism. A backend turns a {@link SandboxSpec} into a started {@link Sandbox} whose
 * code waits for its go signal, so a sandbox can be created ahead of demand (warm pools) or right
 * before use (cold path) through the same steps.
 */
public interface SandboxBackend extends AutoCloseable {

    String name();

    /** Probes the isolation this backend promises; a backend that falls short is not used. */
    BackendHealth selfCheck();

    Sandbox create(SandboxSpec spec) throws SandboxException;

    /**
     * Called once at start-up with every language found on the host and its binary ({@code binaryByLanguage}):
     * the languages this backend cannot run, each with why not and how to fix it (e.g. an image without that
     * runtime). A backend may remember the answers to pick a language's image when it creates sandboxes for
     * that binary.
     */
    default java.util.Map<String, String> cannotRun(java.util.Map<String, String> binaryByLanguage) {
        return java.util.Map.of();
    }

    /**
     * True when no cgroup counts the code's processes exactly, so the process cap must travel on the go line as
     * RLIMIT_NPROC (each sandbox then has a uid of its own, or a kernel of its own as under gVisor).
     */
    default boolean processCapByRlimit() {
        return false;
    }

    /**
     * True when this backend honours {@link SandboxSpec#network()}: TCP sockets allowed on the sandbox's own
     * loopback for the network relay, and nothing else of the network opened.
     */
    default boolean supportsNetworkRelay() {
        return false;
    }

    /** Places a file every sandbox sees read-only under /opt/mcp-sandbox (guest libraries, preloads). */
    void installGuestFile(String relativePath, String content, boolean executable) throws SandboxException;

    @Override
    void close();
}
