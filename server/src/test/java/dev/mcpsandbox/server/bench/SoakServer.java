package dev.mcpsandbox.server.bench;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.Implementation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The server under soak: the production launcher in HTTP mode on a free loopback port, with a token, a
 * configuration and a work root of its own in one temporary directory, so that what it leaves behind can be
 * counted exactly and then removed. Reads the server's own resources from /proc.
 */
final class SoakServer implements AutoCloseable {
    private static final Duration START_LIMIT = Duration.ofSeconds(120);

    private final Process process;
    private final Path home;
    private final Path workRoot;
    private final URI base;
    private final String token;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SoakServer(Process process, Path home, Path workRoot, URI base, String token) {
        this.process = process;
        this.home = home;
        this.workRoot = workRoot;
        this.base = base;
        this.token = token;
    }

    /**
     * One reading of the server's resources; {@code sockets} are the descriptors that are sockets (HTTP connections
     * and the sandboxes' bridge sockets), {@code workEntries} what is in its run directory.
     */
    record Sample(String point, long executions, long rssKb, int descriptors, int sockets, int processes,
                  int workEntries) {
    }

    /**
     * What stopping the server left: its exit, live processes of its tree, entries under the work root and
     * filesystems still mounted there (as root each sandbox gets a size-capped tmpfs).
     */
    record Ending(boolean exited, int processesLeft, int workEntriesLeft, int mountsLeft) {
        boolean clean() {
            return exited && processesLeft == 0 && workEntriesLeft == 0 && mountsLeft == 0;
        }
    }

    /**
     * @param launcher       {@code bin/mcp-sandbox}, which execs the JVM, so the process started is the server itself
     * @param maxConcurrent  executions at once; the queue is sized so that every soak client waits rather than is refused
     * @param clients        MCP sessions the soak opens
     */
    static SoakServer start(Path launcher, int maxConcurrent, int clients) throws IOException, InterruptedException {
        // Traversable by others: sandboxes run under their own uids and bind files from the work root below it.
        Path home = Files.createTempDirectory("mcp-soak", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx--x--x")));
        Path workRoot = home.resolve("work");
        Path config = home.resolve("config.json");
        // No pool: after a burst it keeps up to twice its size ready, so "nothing beyond the start" could not be exact.
        Files.writeString(config, "{\"pool\": {}, \"execution\": {\"maxConcurrent\": " + maxConcurrent
                + ", \"queueSize\": " + (clients * 4) + ", \"workRoot\": \"" + workRoot + "\"}}");
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String token = HexFormat.of().formatHex(secret);
        int port = freePort();
        // All sessions share the token, so the server sees one client: its limits per client (8 requests in flight,
        // 20 per second) would refuse the soak itself, and the answers to its keep-alive pings beside 8 calls.
        ProcessBuilder builder = new ProcessBuilder(launcher.toString(), "--http", "127.0.0.1:" + port,
                "--config", config.toString(), "--max-concurrent-requests", Integer.toString(clients * 4),
                "--rate-limit", "10000", "--rate-burst", "10000")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(home.resolve("server.log").toFile());
        builder.environment().put("MCP_SANDBOX_TOKEN", token);
        builder.environment().put("MCP_SANDBOX_LOG", "WARN");
        SoakServer server = new SoakServer(builder.start(), home, workRoot, URI.create("http://127.0.0.1:" + port), token);
        // Interrupted (Ctrl-C): still stop the server and remove what it left.
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "soak-cleanup"));
        try {
            server.awaitHealthy();
        } catch (IOException | RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void awaitHealthy() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest health = HttpRequest.newBuilder(base.resolve("/healthz")).timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + START_LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the server exited (" + process.exitValue() + ") before it was healthy:\n" + log());
            }
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IOException("the server was not healthy within " + START_LIMIT.toSeconds() + " s:\n" + log());
    }

    /** A Java SDK client with its own MCP session over Streamable HTTP, sending the token. */
    McpSyncClient client(String name) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(base.toString())
                .endpoint("/mcp")
                .addHttpRequestCustomizer((request, method, uri, body, context) ->
                        request.header("Authorization", "Bearer " + token))
                .build();
        McpSyncClient client = McpClient.sync(transport)
                .clientInfo(Implementation.builder(name, "1").build())
                .requestTimeout(Duration.ofSeconds(120))
                .initializationTimeout(Duration.ofSeconds(60))
                .build();
        client.initialize();
        return client;
    }

    Sample sample(String point, long executions) {
        long pid = process.pid();
        Path fds = Path.of("/proc", Long.toString(pid), "fd");
        return new Sample(point, executions, rssKb(pid), count(fds), sockets(fds), (int) process.descendants().count(),
                count(runDirectory()));
    }

    /** The server's private directory under the work root is named for its pid (it is the JVM: the launcher execs). */
    private Path runDirectory() {
        return workRoot.resolve(Long.toString(process.pid()));
    }

    private static long rssKb(long pid) {
        try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(pid), "status"))) {
            return lines.filter(l -> l.startsWith("VmRSS:")).findFirst()
                    .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).orElse(-1L);
        } catch (IOException e) {
            return -1;
        }
    }

    private static int sockets(Path fds) {
        try (Stream<Path> entries = Files.list(fds)) {
            return (int) entries.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                } catch (IOException closedMeanwhile) {
                    return false;
                }
            }).count();
        } catch (IOException e) {
            return -1;
        }
    }

    private static int count(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return (int) entries.count();
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * SIGTERM, as a service manager would send, then what is left: a process of the server's tree still alive
     * 10 s after the server exited, anything under the work root (the server removes its run directory) or a
     * mount below it.
     */
    Ending stop() throws InterruptedException {
        List<ProcessHandle> tree = process.descendants().toList();
        process.toHandle().destroy();
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (tree.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        int left = (int) tree.stream().filter(ProcessHandle::isAlive).count();
        int entries = Files.isDirectory(workRoot) ? count(workRoot) : 0;
        return new Ending(exited, left, entries, mountsUnder(home));
    }

    private static int mountsUnder(Path dir) {
        try {
            return mountPointsUnder(dir).size();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Deepest first, so that each can be unmounted in turn. */
    private static List<String> mountPointsUnder(Path dir) throws IOException {
        try (Stream<String> mounts = Files.lines(Path.of("/proc/self/mounts"))) {
            return mounts.map(l -> l.split(" ")).filter(f -> f.length > 1 && f[1].startsWith(dir + "/"))
                    .map(f -> f[1]).sorted(Comparator.reverseOrder()).toList();
        }
    }

    /** The server's log lines at WARN or ERROR (it logs nothing below WARN here), without their stack traces. */
    List<String> warnings() {
        return log().lines().filter(l -> l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (WARN|ERROR).*")).toList();
    }

    /** The server's stderr (warnings and errors only), for a failure report. */
    String log() {
        try {
            return Files.readString(home.resolve("server.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /**
     * Ends the server if it still runs (after a failure): SIGTERM, then SIGKILL after 30 s, and then unmounts what
     * a killed server left mounted; removes the temporary directory with everything in it.
     */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        try {
            if (process.isAlive()) {
                process.toHandle().destroy();
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    process.waitFor(30, TimeUnit.SECONDS);
                }
            }
            for (String mount : mountPointsUnder(home)) {
                new ProcessBuilder("/bin/umount", "-l", mount).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            System.err.println("soak: could not unmount under " + home + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> all = Files.walk(home)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            System.err.println("soak: could not remove " + home + ": " + e.getMessage());
        }
    }
}
