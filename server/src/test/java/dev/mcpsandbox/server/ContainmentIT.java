package dev.mcpsandbox.server;

/**
 * The foundation's containment probes ({@link AbstractContainmentIT}) against a server with its built-in
 * defaults and no upstream MCP servers; only output redaction is off, so that a leak cannot be masked.
 */
class ContainmentIT extends AbstractContainmentIT {
    @Override
    protected String configJson() {
        return "{\"output\": {\"redactSecrets\": false}}";
    }
}
