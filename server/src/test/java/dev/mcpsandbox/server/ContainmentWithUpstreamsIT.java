package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "With upstream servers configured, all containment tests of the foundation still pass: the bridge is the only
 * way out." Every probe of {@link AbstractContainmentIT}, against a server in code mode with the pinned
 * {@code server-everything} and {@code server-memory} configured and allowed; plus what the bridge adds: each
 * sandbox sees its own bridge socket and nothing of the host's side of it, and the upstream servers are neither
 * visible from the sandbox nor carriers of the server's environment.
 */
class ContainmentWithUpstreamsIT extends AbstractContainmentIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path memoryDir;

    @Override
    protected String configJson() throws IOException {
        Path everything = CodeModeIT.upstreamBin("mcp-server-everything");
        Path memory = CodeModeIT.upstreamBin("mcp-server-memory");
        SandboxServer.requireOrSkip(Files.isExecutable(everything) && Files.isExecutable(memory),
                "the pinned upstream MCP servers are not installed (bin/setup --test-deps)");
        memoryDir = Files.createTempDirectory("containment-upstreams-it-");
        Map<String, Object> servers = new LinkedHashMap<>();
        servers.put("everything", Map.of("command", everything.toString(), "args", List.of()));
        servers.put("memory", Map.of("command", memory.toString(), "args", List.of(),
                "env", Map.of("MEMORY_FILE_PATH", memoryDir.resolve("memory.jsonl").toString())));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("mcpServers", servers);
        config.put("tools", Map.of("allow", List.of("everything.*", "memory.*")));
        config.put("output", Map.of("redactSecrets", false));
        return JSON.writeValueAsString(config);
    }

    @AfterAll
    void deleteMemoryDir() throws IOException {
        if (memoryDir != null) {
            try (Stream<Path> files = Files.walk(memoryDir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    // ---------------------------------------------------------------- the bridge socket

    @Test
    void eachExecutionSeesOnlyItsOwnBridgeSocket() throws Exception {
        Path runRoot = serverRunRoot();
        String code = """
                import json, os, stat, time
                HOST_ROOT = %s
                listings = set()
                end = time.monotonic() + 3.0
                while time.monotonic() < end:
                    listings.add(tuple(sorted(os.listdir("/run/mcp"))))
                    time.sleep(0.05)
                sockets = []
                for top in sorted(os.listdir("/")):
                    if top in ("proc", "sys"):
                        continue
                    for dirpath, dirnames, filenames in os.walk("/" + top):
                        for f in filenames:
                            p = os.path.join(dirpath, f)
                            try:
                                if stat.S_ISSOCK(os.lstat(p).st_mode):
                                    sockets.append(p)
                            except OSError:
                                pass
                unix = [l.split()[-1] for l in open("/proc/net/unix").read().splitlines()[1:] if len(l.split()) > 7]
                # The server's end of a connection lives in this namespace while the connection is open, with the
                # address its listener was bound at.
                import socket
                held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                held.connect("/run/mcp/tools.sock")
                unix_held = [l.split()[-1] for l in open("/proc/net/unix").read().splitlines()[1:] if len(l.split()) > 7]
                held.close()
                print(json.dumps({
                    "listings": sorted(listings),
                    "inode": os.stat("/run/mcp/tools.sock").st_ino,
                    "device": os.stat("/run/mcp/tools.sock").st_dev,
                    "sockets": sockets,
                    "hostRootVisible": os.path.exists(HOST_ROOT),
                    "hostTmpVisible": os.path.exists(os.path.dirname(HOST_ROOT)),
                    "procNetUnixPaths": unix,
                    "procNetUnixPathsConnected": unix_held,
                    "callable": len(tools.list()),
                    "env": os.environ.get("MCP_TOOLS_SOCKET"),
                }))
                """.formatted(JSON.writeValueAsString(runRoot.toString()));

        // The walk lstat()s every file of the image (94,000 in the container images): 18 s alone under gVisor,
        // where a syscall costs ~100x; two at once on a loaded 2-core machine passed 30 s.
        CompletableFuture<Map<String, Object>> a = CompletableFuture.supplyAsync(() -> run("python", code, 120));
        CompletableFuture<Map<String, Object>> b = CompletableFuture.supplyAsync(() -> run("python", code, 120));
        // From the host: which bridge sockets exist at once, and their device and inode (each on its own quota tmpfs,
        // whose inode numbers start alike).
        Map<Path, String> hostSockets = new HashMap<>();
        int mostAtOnce = 0;
        while (!(a.isDone() && b.isDone())) {
            Map<Path, String> now = bridgeSockets(runRoot);
            hostSockets.putAll(now);
            mostAtOnce = Math.max(mostAtOnce, now.size());
            Thread.sleep(20);
        }
        Map<String, Object> ra = a.get(130, TimeUnit.SECONDS);
        Map<String, Object> rb = b.get(130, TimeUnit.SECONDS);
        assertThat(mostAtOnce).as("bridge sockets on the host at one time (positive control: both executions ran"
                + " at once); seen: %s", hostSockets).isGreaterThanOrEqualTo(2);

        JsonNode ia = probe(ra);
        JsonNode ib = probe(rb);
        for (JsonNode i : List.of(ia, ib)) {
            assertThat(i.path("listings").toString()).as("/run/mcp listed during the run").isEqualTo("[[\"tools.sock\"]]");
            assertThat(i.path("sockets").toString()).as("socket files anywhere in the sandbox")
                    .isEqualTo("[\"/run/mcp/tools.sock\"]");
            assertThat(i.path("hostRootVisible").asBoolean()).as("host path %s visible inside", runRoot).isFalse();
            assertThat(i.path("hostTmpVisible").asBoolean()).as("host path %s visible inside", runRoot.getParent())
                    .isFalse();
            assertThat(i.path("procNetUnixPaths").toString()).as("/proc/net/unix inside").doesNotContain("mcp-sandbox");
            assertThat(i.path("procNetUnixPathsConnected").toString())
                    .as("/proc/net/unix inside, a bridge connection open")
                    .doesNotContain("mcp-sandbox").doesNotContain(runRoot.toString());
            if (!BackendUnderTest.current().isGvisor()) {  // gVisor's own socket table never holds the host's end
                assertThat(i.path("procNetUnixPathsConnected").toString())
                        .as("the server's end of the open connection, listed (positive control)").contains("tools.sock");
            }
            assertThat(i.path("callable").asInt()).as("tools reachable through the own socket (positive control)")
                    .isGreaterThan(0);
            assertThat(i.path("env").asText()).isEqualTo("/run/mcp/tools.sock");
        }
        if (BackendUnderTest.current().isGvisor()) {
            // gVisor numbers inodes per mount itself (both sockets show the same small number); that each run had
            // its own socket is shown above by the host's two live sockets and each run listing only its own.
            return;
        }
        String inodeA = ia.path("device").asLong() + ":" + ia.path("inode").asLong();
        String inodeB = ib.path("device").asLong() + ":" + ib.path("inode").asLong();
        assertThat(inodeA).as("the two executions' sockets").isNotEqualTo(inodeB);
        assertThat(hostSockets.values()).as("inodes of the host's bridge sockets %s", hostSockets)
                .contains(inodeA, inodeB);
    }

    /**
     * The bridge is a door for one sandbox, not for whoever else is on the host: another unprivileged host user
     * who finds a live execution's socket (the path is predictable: {@code <tmp>/mcp-sandbox/<server pid>/<server
     * pid>-<n>/fs/bridge/tools.sock}) must not be able to call tools through it in that execution's name.
     */
    @Test
    void bridgeSocketIsNotReachableByOtherHostUsers() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")) && Files.isExecutable(Path.of("/usr/bin/python3"))
                && "root".equals(System.getProperty("user.name")), "needs root, setpriv and python3 to act as another user");
        Path runRoot = serverRunRoot();
        CompletableFuture<Map<String, Object>> running = CompletableFuture.supplyAsync(() -> run("python", """
                import time
                time.sleep(4)
                print("done")
                """, 30));
        Path socket = null;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (socket == null && System.nanoTime() < end) {
            socket = bridgeSockets(runRoot).keySet().stream().findFirst().orElse(null);
            Thread.sleep(20);
        }
        assertThat(socket).as("the live execution's bridge socket on the host (positive control)").isNotNull();
        // uid 12345: not root, not the server, not any sandbox's uid (those start at 61000).
        String client = """
                import json, socket, sys
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(5)
                try:
                    s.connect(sys.argv[1])
                except OSError as e:
                    print("REFUSED", type(e).__name__)
                    sys.exit(0)
                s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"everything.get-sum","arguments":{"a":1,"b":2}}}\\n')
                print("CONNECTED", s.recv(65536).decode())
                """;
        Process p = new ProcessBuilder("/usr/bin/setpriv", "--reuid=12345", "--regid=12345", "--clear-groups",
                "/usr/bin/python3", "-I", "-c", client, socket.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Map<String, Object> r = running.get(30, TimeUnit.SECONDS);
        assertThat(r.get("stdout")).isEqualTo("done\n");
        assertThat(out).as("another host user connecting to %s", socket).startsWith("REFUSED");
        assertThat((List<?>) r.get("toolCalls")).as("calls made in the execution's name").isEmpty();
    }

    // ---------------------------------------------------------------- the upstream servers

    @Test
    void upstreamServersDoNotCarryTheServersEnvironment() {
        Map<String, Object> r = run("python", """
                import json
                env = tools.everything.get_env()
                print(json.dumps(env if isinstance(env, dict) else {"raw": env}))
                """, 10);
        assertThat(r.get("exitCode")).as("stderr: %s", r.get("stderr")).isEqualTo(0);
        String out = (String) r.get("stdout");
        assertThat(out).as("the upstream's environment, fetched through the bridge (positive control)").contains("PATH");
        assertThat(out).as("the upstream's environment").doesNotContain(CANARY).doesNotContain("MCP_SANDBOX_CANARY");
    }

    @Test
    void cannotSeeUpstreamServerProcesses() {
        long server = server().pid();
        List<String> upstreams = ProcessHandle.of(server).orElseThrow().descendants()
                .map(p -> p.info().commandLine().orElse("")).filter(c -> c.contains("mcp-server-")).toList();
        assertThat(upstreams).as("upstream processes of the server on the host (positive control)").hasSize(2);

        Map<String, Object> r = run("bash", """
                ps -e -o args=
                for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$f"; echo; done
                """, 10);
        assertThat(r.get("exitCode")).as("stderr: %s", r.get("stderr")).isEqualTo(0);
        assertThat((String) r.get("stdout")).as("processes visible in the sandbox")
                .doesNotContain("mcp-server-").doesNotContain("node ").doesNotContain("java");
    }

    // ---------------------------------------------------------------- helpers

    private static JsonNode probe(Map<String, Object> r) throws IOException {
        assertThat(r.get("exitCode")).as("probe; stdout: %s\nstderr: %s", r.get("stdout"), r.get("stderr")).isEqualTo(0);
        return JSON.readTree((String) r.get("stdout"));
    }

    /**
     * Bridge sockets under the server's run directory on the host, with their inodes: a sandbox's directory is right
     * below it, a forked child's (Python on the fork path) below its {@code forks} directory.
     */
    private static Map<Path, String> bridgeSockets(Path runRoot) {
        Map<Path, String> found = new LinkedHashMap<>();
        if (Files.isDirectory(runRoot.resolve("forks"))) {
            found.putAll(bridgeSocketsRightBelow(runRoot.resolve("forks")));
        }
        found.putAll(bridgeSocketsRightBelow(runRoot));
        return found;
    }

    private static Map<Path, String> bridgeSocketsRightBelow(Path runRoot) {
        Map<Path, String> found = new LinkedHashMap<>();
        try (Stream<Path> dirs = Files.list(runRoot)) {
            for (Path d : dirs.toList()) {
                Path socket = d.resolve("fs").resolve("bridge").resolve("tools.sock");
                try {
                    found.put(socket, ((Number) Files.getAttribute(socket, "unix:dev")).longValue() + ":"
                            + ((Number) Files.getAttribute(socket, "unix:ino")).longValue());
                } catch (IOException | UnsupportedOperationException e) {
                    // not a sandbox directory, or not live
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return found;
    }

    /** The uid the server runs as: the same as this test's, since the harness starts it directly. */
    private static final String OWN_UID = uid();

    private static String uid() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .map(l -> l.split("\\s+")[2]).findFirst().orElseThrow();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The server's private run directory on the host: {@code <tmp>/mcp-sandbox-<uid>/<server pid>}. */
    private Path serverRunRoot() {
        String pid = Long.toString(server().pid());
        Set<Path> candidates = new LinkedHashSet<>(List.of(
                Path.of(System.getProperty("java.io.tmpdir"), "mcp-sandbox-" + OWN_UID, pid),
                Path.of("/tmp", "mcp-sandbox-" + OWN_UID, pid)));
        return candidates.stream().filter(Files::isDirectory).findFirst()
                .orElseThrow(() -> new AssertionError("no run directory of the server among " + candidates));
    }
}
