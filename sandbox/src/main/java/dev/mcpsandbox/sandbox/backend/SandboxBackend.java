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

    /** Places a file every sandbox sees read-only under /opt/mcp-sandbox (guest libraries, preloads). */
    void installGuestFile(String relativePath, String content, boolean executable) throws SandboxException;

    @Override
    void close();
}
