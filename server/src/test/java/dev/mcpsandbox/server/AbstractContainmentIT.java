package dev.mcpsandbox.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Probes run inside real sandboxes and judged from outside (as bubblewrap's own tests do): each test would
 * fail if the code ran directly on the host as root. One server per concrete class, started from that class's
 * {@link #configJson() configuration} with a canary variable in its environment; the configuration must keep
 * output redaction off, so that a leak cannot be masked by the redactor.
 *
 * <p>A contract suite: every server configuration that must keep these promises gets a subclass
 * ({@link ContainmentIT}: no upstream servers; {@link ContainmentWithUpstreamsIT}: code mode with real upstream
 * MCP servers). The server lives in an instance field of the per-class test instance, so subclasses never share
 * or replace each other's server.
 *
 * <p>Network probes only ever target a listener this test opened on 127.0.0.1 (see notes/isolation.md).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractContainmentIT {
    protected static final SecureRandom RANDOM = new SecureRandom();
    /** Letters only: nothing the secret redactor (card numbers, key=value) could match, even if it were on. */
    protected static final String CANARY = "canary" + letters(24);

    private SandboxServer server;
    private final List<Path> cleanup = new ArrayList<>();

    /** The server's configuration file; it must turn output redaction off ({@code "output": {"redactSecrets": false}}). */
    protected abstract String configJson() throws Exception;

    @BeforeAll
    void start() throws Exception {
        server = startServer(configJson(), Map.of("MCP_SANDBOX_CANARY", CANARY));
    }

    /** Starts the server under test with this configuration and these extra environment variables. */
    protected SandboxServer startServer(String configJson, Map<String, String> env) throws Exception {
        return SandboxServer.start(configJson, env);
    }

    /** Arguments every probe's execute_code call carries besides language, code and time (e.g. network: true). */
    protected Map<String, Object> probeArguments() {
        return Map.of();
    }

    /** The server of this class. */
    protected SandboxServer server() {
        return server;
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void deletePlantedFiles() throws IOException {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(cleanup.get(i));
        }
    }

    // ---------------------------------------------------------------- host files

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void cannotReadFilePlantedOnHost(String language) throws Exception {
        String secret = "planted" + letters(24);
        List<Path> planted = plantWhereServerRuns(secret);

        StringBuilder code = new StringBuilder();
        for (Path p : planted) {
            code.append(readFileProbe(language, p.toString()));
        }
        Map<String, Object> r = run(language, code.toString(), 10);

        String stdout = (String) r.get("stdout");
        assertThat(stdout + r.get("stderr")).as("output of the probe").doesNotContain(secret);
        for (Path p : planted) {
            assertThat(stdout).as("result of reading %s inside the sandbox", p)
                    .contains("DENIED " + p).doesNotContain("READ " + p);
        }
    }

    /**
     * Files holding {@code secret}, readable by everyone, in the places a sandbox must not see on the machine the
     * server runs on (here: this host's temporary directories and root's home); checked readable (positive control).
     */
    protected List<Path> plantWhereServerRuns(String secret) throws Exception {
        List<Path> planted = new ArrayList<>();
        planted.add(plant(Path.of(System.getProperty("java.io.tmpdir")), secret));
        if (!Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize().equals(Path.of("/tmp"))) {
            planted.add(plant(Path.of("/tmp"), secret));
        }
        if (Files.isDirectory(Path.of("/root")) && Files.isWritable(Path.of("/root"))) {
            planted.add(plant(Path.of("/root"), secret));
        }
        for (Path p : planted) {
            assertThat(Files.readString(p)).isEqualTo(secret);
        }
        return planted;
    }

    private Path plant(Path parent, String secret) throws IOException {
        Path dir = Files.createTempDirectory(parent, "containment-it-");
        cleanup.add(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path file = dir.resolve("planted.txt");
        Files.writeString(file, secret);
        cleanup.add(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    private static String readFileProbe(String language, String path) {
        switch (language) {
            case "python":
                return "try:\n"
                        + "    print('READ " + path + " ' + open('" + path + "').read())\n"
                        + "except OSError as e:\n"
                        + "    print('DENIED " + path + " ' + type(e).__name__)\n";
            case "javascript":
                return "try { console.log('READ " + path + " ' + require('fs').readFileSync('" + path + "', 'utf8')); }"
                        + " catch (e) { console.log('DENIED " + path + " ' + e.code); }\n";
            case "bash":
                return "if c=$(cat '" + path + "' 2>&1); then echo \"READ " + path + " $c\";"
                        + " else echo \"DENIED " + path + " $c\"; fi\n";
            default:
                throw new IllegalArgumentException(language);
        }
    }

    // ---------------------------------------------------------------- environment

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void cannotSeeServerEnvironmentVariable(String language) throws Exception {
        // Positive control: the server process itself does carry the canary.
        assertThat(serverEnvironment()).as("environment of the server process").contains(CANARY);

        String code;
        switch (language) {
            case "python":
                code = """
                        import os
                        for k, v in os.environ.items():
                            print('ENV', k + '=' + v)
                        for pid in ['1', 'self'] + [p for p in os.listdir('/proc') if p.isdigit()]:
                            try:
                                data = open('/proc/%s/environ' % pid, 'rb').read()
                                print('PROC', pid, data.replace(b'\\0', b' ').decode('utf-8', 'replace'))
                            except OSError as e:
                                print('PROC', pid, 'unreadable', type(e).__name__)
                        """;
                break;
            case "javascript":
                code = """
                        const fs = require('fs');
                        for (const [k, v] of Object.entries(process.env)) console.log('ENV ' + k + '=' + v);
                        const pids = ['1', 'self', ...fs.readdirSync('/proc').filter(p => /^\\d+$/.test(p))];
                        for (const pid of pids) {
                          try { console.log('PROC ' + pid + ' ' + fs.readFileSync('/proc/' + pid + '/environ', 'latin1').split('\\0').join(' ')); }
                          catch (e) { console.log('PROC ' + pid + ' unreadable ' + e.code); }
                        }
                        """;
                break;
            case "bash":
                code = """
                        env | sed 's/^/ENV /'
                        set | sed 's/^/SET /'
                        for f in /proc/1/environ /proc/self/environ /proc/[0-9]*/environ; do
                          echo "PROC $f $(tr '\\0' ' ' < "$f" 2>&1)"
                        done
                        """;
                break;
            default:
                throw new IllegalArgumentException(language);
        }
        Map<String, Object> r = run(language, code, 10);
        String out = (String) r.get("stdout");
        assertThat(r.get("exitCode")).as("exit code; stderr: %s", r.get("stderr")).isEqualTo(0);
        // The probe can read an environment at all: PATH is there.
        assertThat(out).contains("ENV PATH=");
        assertThat(out).containsPattern("PROC (1|/proc/1/environ) ").containsPattern("PROC (self|/proc/self/environ) ");
        assertThat(out + r.get("stderr")).as("sandbox output").doesNotContain(CANARY).doesNotContain("MCP_SANDBOX_CANARY");
    }

    /** The environment of the server process (a child of this JVM running the jar), read from the host's /proc. */
    protected String serverEnvironment() throws Exception {
        return new String(Files.readAllBytes(Path.of("/proc", Long.toString(server.pid()), "environ")),
                StandardCharsets.UTF_8).replace('\0', '\n');
    }

    // ---------------------------------------------------------------- network

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void cannotConnectToHostLoopbackListener(String language) throws Exception {
        try (LoopbackListener listener = openLoopbackListenerWhereServerRuns()) {
            // Positive control: the listener counts a connection made beside the server, outside any sandbox.
            listener.connectFromBesideTheServer();
            listener.awaitConnections(1, Duration.ofSeconds(20));
            listener.reset();

            int port = listener.port();
            String code;
            switch (language) {
                case "python":
                    code = "import socket\n"
                            + "try:\n"
                            + "    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
                            + "    s.settimeout(3)\n"
                            + "    s.connect(('127.0.0.1', " + port + "))\n"
                            + "    print('CONNECTED')\n"
                            + "except OSError as e:\n"
                            + "    print('BLOCKED', type(e).__name__, e)\n"
                            + "try:\n"
                            + "    socket.create_connection(('127.0.0.1', " + port + "), timeout=3)\n"
                            + "    print('CONNECTED')\n"
                            + "except OSError as e:\n"
                            + "    print('BLOCKED', type(e).__name__, e)\n";
                    break;
                case "javascript":
                    code = "const net = require('net');\n"
                            + "await new Promise(resolve => {\n"
                            + "  const timer = setTimeout(() => { console.log('BLOCKED timeout'); s.destroy(); resolve(); }, 3000);\n"
                            + "  const s = net.connect({host: '127.0.0.1', port: " + port + "});\n"
                            + "  s.on('connect', () => { console.log('CONNECTED'); clearTimeout(timer); s.destroy(); resolve(); });\n"
                            + "  s.on('error', e => { console.log('BLOCKED ' + e.code); clearTimeout(timer); resolve(); });\n"
                            + "});\n";
                    break;
                case "bash":
                    code = "if timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + port + "'; then echo CONNECTED;"
                            + " else echo \"BLOCKED $?\"; fi\n"
                            + "if (exec 3<>/dev/tcp/127.0.0.1/" + port + ") 2>/dev/null; then echo CONNECTED;"
                            + " else echo \"BLOCKED $?\"; fi\n";
                    break;
                default:
                    throw new IllegalArgumentException(language);
            }
            Map<String, Object> r = run(language, code, 10);
            String out = (String) r.get("stdout");
            assertThat(out).as("probe output; stderr: %s", r.get("stderr")).contains("BLOCKED").doesNotContain("CONNECTED");
            Thread.sleep(200);
            assertThat(listener.connections()).as("connections the host listener accepted from the sandbox").isZero();
        }
    }

    /** A listener on 127.0.0.1 of the network namespace the server runs in, counting the connections it accepts. */
    protected interface LoopbackListener extends AutoCloseable {
        int port();

        /** Connects to the listener from a process beside the server (not in a sandbox). */
        void connectFromBesideTheServer() throws Exception;

        int connections();

        void reset();

        default void awaitConnections(int n, Duration within) throws InterruptedException {
            long end = System.nanoTime() + within.toNanos();
            while (connections() < n && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertThat(connections()).as("connections seen by the listener (positive control)").isEqualTo(n);
        }
    }

    /** Opens the listener the network probes aim at: here on the host's loopback, where the server runs. */
    protected LoopbackListener openLoopbackListenerWhereServerRuns() throws Exception {
        return Listener.open();
    }

    /** A listener on the host's loopback that counts every connection it accepts. */
    private static final class Listener implements LoopbackListener {
        private final ServerSocket socket;
        private final AtomicInteger connections = new AtomicInteger();
        private final Thread acceptor;

        private Listener(ServerSocket socket) {
            this.socket = socket;
            this.acceptor = new Thread(this::acceptLoop, "containment-listener");
            this.acceptor.setDaemon(true);
            this.acceptor.start();
        }

        static Listener open() throws IOException {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            return new Listener(s);
        }

        private void acceptLoop() {
            while (!socket.isClosed()) {
                try (Socket ignored = socket.accept()) {
                    connections.incrementAndGet();
                } catch (SocketException closed) {
                    return;
                } catch (IOException e) {
                    // keep accepting
                }
            }
        }

        @Override
        public int port() {
            return socket.getLocalPort();
        }

        @Override
        public void connectFromBesideTheServer() throws IOException {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(socket.getInetAddress(), port()), 2000);
            }
        }

        @Override
        public int connections() {
            return connections.get();
        }

        @Override
        public void reset() {
            connections.set(0);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    // ---------------------------------------------------------------- filesystem

    @ParameterizedTest
    @ValueSource(strings = {"python", "bash"})
    void cannotWriteOutsideWorkDir(String language) throws Exception {
        String name = "containment-it-" + letters(12);
        List<String> forbidden = List.of("/usr/" + name, "/etc/" + name, "/" + name, "/opt/" + name, "/usr/bin/" + name,
                "/proc/" + name);
        List<String> allowed = List.of("/workspace/" + name, "/tmp/" + name);
        StringBuilder code = new StringBuilder();
        if (language.equals("python")) {
            code.append("import os\n");
            code.append("def probe(p):\n"
                    + "    try:\n"
                    + "        with open(p, 'w') as f:\n"
                    + "            f.write('x')\n"
                    + "    except OSError as e:\n"
                    + "        print('DENIED', p, type(e).__name__)\n"
                    + "        return\n"
                    + "    print('WROTE', p, open(p).read())\n"
                    + "    if not p.startswith(('/workspace/', '/tmp/')):\n"
                    + "        os.remove(p)\n");
            for (String p : forbidden) {
                code.append("probe('").append(p).append("')\n");
            }
            for (String p : allowed) {
                code.append("probe('").append(p).append("')\n");
            }
        } else {
            code.append("probe() { if (echo x > \"$1\") 2>/dev/null; then echo \"WROTE $1 $(cat \"$1\")\";"
                    + " case \"$1\" in /workspace/*|/tmp/*) ;; *) rm -f \"$1\";; esac;"
                    + " else echo \"DENIED $1\"; fi; }\n");
            for (String p : forbidden) {
                code.append("probe ").append(p).append('\n');
            }
            for (String p : allowed) {
                code.append("probe ").append(p).append('\n');
            }
        }
        Map<String, Object> r = run(language, code.toString(), 10);
        String out = (String) r.get("stdout");
        for (String p : forbidden) {
            assertThat(out).as("writing %s; stderr: %s", p, r.get("stderr")).contains("DENIED " + p)
                    .doesNotContain("WROTE " + p);
            assertThat(existsWhereServerRuns(p)).as("%s where the server runs", p).isFalse();
        }
        for (String p : allowed) {
            assertThat(out).as("writing %s (positive control); stderr: %s", p, r.get("stderr"))
                    .contains("WROTE " + p + " x");
        }
        // The sandbox's /tmp is not the /tmp of the machine the server runs on.
        assertThat(existsWhereServerRuns("/tmp/" + name)).as("/tmp where the server runs").isFalse();
    }

    /** Whether {@code path} exists on the machine the server runs on (here: this host). */
    protected boolean existsWhereServerRuns(String path) throws Exception {
        return Files.exists(Path.of(path));
    }

    // ---------------------------------------------------------------- identity and privileges

    @Test
    void connectionsToTheHostsSocketsNameNoHostPath() {
        // The host's end of a Unix connection is created in the connecting sandbox's network namespace with the
        // address its listener was bound at: while the code holds one open, its /proc/net/unix shows that address.
        Map<String, Object> r = run("python", """
                import os, socket
                held = []
                for name in sorted(os.listdir('/run/mcp')) if os.path.isdir('/run/mcp') else []:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    try:
                        s.connect('/run/mcp/' + name)
                        held.append(name)
                    except OSError:
                        s.close()
                print('HELD', ' '.join(held))
                for line in open('/proc/net/unix').read().splitlines()[1:]:
                    fields = line.split()
                    if len(fields) > 7:
                        print('PATH', fields[-1])
                """, 20);
        String out = (String) r.get("stdout");
        assertThat(r.get("exitCode")).as("stderr: %s", r.get("stderr")).isEqualTo(0);
        List<String> paths = out.lines().filter(l -> l.startsWith("PATH ")).map(l -> l.substring(5)).toList();
        assertThat(paths).as("addresses in the sandbox's /proc/net/unix")
                .noneMatch(p -> p.contains("mcp-sandbox") || p.contains("/" + server().pid() + "/"));
        List<String> held = out.lines().filter(l -> l.startsWith("HELD")).findFirst().map(l -> l.substring(4).strip())
                .filter(l -> !l.isEmpty()).map(l -> List.of(l.split(" "))).orElse(List.of());
        if (!held.isEmpty() && !BackendUnderTest.current().isGvisor()) {  // gVisor never holds the host's end
            assertThat(paths).as("the host's ends of the held connections to %s, listed (positive control)", held)
                    .anyMatch(p -> held.stream().anyMatch(p::endsWith));
        }
    }

    @Test
    void runsAsNonRootWithoutCapabilities() {
        Map<String, Object> r = run("python", """
                import os
                print('UID', os.getuid(), os.geteuid(), os.getgid(), os.getegid())
                print('GROUPS', os.getgroups())
                print(open('/proc/self/status').read())
                """, 10);
        String out = (String) r.get("stdout");
        assertThat(r.get("exitCode")).as("stderr: %s", r.get("stderr")).isEqualTo(0);
        assertThat(out).contains("UID 65534 65534 65534 65534");
        Map<String, String> status = statusFields(out);
        assertThat(status.get("Uid")).as("Uid line").isEqualTo("65534\t65534\t65534\t65534");
        assertThat(status.get("Gid")).as("Gid line").isEqualTo("65534\t65534\t65534\t65534");
        // gVisor's /proc has no CapAmb line (nor ambient capabilities to show).
        for (String cap : BackendUnderTest.current().isGvisor() ? List.of("CapInh", "CapPrm", "CapEff", "CapBnd")
                : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
            assertThat(status.get(cap)).as(cap).isEqualTo("0000000000000000");
        }
        if (BackendUnderTest.current().isGvisor()) {
            // gVisor's /proc has no NoNewPrivs line; runsc applies the flag from the container's spec all the same.
            assertThat(status.get("NoNewPrivs")).as("NoNewPrivs under gVisor").isNull();
        } else {
            assertThat(status.get("NoNewPrivs")).as("NoNewPrivs").isEqualTo("1");
        }
        assertThat(status.get("Seccomp")).as("Seccomp (2 = filter)").isEqualTo("2");
    }

    @Test
    void sandboxProcessIsNotHostRoot() throws Exception {
        // The uid inside is mapped; what matters on the host is the real uid of the code's processes.
        String marker = "hostuid" + letters(16);
        CompletableFuture<Map<String, Object>> running = CompletableFuture.supplyAsync(() -> run("bash",
                "sh -c 'sleep 3; :' " + marker + " &\nsleep 3.5\necho done\n", 10));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        Map<Long, String> uids = Map.of();
        while (System.nanoTime() < end && !running.isDone()) {
            uids = hostProcessesMatching(marker).stream().collect(java.util.stream.Collectors.toMap(
                    pid -> pid, pid -> statusLine(pid, "Uid").orElse("?")));
            if (!uids.isEmpty()) {
                break;
            }
            Thread.sleep(20);
        }
        Map<String, Object> r = running.get(15, TimeUnit.SECONDS);
        assertThat(r.get("stdout")).as("stderr: %s", r.get("stderr")).isEqualTo("done\n");
        if (BackendUnderTest.current().isGvisor()) {
            // Under gVisor the code's processes live in its user-space kernel: none exists on the host at all.
            assertThat(uids).as("host processes carrying the sandbox's command line under gVisor").isEmpty();
            return;
        }
        assertThat(uids).as("host processes of the sandbox, seen from the host while it ran (positive control)")
                .isNotEmpty();
        for (Map.Entry<Long, String> e : uids.entrySet()) {
            for (String uid : e.getValue().split("\\s+")) {
                assertThat(Integer.parseInt(uid)).as("host uid of sandbox pid %d (Uid: %s)", e.getKey(), e.getValue())
                        .isNotZero();
            }
        }
    }

    @Test
    void cannotCreateUserNamespace() {
        Map<String, Object> bash = run("bash", """
                if unshare -U true 2>/dev/null; then echo 'UNSHARE-U OK'; else echo "UNSHARE-U FAILED $?"; fi
                if unshare -Ur true 2>/dev/null; then echo 'UNSHARE-UR OK'; else echo "UNSHARE-UR FAILED $?"; fi
                """, 10);
        assertThat((String) bash.get("stdout")).as("stderr: %s", bash.get("stderr"))
                .contains("UNSHARE-U FAILED", "UNSHARE-UR FAILED").doesNotContain(" OK");

        Map<String, Object> python = run("python", """
                import ctypes, os
                libc = ctypes.CDLL(None, use_errno=True)
                CLONE_NEWUSER = 0x10000000
                rc = libc.unshare(CLONE_NEWUSER)
                print('UNSHARE', rc, os.strerror(ctypes.get_errno()) if rc != 0 else 'OK')
                if hasattr(os, 'unshare'):
                    try:
                        os.unshare(os.CLONE_NEWUSER)
                        print('OS.UNSHARE OK')
                    except OSError as e:
                        print('OS.UNSHARE FAILED', e)
                # a user namespace through clone(2) in a child, as a second door
                pid = os.fork()
                if pid == 0:
                    os._exit(0 if libc.unshare(CLONE_NEWUSER | 0x00020000) == 0 else 1)
                _, status = os.waitpid(pid, 0)
                print('CHILD UNSHARE', 'OK' if os.WEXITSTATUS(status) == 0 else 'FAILED')
                """, 10);
        String out = (String) python.get("stdout");
        assertThat(out).as("stderr: %s", python.get("stderr")).contains("UNSHARE -1 ").contains("CHILD UNSHARE FAILED")
                .doesNotContain(" OK");
    }

    // ---------------------------------------------------------------- processes

    @Test
    void cannotSeeHostProcesses() {
        Map<String, Object> r = run("python", """
                import os
                pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
                print('PIDS', ' '.join(map(str, pids)))
                for p in pids:
                    try:
                        print('CMD', p, open('/proc/%d/cmdline' % p, 'rb').read().replace(b'\\0', b' ').decode())
                    except OSError as e:
                        print('CMD', p, 'unreadable', type(e).__name__)
                """, 10);
        String out = (String) r.get("stdout");
        assertThat(r.get("exitCode")).as("stderr: %s", r.get("stderr")).isEqualTo(0);
        Matcher m = Pattern.compile("(?m)^PIDS (.*)$").matcher(out);
        assertThat(m.find()).as("pid list in %s", out).isTrue();
        List<Long> pids = Stream.of(m.group(1).trim().split(" ")).map(Long::parseLong).toList();
        long hostProcesses = hostPids().size();
        assertThat(hostProcesses).as("processes on the host (the probe is meaningless without them)").isGreaterThan(10);
        assertThat(pids).as("pids visible in the sandbox").hasSizeLessThanOrEqualTo(5).contains(1L);
        assertThat(out).as("command lines visible in the sandbox")
                .doesNotContain("java").doesNotContain("mcp-sandbox.jar").doesNotContain("surefire")
                .doesNotContain("failsafe");
        // Listing ps as well: same picture.
        Map<String, Object> ps = run("bash", "ps -e -o pid=,comm= | wc -l; ps -e -o args=", 10);
        assertThat((String) ps.get("stdout")).as("ps inside; stderr: %s", ps.get("stderr"))
                .doesNotContain("java").doesNotContain("mcp-sandbox.jar");
        assertThat(Integer.parseInt(((String) ps.get("stdout")).lines().findFirst().orElse("0").trim()))
                .as("processes listed by ps inside").isBetween(1, processesAtMostInside());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bash", "python"})
    void backgroundProcessesAreGoneWhenResultReturns(String language) throws Exception {
        // Unique in the host's process table: "sleep <seconds>" with a random large number of seconds.
        String seconds = Long.toString(900_000 + RANDOM.nextInt(99_999));
        String code;
        if (language.equals("bash")) {
            code = "sleep " + seconds + " &\n"
                    + "echo \"child $!\"\n"
                    + "setsid sleep " + seconds + " &\n"
                    + "nohup sleep " + seconds + " >/dev/null 2>&1 &\n"
                    + "disown -a\n"
                    + "sleep 1.5\n";
        } else {
            code = "import os, subprocess, time\n"
                    + "p = subprocess.Popen(['sleep', '" + seconds + "'], start_new_session=True,"
                    + " stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
                    + "print('child', p.pid)\n"
                    + "# classic daemon: double fork, new session, the grandchild is orphaned\n"
                    + "if os.fork() == 0:\n"
                    + "    os.setsid()\n"
                    + "    if os.fork() == 0:\n"
                    + "        os.execvp('sleep', ['sleep', '" + seconds + "'])\n"
                    + "    os._exit(0)\n"
                    + "time.sleep(1.5)\n";
        }
        String needle = "sleep\0" + seconds;
        CompletableFuture<Map<String, Object>> running = CompletableFuture.supplyAsync(() -> run(language, code, 10));
        int seenWhileRunning = 0;
        while (!running.isDone()) {
            seenWhileRunning = Math.max(seenWhileRunning, hostProcessesWithCmdline(needle).size());
            Thread.sleep(20);
        }
        Map<String, Object> r = running.get();
        assertThat(r.get("exitCode")).as("stderr: %s", r.get("stderr")).isEqualTo(0);
        assertThat((String) r.get("stdout")).contains("child ");
        if (BackendUnderTest.current().isGvisor()) {
            // gVisor's processes are not host processes; the container (and its kernel) is gone with the run.
            assertThat(seenWhileRunning).as("background sleeps visible on the host under gVisor").isZero();
            return;
        }
        assertThat(seenWhileRunning).as("background sleeps seen on the host while the code ran (positive control)")
                .isGreaterThanOrEqualTo(2);

        List<Long> left = List.of();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        do {
            left = hostProcessesWithCmdline(needle);
            if (left.isEmpty()) {
                break;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < end);
        if (!left.isEmpty()) {
            String description = describe(left);
            left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            fail("background processes survived the execution by more than 2 s: " + description);
        }
    }

    // ---------------------------------------------------------------- isolation between executions

    @Test
    void executionsDoNotShareWorkDirectory() {
        String name = "marker-" + letters(12);
        // "cd DIR && ls", not "ls DIR": gVisor (runsc 20221219) fails coreutils' statx of a directory argument.
        Map<String, Object> a = run("bash", "echo A > /workspace/" + name + " && echo A > /tmp/" + name
                + " && (cd /workspace && ls) && (cd /tmp && ls)", 10);
        assertThat((String) a.get("stdout")).as("run A wrote its markers; stderr: %s", a.get("stderr"))
                .contains(name);
        assertThat(a.get("exitCode")).isEqualTo(0);

        Map<String, Object> b = run("bash", "for f in /workspace/" + name + " /tmp/" + name
                + "; do if [ -e $f ]; then echo \"SEEN $f\"; else echo \"ABSENT $f\"; fi; done;"
                + " (cd /workspace && ls -a) && (cd /tmp && ls -a)", 10);
        String out = (String) b.get("stdout");
        assertThat(out).as("run B; stderr: %s", b.get("stderr"))
                .contains("ABSENT /workspace/" + name, "ABSENT /tmp/" + name).doesNotContain("SEEN");
        assertThat(b.get("executionId")).isNotEqualTo(a.get("executionId"));
    }

    // ---------------------------------------------------------------- helpers

    /** Processes a probe's sandbox holds at most besides the host's (its init, launcher, the probe's own). */
    protected int processesAtMostInside() {
        return 6;
    }

    /** The session every probe runs in; empty (the default) for a fresh sandbox per probe. */
    protected Optional<String> session() {
        return Optional.empty();
    }

    protected Map<String, Object> run(String language, String code, int timeoutSeconds) {
        return runIn(session(), language, code, timeoutSeconds);
    }

    protected Map<String, Object> runIn(Optional<String> session, String language, String code, int timeoutSeconds) {
        Map<String, Object> args = new HashMap<>();
        args.put("language", language);
        args.put("code", code);
        args.put("timeoutSeconds", timeoutSeconds);
        session.ifPresent(name -> args.put("session", name));
        args.putAll(probeArguments());
        Map<String, Object> r = server.execute(args);
        assertThat(r).as("structured result").isNotNull();
        assertThat(r.get("limitHit")).as("limit hit by a containment probe; stdout: %s stderr: %s", r.get("stdout"),
                r.get("stderr")).isNull();
        return r;
    }

    private static Map<String, String> statusFields(String text) {
        Map<String, String> fields = new HashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }

    protected static List<Long> hostPids() {
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    protected static Optional<String> cmdline(long pid) {
        try (InputStream in = Files.newInputStream(Path.of("/proc", Long.toString(pid), "cmdline"))) {
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Host pids whose NUL-separated command line contains {@code needle} as a whole argument sequence. */
    protected static List<Long> hostProcessesWithCmdline(String needle) {
        List<Long> found = new ArrayList<>();
        for (long pid : hostPids()) {
            cmdline(pid).filter(c -> ("\0" + c).contains("\0" + needle + "\0") || ("\0" + c).endsWith("\0" + needle))
                    .ifPresent(c -> found.add(pid));
        }
        return found;
    }

    private static List<Long> hostProcessesMatching(String marker) {
        List<Long> found = new ArrayList<>();
        for (long pid : hostPids()) {
            cmdline(pid).filter(c -> c.contains(marker)).ifPresent(c -> found.add(pid));
        }
        return found;
    }

    private static Optional<String> statusLine(long pid, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(key + ":")) {
                    return Optional.of(line.substring(key.length() + 1).strip());
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static String describe(List<Long> pids) {
        StringBuilder b = new StringBuilder();
        for (long pid : pids) {
            b.append("\n  pid ").append(pid).append(" uid ").append(statusLine(pid, "Uid").orElse("?"))
                    .append(" ppid ").append(statusLine(pid, "PPid").orElse("?"))
                    .append(": ").append(cmdline(pid).orElse("?").replace('\0', ' '));
        }
        return b.toString();
    }

    protected static String letters(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append((char) ('a' + RANDOM.nextInt(26)));
        }
        return b.toString();
    }
}
