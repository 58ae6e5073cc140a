package dev.mcpsandbox.server.http;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sessions over Streamable HTTP, where one server serves many clients: each client's session names are its own,
 * many sessions run at once, and a stopping server ends them all.
 */
@SuppressWarnings("unchecked")
class HttpSessionsIT {
    private static final String TOKEN = "sessions-it-token-" + Long.toHexString(System.nanoTime());

    private static Map<String, Object> run(McpSyncClient client, String session, String language, String code) {
        return (Map<String, Object>) client.callTool(CallToolRequest.builder("execute_code")
                .arguments(Map.of("language", language, "code", code, "session", session)).build()).structuredContent();
    }

    @Test
    void twoClientsUsingTheSameNameGetTwoSandboxesThatCannotSeeEachOther() throws Exception {
        try (HttpServerProcess server = HttpServerProcess.start(Map.of("MCP_SANDBOX_TOKEN", TOKEN), "--http",
                "127.0.0.1:0")) {
            McpSyncClient alice = server.streamableClient(Optional.of(TOKEN));
            McpSyncClient bob = server.streamableClient(Optional.of(TOKEN));
            try {
                run(alice, "work", "python", "secret = 'alice-only'\nopen('alice.txt', 'w').write('a')\n"
                        + "import subprocess\nsubprocess.Popen(['sleep', '611.5'])");
                Map<String, Object> seen = run(bob, "work", "python", "import os, subprocess\n"
                        + "print(globals().get('secret'), os.path.exists('alice.txt'))\n"
                        + "print(subprocess.run(['ps', '-eo', 'args'], capture_output=True, text=True).stdout)");
                assertThat((String) seen.get("stdout")).as("bob's view").startsWith("None False\n")
                        .doesNotContain("611.5");
                assertThat((Map<String, Object>) seen.get("session")).containsEntry("calls", 1);
                Map<String, Object> own = run(alice, "work", "python", "print(secret, os.path.exists('alice.txt'))"
                        .replace("os.", "__import__('os')."));
                assertThat(own.get("stdout")).as("positive control: alice still has hers").isEqualTo("alice-only True\n");
                Map<String, Object> endedByBob = (Map<String, Object>) bob.callTool(CallToolRequest
                        .builder("end_session").arguments(Map.of("session", "work")).build()).structuredContent();
                assertThat(endedByBob.get("ended")).isEqualTo(true);
                assertThat(run(alice, "work", "python", "print(secret)").get("stdout"))
                        .as("bob ending his \"work\" leaves alice's").isEqualTo("alice-only\n");
            } finally {
                alice.closeGracefully();
                bob.closeGracefully();
            }
        }
    }

    @Test
    void twelveSessionsOfTenCallsEachRunAtOnceAndEveryAnswerIsRight() throws Exception {
        try (HttpServerProcess server = HttpServerProcess.start(Map.of("MCP_SANDBOX_TOKEN", TOKEN), "--http",
                "127.0.0.1:0", "--max-concurrent-requests", "16", "--rate-limit", "1000", "--rate-burst", "1000",
                "--config", config("{\"sessions\": {\"total\": 12}}"))) {
            // Twelve clients, one session each. They share one token, whose request rate and concurrency are capped:
            // raised here, since the point is the sessions, not the per-client limits (HttpFaultsIT pins those).
            List<McpSyncClient> clients = new ArrayList<>();
            for (int c = 0; c < 12; c++) {
                clients.add(server.streamableClient(Optional.of(TOKEN)));
            }
            ExecutorService callers = Executors.newFixedThreadPool(12);
            try {
                List<Future<List<String>>> sessions = new ArrayList<>();
                for (int s = 0; s < 12; s++) {
                    McpSyncClient client = clients.get(s);
                    String name = "s" + s;
                    int seed = s * 1000;
                    sessions.add(callers.submit(() -> {
                        List<String> wrong = new ArrayList<>();
                        run(client, name, "python", "total = " + seed);
                        for (int call = 1; call <= 10; call++) {
                            Map<String, Object> r = run(client, name, "python", "total += " + call + "\ntotal");
                            long expected = seed + (long) call * (call + 1) / 2;
                            if (!(r.get("result") instanceof Number n) || n.longValue() != expected) {
                                wrong.add(name + " call " + call + ": expected " + expected + ", got " + r);
                            }
                        }
                        return wrong;
                    }));
                }
                List<String> wrong = new ArrayList<>();
                for (Future<List<String>> f : sessions) {
                    wrong.addAll(f.get(10, TimeUnit.MINUTES));
                }
                assertThat(wrong).isEmpty();
            } finally {
                callers.shutdownNow();
                clients.forEach(McpSyncClient::closeGracefully);
            }
        }
    }

