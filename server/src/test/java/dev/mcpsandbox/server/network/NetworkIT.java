package dev.mcpsandbox.server.network;

import dev.mcpsandbox.server.SandboxServer;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code network: true} end to end, through the built server and real sandboxes. Every target is a server this
 * test started on 127.0.0.1 (notes/isolation.md); nothing else is ever asked for, and refusals are decided before
 * any connection is made. The configuration lists the allowed server, the package index and the npm registry by
 * exact address and port, and the counting listener only by the name {@code localhost} (which resolves to a
 * loopback address it does not list, so it stays refused).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetworkIT {
    private static final String HELLO = "hello from the allowed server";
    private static final long CAP = 1_000_000;
    private static final int MAX_CONNECTIONS = 20;

    /** Python that prints the status of a GET through the proxy (and the refusal's reason), one line. */
    private static final String STATUS_OF = """
            import urllib.request, urllib.error
            try:
                print('STATUS', urllib.request.urlopen('%s', timeout=20).status)
            except urllib.error.HTTPError as e:
                print('STATUS', e.code, e.read().decode().strip())
            """;

    private LocalHttp allowed;
    private LocalHttp index;
    private LocalHttp registry;
    private LocalHttp.CountingListener unlisted;
    private SandboxServer server;
    private Path work;
    private Path audit;
    private Path wheelhouse;

    @BeforeAll
    void start() throws Exception {
        SandboxServer.jar();
        work = Files.createTempDirectory("network-it-");
        audit = work.resolve("audit.jsonl");
        allowed = LocalHttp.start().serve("/hello", HELLO.getBytes(StandardCharsets.UTF_8))
                .serve("/big", new byte[(int) (2 * CAP)]);
        unlisted = new LocalHttp.CountingListener();
        index = LocalHttp.start();
        PackageFixtures.pythonIndex(index, "tinypkg", "tiny wheel installed");
        // Not under /tmp: each sandbox has a /tmp of its own, bound over whatever the host has there.
        wheelhouse = Files.createTempDirectory(Path.of("/var/tmp"), "network-it-wheelhouse-");
        Files.write(wheelhouse.resolve(PackageFixtures.wheelName("wheelhousepkg")),
                PackageFixtures.wheel("wheelhousepkg", "installed from the wheelhouse"));
        Files.setPosixFilePermissions(wheelhouse, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(wheelhouse.resolve(PackageFixtures.wheelName("wheelhousepkg")),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        registry = LocalHttp.start();
        PackageFixtures.npmRegistry(registry, "tinynpm", "tiny npm package installed", work);
        String config = """
                { "output": {"redactSecrets": false}, "pool": {}, "audit": {"file": "%s"},
                  "network": { "allow": ["127.0.0.1:%d", "localhost:%d", "127.0.0.1:%d", "127.0.0.1:%d"],
                               "maxBytesPerCall": %d, "maxConnectionsPerCall": %d },
                  "packages": { "python": { "indexUrl": "http://127.0.0.1:%d/simple/", "trustedHosts": ["127.0.0.1"],
                                            "findLinks": ["%s"] },
                                "javascript": { "registry": "http://127.0.0.1:%d/" } } }
                """.formatted(audit, allowed.port(), unlisted.port(), index.port(), registry.port(), CAP,
                MAX_CONNECTIONS, index.port(), wheelhouse, registry.port());
        server = SandboxServer.start(config, Map.of());
    }

    @AfterAll
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (wheelhouse != null) {
            try (java.util.stream.Stream<Path> files = Files.list(wheelhouse)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(wheelhouse);
        }
        for (AutoCloseable c : new AutoCloseable[]{allowed, index, registry, unlisted}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "bash", "javascript"})
    void allowedServer_isReachedThroughUrllibCurlAndNodeFetch(String language) {
        if (language.equals("bash")) {
            assumeBubblewrap("the container runtime image has no curl");
        }
        String url = "http://127.0.0.1:" + allowed.port() + "/hello";
        String code = switch (language) {
            case "python" -> "import urllib.request\nprint(urllib.request.urlopen('" + url + "', timeout=20).read().decode())";
            case "bash" -> "curl -sS --max-time 20 " + url;
            default -> "const r = await fetch('" + url + "'); console.log(r.status, await r.text());";
        };
        int before = allowed.requests();
        Map<String, Object> r = run(language, code, true);
        assertThat((String) r.get("stdout")).as("stderr: %s", r.get("stderr")).contains(HELLO);
        assertThat(connections(r)).singleElement().satisfies(c -> {
            assertThat(c).containsEntry("host", "127.0.0.1").containsEntry("port", allowed.port())
                    .containsEntry("allowed", true);
            assertThat(((Number) c.get("bytesIn")).longValue()).isGreaterThan(HELLO.length());
            assertThat(((Number) c.get("bytesOut")).longValue()).isPositive();
        });
        assertThat(allowed.requests()).isEqualTo(before + 1);
    }

    @Test
    void unlistedAddress_isRefusedWith403TheCodeSees_andTheHostSeesNoConnection() {
        String url = "http://127.0.0.1:" + unlisted.port() + "/";
        Map<String, Object> r = run("python", """
                import urllib.request, urllib.error
                try:
                    urllib.request.urlopen('%s', timeout=20)
                    print('REACHED')
                except urllib.error.HTTPError as e:
                    print('STATUS', e.code, e.read().decode())
                """.formatted(url), true);
        assertThat((String) r.get("stdout")).contains("STATUS 403").contains("not listed in network.allow")
                .doesNotContain("REACHED");
        assertThat(connections(r)).singleElement().satisfies(c -> assertThat(c)
                .containsEntry("host", "127.0.0.1").containsEntry("port", unlisted.port())
                .containsEntry("allowed", false).containsEntry("bytesIn", 0));
        assertThat(unlisted.connections()).as("connections the unlisted server accepted").isZero();
    }

    @Test
    void theTextTheModelReads_namesTheRefusedHostAndWhy() {
        Map<String, Object> args = new HashMap<>(Map.of("language", "python", "network", true, "code",
                STATUS_OF.formatted("http://127.0.0.1:" + unlisted.port() + "/")));
        String text = SandboxServer.text(server.call("execute_code", args));
        assertThat(text).contains("network: 1 connection, 0 bytes, 1 refused or cut")
                .contains("127.0.0.1:" + unlisted.port() + ": the IP address 127.0.0.1:" + unlisted.port() + " is not listed");
    }

    @Test
    void nameThatResolvesToALoopbackAddressNotListed_isRefused() {
        Map<String, Object> r = run("python", STATUS_OF.formatted("http://localhost:" + unlisted.port() + "/"), true);
        assertThat((String) r.get("stdout")).contains("STATUS 403").contains("loopback address 127.0.0.1");
        assertThat(connections(r)).singleElement().satisfies(c -> assertThat(c)
                .containsEntry("host", "localhost").containsEntry("allowed", false));
        assertThat(unlisted.connections()).isZero();
    }

    @Test
    void ipLiteralsNotListed_areRefused_evenOnTheAllowedPort() {
        Map<String, Object> r = run("python", STATUS_OF.formatted("http://127.0.0.2:" + allowed.port() + "/hello")
                + STATUS_OF.formatted("http://[::1]:" + allowed.port() + "/hello"), true);
        assertThat(((String) r.get("stdout")).lines()).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("STATUS 403"));
        assertThat(connections(r)).extracting(c -> c.get("allowed")).containsExactly(false, false);
        assertThat(connections(r)).extracting(c -> (String) c.get("reason"))
                .allSatisfy(reason -> assertThat(reason).contains("not listed"));
    }

    @Test
    void connectTunnel_toTheListedPortWorks_toAnotherPortIsRefused() {
        Map<String, Object> r = run("python", """
                import http.client, os, urllib.parse
                proxy = urllib.parse.urlsplit(os.environ['HTTPS_PROXY'])
                for port in (%d, %d):
                    conn = http.client.HTTPConnection(proxy.hostname, proxy.port, timeout=20)
                    conn.set_tunnel('127.0.0.1', port)
                    try:
                        conn.request('GET', '/hello')
                        print('TUNNEL', port, conn.getresponse().read().decode())
                    except OSError as e:
                        print('REFUSED', port, e)
                """.formatted(allowed.port(), unlisted.port()), true);
        String out = (String) r.get("stdout");
        assertThat(out).as("stderr: %s", r.get("stderr")).contains("TUNNEL " + allowed.port() + " " + HELLO)
                .contains("REFUSED " + unlisted.port()).contains("403");
        assertThat(connections(r)).extracting(c -> c.get("port"), c -> c.get("allowed"))
                .containsExactly(org.assertj.core.groups.Tuple.tuple(allowed.port(), true),
                        org.assertj.core.groups.Tuple.tuple(unlisted.port(), false));
        assertThat(unlisted.connections()).isZero();
    }

    @Test
    void tlsNamingAnotherServerThanTheTunnel_isCutBeforeAnyByteGoesOut() {
        int before = allowed.requests();
        Map<String, Object> r = run("python", """
                import os, socket, ssl, urllib.parse
                proxy = urllib.parse.urlsplit(os.environ['HTTPS_PROXY'])
                s = socket.create_connection((proxy.hostname, proxy.port), timeout=20)
                s.sendall(b'CONNECT 127.0.0.1:%d HTTP/1.1\\r\\n\\r\\n')
                print(s.recv(1024).split(b'\\r\\n')[0].decode())
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                try:
                    context.wrap_socket(s, server_hostname='elsewhere.example')
                    print('HANDSHAKE')
                except OSError as e:
                    print('CUT', type(e).__name__)
                """.formatted(allowed.port()), true);
        assertThat(((String) r.get("stdout")).lines()).hasSize(2).first().isEqualTo("HTTP/1.1 200 Connection established");
        assertThat(((String) r.get("stdout")).lines().skip(1).findFirst().orElseThrow()).startsWith("CUT");
        assertThat(connections(r)).singleElement().satisfies(c -> {
            assertThat(c).containsEntry("allowed", false).containsEntry("bytesOut", 0);
            assertThat((String) c.get("reason")).contains("TLS server name \"elsewhere.example\"");
        });
        assertThat(allowed.requests()).isEqualTo(before);
    }

    @Test
    void bytesOverTheCap_cutTheConnection_andEndInLimitHitNetwork() {
        Map<String, Object> r = run("python", """
                import urllib.request
                got, length = 0, -1
                try:
                    with urllib.request.urlopen('http://127.0.0.1:%d/big', timeout=20) as f:
                        length = int(f.headers['Content-Length'])
                        while True:
                            chunk = f.read(65536)
                            if not chunk:
                                break
                            got += len(chunk)
                except Exception as e:
                    print(type(e).__name__)
                print('WHOLE' if got == length else 'CUT after', got)
                """.formatted(allowed.port()), true);
        assertThat((String) r.get("stdout")).contains("CUT after").doesNotContain("WHOLE");
        assertThat(r.get("limitHit")).isEqualTo("network");
        assertThat(connections(r)).singleElement().satisfies(c -> {
            assertThat((String) c.get("reason")).contains("maxBytesPerCall");
            assertThat(((Number) c.get("bytesIn")).longValue() + ((Number) c.get("bytesOut")).longValue())
                    .isLessThanOrEqualTo(CAP);
        });
    }

    @Test
    void connectionsOverTheCap_areRefused_andEndInLimitHitNetwork() {
        Map<String, Object> r = run("python", """
                import urllib.request, urllib.error
                codes = []
                for i in range(%d):
                    try:
                        codes.append(urllib.request.urlopen('http://127.0.0.1:%d/hello', timeout=20).status)
                    except urllib.error.HTTPError as e:
                        codes.append(e.code)
                print(codes.count(200), codes.count(403))
                """.formatted(MAX_CONNECTIONS + 3, allowed.port()), true);
        assertThat(((String) r.get("stdout")).strip()).isEqualTo(MAX_CONNECTIONS + " 3");
        assertThat(r.get("limitHit")).isEqualTo("network");
    }

    @Test
    void withoutNetworkTrue_thereIsNoProxy_andNoInetSocket() {
        int before = allowed.requests();
        Map<String, Object> r = run("python", """
                import os, socket, urllib.request
                print('PROXY', os.environ.get('HTTP_PROXY'))
                try:
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    print('INET SOCKET MADE')
                except OSError as e:
                    print('NO INET', e.errno)
                try:
                    urllib.request.urlopen('http://127.0.0.1:%d/hello', timeout=5)
                    print('REACHED')
                except OSError as e:
                    print('UNREACHABLE')
                """.formatted(allowed.port()), false);
        // Bubblewrap's filter refuses inet sockets; Docker's default profile makes them, and network mode none
        // (their only interface is their own loopback) is what keeps them in.
        assertThat(((String) r.get("stdout")).lines()).containsExactly("PROXY None",
                containerBackend() ? "INET SOCKET MADE" : "NO INET 97", "UNREACHABLE");
        assertThat(connections(r)).isEmpty();
        assertThat(allowed.requests()).isEqualTo(before);
    }

    @Test
    void withNetworkTrue_onlyTcpOverIpv4IsAllowed_andNothingOutsideTheSandboxAnswersDirectly() {
        assumeBubblewrap("this seccomp filter is bubblewrap's; containers keep the engine's profile and network mode none");
        Map<String, Object> r = run("python", """
                import socket
                for family, kind in ((socket.AF_INET, socket.SOCK_DGRAM), (socket.AF_INET6, socket.SOCK_STREAM),
                                     (socket.AF_NETLINK, socket.SOCK_RAW)):
                    try:
                        socket.socket(family, kind)
                        print('MADE', family, kind)
                    except OSError as e:
                        print('REFUSED', e.errno)
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.settimeout(5)
                try:
                    s.connect(('127.0.0.1', %d))
                    print('DIRECT CONNECT')
                except OSError as e:
                    print('DIRECT REFUSED', e.errno)
                """.formatted(unlisted.port()), true);
        assertThat(((String) r.get("stdout")).lines())
                .containsExactly("REFUSED 97", "REFUSED 97", "REFUSED 97", "DIRECT REFUSED 111");
        assertThat(unlisted.connections()).isZero();
    }

    @Test
    void pipInstallUser_fromTheLocalIndex_worksThroughTheProxy_andImportsInTheSameRun() {
        assumeBubblewrap("the container runtime image has no pip");
        Map<String, Object> r = run("python", """
                import subprocess, sys
                p = subprocess.run([sys.executable, '-m', 'pip', 'install', '--user', 'tinypkg'], capture_output=True, text=True)
                print('PIP', p.returncode, p.stdout, p.stderr)
                import tinypkg
                print(tinypkg.VALUE)
                """, true);
        assertThat((String) r.get("stdout")).as("stderr: %s", r.get("stderr")).contains("PIP 0")
                .contains("Successfully installed tinypkg-1.0").contains("tiny wheel installed");
        assertThat(connections(r)).isNotEmpty().allSatisfy(c -> assertThat(c)
                .containsEntry("port", index.port()).containsEntry("allowed", true));
    }

    @Test
    void pipInstallUser_inASession_staysForTheSessionsLaterCalls() {
        assumeBubblewrap("the container runtime image has no pip");
        Map<String, Object> install = server.execute(Map.of("language", "python", "network", true, "session",
                "packages", "code", "import subprocess, sys\n"
                        + "p = subprocess.run([sys.executable, '-m', 'pip', 'install', '--user', 'tinypkg'],"
                        + " capture_output=True, text=True)\nprint('PIP', p.returncode, p.stdout, p.stderr)"));
        assertThat((String) install.get("stdout")).as("stderr: %s", install.get("stderr")).contains("PIP 0");
        Map<String, Object> later = server.execute(Map.of("language", "python", "session", "packages",
                "code", "import tinypkg\nprint(tinypkg.VALUE)"));
        assertThat(later.get("stdout")).as("stderr: %s", later.get("stderr")).isEqualTo("tiny wheel installed\n");
        Map<String, Object> noNetwork = server.execute(Map.of("language", "python", "session", "packages", "code",
                "import urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:" + index.port()
                        + "/simple/', timeout=5)\n    print('REACHED')\nexcept Exception as e:\n    print('NO NETWORK')"));
        assertThat(noNetwork.get("stdout")).as("a call of the session without network: true").isEqualTo("NO NETWORK\n");
        server.call("end_session", Map.of("session", "packages"));
    }

    @Test
    void aSessionOpenedWithoutTheNetworkRefusesALaterCallThatAsksForIt() {
        server.execute(Map.of("language", "python", "session", "offline", "code", "x = 1"));
        Map<String, Object> refused = server.execute(Map.of("language", "python", "session", "offline",
                "network", true, "code", "print(x)"));
        assertThat(((Map<String, Object>) refused.get("error")).get("message")).asString()
                .contains("was opened without the network");
        server.call("end_session", Map.of("session", "offline"));
    }

    @Test
    void pipInstall_fromTheOperatorsReadOnlyWheelhouse_needsNoConnection() {
        assumeBubblewrap("the container runtime image has no pip");
        Map<String, Object> r = run("python", """
                import subprocess, sys
                p = subprocess.run([sys.executable, '-m', 'pip', 'install', '--user', '--no-index', 'wheelhousepkg'],
                                   capture_output=True, text=True)
                print('PIP', p.returncode, p.stdout, p.stderr)
                import wheelhousepkg
                print(wheelhousepkg.VALUE)
                """, true);
        assertThat((String) r.get("stdout")).as("stderr: %s", r.get("stderr")).contains("PIP 0")
                .contains("installed from the wheelhouse");
        assertThat(connections(r)).isEmpty();
    }

    @Test
    void pipInstall_fromAnIndexNotListed_failsAndTheResultNamesTheRefusedHost() {
        assumeBubblewrap("the container runtime image has no pip");
        Map<String, Object> r = run("python", """
                import subprocess, sys
                p = subprocess.run([sys.executable, '-m', 'pip', 'install', '--user', '--retries', '0', '--index-url',
                                    'http://127.0.0.1:%d/simple/', 'tinypkg'], capture_output=True, text=True)
                print('PIP', p.returncode, p.stdout, p.stderr)
                """.formatted(unlisted.port()), true);
        assertThat((String) r.get("stdout")).doesNotContain("PIP 0").contains("No matching distribution found");
        assertThat(connections(r)).isNotEmpty().allSatisfy(c -> assertThat(c)
                .containsEntry("port", unlisted.port()).containsEntry("allowed", false));
        assertThat(unlisted.connections()).isZero();
    }

    @Test
    void npmInstall_fromTheLocalRegistry_worksThroughTheProxy() {
        assumeBubblewrap("the container runtime image's npm is incomplete (its walk-up-path module is missing)");
        Map<String, Object> r = run("bash", "npm install --no-save tinynpm >npm.log 2>&1; echo \"NPM $?\"; tail -5 npm.log;"
                + " node -e \"console.log(require('tinynpm').value)\"", true);
        assertThat((String) r.get("stdout")).as("stderr: %s", r.get("stderr")).contains("NPM 0")
                .contains("tiny npm package installed");
        assertThat(connections(r)).isNotEmpty().allSatisfy(c -> assertThat(c)
                .containsEntry("port", registry.port()).containsEntry("allowed", true));
    }

    @Test
    void npmInstall_fromARegistryNotListed_failsClearly() {
        assumeBubblewrap("the container runtime image's npm is incomplete (its walk-up-path module is missing)");
        Map<String, Object> r = run("javascript", """
                const { spawnSync } = require('child_process');
                const npm = spawnSync('npm', ['install', '--no-save', '--fetch-retries=0', '--registry',
                    'http://127.0.0.1:%d/', 'tinynpm'], { encoding: 'utf8' });
                console.log('NPM', npm.status, npm.stdout, npm.stderr);
                """.formatted(unlisted.port()), true);
        assertThat((String) r.get("stdout")).doesNotContain("NPM 0").contains("403");
        assertThat(connections(r)).isNotEmpty().allSatisfy(c -> assertThat(c).containsEntry("allowed", false));
        assertThat(unlisted.connections()).isZero();
    }

    @Test
    void everyConnection_isInTheAuditLog() throws Exception {
        Map<String, Object> r = run("python", STATUS_OF.formatted("http://127.0.0.1:" + unlisted.port() + "/audited"), true);
        String id = (String) r.get("executionId");
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<String> lines = List.of();
        while (System.nanoTime() < deadline) {
            lines = Files.readAllLines(audit).stream().filter(l -> l.contains("\"executionId\":\"" + id + "\""))
                    .filter(l -> l.contains("\"event\":\"network\"")).toList();
            if (!lines.isEmpty()) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(lines).singleElement().satisfies(l -> assertThat(l).contains("\"port\":" + unlisted.port())
                .contains("\"allowed\":false").contains("not listed"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void listLanguages_saysTheNetworkAndPackageInstallsAreAvailable() {
        CallToolResult result = server.call("list_languages", Map.of());
        Map<String, Object> network = (Map<String, Object>) ((Map<String, Object>) result.structuredContent()).get("network");
        assertThat(network).containsEntry("available", true);
        assertThat((List<String>) network.get("allowed")).contains("127.0.0.1:" + allowed.port());
        assertThat((List<String>) network.get("packageInstalls")).contains("python", "javascript");
    }

    @Test
    @SuppressWarnings("unchecked")
    void networkTrue_isRefusedClearly_whenTheOperatorAllowsNothing() {
        try (SandboxServer plain = SandboxServer.start("{\"pool\": {}}", Map.of())) {
            CallToolResult result = plain.call("execute_code", Map.of("language", "python", "code", "print(1)",
                    "network", true));
            assertThat(result.isError()).isTrue();
            Map<String, Object> error = (Map<String, Object>) ((Map<String, Object>) result.structuredContent()).get("error");
            assertThat(error).containsEntry("type", "invalid_request");
            assertThat((String) error.get("message")).contains("network").contains("network.allow");
            Map<String, Object> network = (Map<String, Object>) ((Map<String, Object>) plain.call("list_languages",
                    Map.of()).structuredContent()).get("network");
            assertThat(network).containsEntry("available", false);
        }
    }

    /** The container executions run this suite too; their runtime image lacks some tools the host has. */
    private static boolean containerBackend() {
        return !System.getProperty("sandbox.backend", "bubblewrap").equals("bubblewrap");
    }

    private static void assumeBubblewrap(String why) {
        Assumptions.assumeFalse(containerBackend(), why);
    }

    private Map<String, Object> run(String language, String code, boolean network) {
        Map<String, Object> args = new HashMap<>();
        args.put("language", language);
        args.put("code", code);
        args.put("timeoutSeconds", 120);
        if (network) {
            args.put("network", true);
        }
        Map<String, Object> r = server.execute(args);
        assertThat(r).as("structured result").isNotNull();
        return r;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> connections(Map<String, Object> result) {
        return (List<Map<String, Object>>) result.get("network");
    }
}
