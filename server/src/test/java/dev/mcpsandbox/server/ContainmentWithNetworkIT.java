package dev.mcpsandbox.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;

/**
 * The containment probes ({@link AbstractContainmentIT}) once more with the network proxy configured and every
 * probe asking for it ({@code network: true}): the relay in the sandbox, the TCP sockets the seccomp filter then
 * allows and the proxy socket in the bridge directory must open no other way out. The allowlist names one
 * listener this test opened on 127.0.0.1 (no probe asks the proxy for it).
 */
class ContainmentWithNetworkIT extends AbstractContainmentIT {
    private ServerSocket listed;

    @Override
    protected String configJson() throws IOException {
        listed = new ServerSocket();
        listed.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        return "{\"output\": {\"redactSecrets\": false}, \"network\": {\"allow\": [\"127.0.0.1:" + listed.getLocalPort()
                + "\"]}}";
    }

    @Override
    protected Map<String, Object> probeArguments() {
        return Map.of("network", true);
    }

    @AfterAll
    void closeListener() throws IOException {
        if (listed != null) {
            listed.close();
        }
    }
}