    @Test
    void aStoppingServerEndsEverySessionWithItsProcessesAndDirectories() throws Exception {
        Path workRoot = Files.createTempDirectory("sessions-workroot");
        workRoot.toFile().setExecutable(true, false);
        HttpServerProcess server = HttpServerProcess.start(Map.of("MCP_SANDBOX_TOKEN", TOKEN), "--http",
                "127.0.0.1:0", "--config", config("{\"execution\": {\"workRoot\": \"" + workRoot + "\"}}"));
        McpSyncClient client = server.streamableClient(Optional.of(TOKEN));
        for (String name : List.of("one", "two", "three")) {
            run(client, name, "bash", "sleep 612.25 >/dev/null 2>&1 &");
        }
        long seenBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (sleeping().size() < 3 && System.nanoTime() < seenBy) {
            Thread.sleep(100);
        }
        assertThat(sleeping()).as("positive control: the sessions' background processes").hasSize(3);
        assertThat(entries(workRoot)).as("positive control: the server's work directory").isNotEmpty();

        server.process().destroy(); // SIGTERM
        assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).as("the server stopped").isTrue();
        long goneBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!sleeping().isEmpty() && System.nanoTime() < goneBy) {
            Thread.sleep(100);
        }
        assertThat(sleeping()).as("session processes left after the server stopped").isEmpty();
        assertThat(entries(workRoot)).as("directories left under the work root").isEmpty();
        server.close();
    }

    @Test
    void anIdleSessionEndsWithItsProcesses_andTheNextCallWithItsNameSaysWhy() throws Exception {
        try (HttpServerProcess server = HttpServerProcess.start(Map.of("MCP_SANDBOX_TOKEN", TOKEN), "--http",
                "127.0.0.1:0", "--config", config("{\"sessions\": {\"idleMinutes\": 1}}"))) {
            McpSyncClient client = server.streamableClient(Optional.of(TOKEN));
            try {
                run(client, "idle", "bash", "kept=1; sleep 614.5 >/dev/null 2>&1 &");
                long seenBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (dev.mcpsandbox.server.HostProcesses.sleeping("614.5").isEmpty() && System.nanoTime() < seenBy) {
                    Thread.sleep(100);
                }
                assertThat(dev.mcpsandbox.server.HostProcesses.sleeping("614.5")).as("positive control").isNotEmpty();
                long goneBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(100);
                while (!dev.mcpsandbox.server.HostProcesses.sleeping("614.5").isEmpty() && System.nanoTime() < goneBy) {
                    Thread.sleep(500);
                }
                assertThat(dev.mcpsandbox.server.HostProcesses.sleeping("614.5"))
                        .as("the idle session's processes 100 s after its last call (idle timeout 60 s)").isEmpty();
                Map<String, Object> next = run(client, "idle", "bash", "echo \"kept=${kept:-gone}\"");
                assertThat(next.get("stdout")).isEqualTo("kept=gone\n");
                Map<String, Object> session = (Map<String, Object>) next.get("session");
                assertThat(session).containsEntry("restarted", true).containsEntry("calls", 1);
                assertThat(session.get("reason")).asString().contains("idle for 1 min");
            } finally {
                client.closeGracefully();
            }
        }
    }

    private static List<Long> sleeping() throws Exception {
        return dev.mcpsandbox.server.HostProcesses.sleeping("612.25");
    }

    /** The directories under {@code dir}: a server's run directory holds every sandbox's (files are caches). */
    private static List<Path> entries(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).toList();
        }
    }

    private static String config(String json) throws Exception {
        Path file = Files.createTempFile("sessions-it", ".json");
        Files.writeString(file, json);
        file.toFile().setReadable(true, false);
        return file.toString();
    }
}
