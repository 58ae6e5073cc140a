package dev.mcpsandbox.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server started by an ordinary user (uid 65534 here), as on a workstation: no cgroups, no tmpfs
 * quota, no uid switching — the sandbox itself must still hold.
 */
class UnprivilegedServerIT {
    private static SandboxServer server;

    @BeforeAll
    static void start() {
        server = SandboxServer.startAsUser(65534, "{\"pool\": {\"python\": 1}}");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void runsCodeAsAnUnprivilegedUser() {
        Map<String, Object> r = server.execute("python", "import os\nprint(6*7, os.getuid())");
        assertThat(r.get("stdout")).isEqualTo("42 65534\n");
    }

    @Test
    void cannotReachAListenerOnTheHostLoopback() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger accepted = new AtomicInteger();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        listener.accept().close();
                        accepted.incrementAndGet();
                    }
                } catch (java.io.IOException e) {
                    // closed
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Map<String, Object> r = server.execute("python", "import socket\ntry:\n    socket.create_connection(('127.0.0.1', "
                    + listener.getLocalPort() + "), timeout=2)\n    print('CONNECTED')\nexcept OSError as e:\n    print('refused', e.errno)");
            assertThat((String) r.get("stdout")).startsWith("refused");
            assertThat(accepted.get()).isZero();
        }
    }

    @Test
    void capsProcessesWithoutCgroups() {
        Map<String, Object> r = server.execute(Map.of("language", "python", "timeoutSeconds", 10,
                "limits", Map.of("processes", 16), "code", """
                        import subprocess
                        started = []
                        try:
                            for i in range(40):
                                started.append(subprocess.Popen(['sleep', '3']))
                            print('started all', len(started))
                        except OSError as e:
                            print('refused after', len(started))
                        """));
        assertThat((String) r.get("stdout")).startsWith("refused after");
    }

    @Test
    void stopsAnInfiniteLoopAtItsTimeout() {
        Map<String, Object> r = server.execute(Map.of("language", "python", "timeoutSeconds", 2, "code", "while True: pass"));
        assertThat(r.get("limitHit")).isEqualTo("timeout");
    }
}
