package dev.mcpsandbox.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** Pre-started sandboxes: really pre-started, used once, never leaking state, gone at shutdown. */
class WarmPoolIT {
    /** How long the Python process had been running when the user's code started, in ms. */
    private static final String AGE = """
            import os
            ticks = int(open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19])
            uptime = float(open('/proc/uptime').read().split()[0])
            print(int((uptime - ticks / os.sysconf('SC_CLK_TCK')) * 1000))
            """;

    @Test
    void pythonRunsInAnInterpreterStartedBeforeTheCodeArrived() throws Exception {
        try (SandboxServer server = SandboxServer.start("{\"pool\": {\"python\": 2}}", Map.of())) {
            Thread.sleep(1500);
            Map<String, Object> r = server.execute("python", AGE);
            assertThat(r.get("exitCode")).isEqualTo(0);
            assertThat(Long.parseLong(((String) r.get("stdout")).strip()))
                    .as("age of the interpreter when the code began (ms)").isGreaterThan(500);
        }
    }

    @Test
    void javascriptRunsInARuntimeStartedBeforeTheCodeArrived() throws Exception {
        try (SandboxServer server = SandboxServer.start("{\"pool\": {\"javascript\": 1}}", Map.of())) {
            Thread.sleep(2000);
            Map<String, Object> r = server.execute("javascript", AGE_OF_NODE);
            assertThat(r.get("exitCode")).as("%s", r).isEqualTo(0);
            assertThat(Long.parseLong(((String) r.get("stdout")).strip()))
                    .as("age of node when the code began (ms)").isGreaterThan(500);
            // Node keeps its creation-time CPU limit, yet a call with a shorter timeout is served by a pre-started
            // one too (the host's clock ends it at its own timeout).
            Thread.sleep(2000);
            Map<String, Object> shorter = server.execute(Map.of("language", "javascript", "timeoutSeconds", 7,
                    "code", AGE_OF_NODE));
            assertThat(shorter.get("exitCode")).as("%s", shorter).isEqualTo(0);
            assertThat(Long.parseLong(((String) shorter.get("stdout")).strip()))
                    .as("age of node when the code of a 7 s call began (ms)").isGreaterThan(500);
        }
    }

    private static final String AGE_OF_NODE = """
            const fs = require('fs');
            const stat = fs.readFileSync('/proc/self/stat', 'utf8');
            const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
            const uptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
            console.log(Math.round((uptime - ticks / 100) * 1000));
            """;

    /** Prints what the code finds of the preloaded module before it loads it, then changes the module's state. */
    private static String preloadProbe(Path module) {
        return """
                const path = '%s';
                const before = { cached: path in require.cache, marked: globalThis.__preloadMarked ?? null };
                const m = require(path);
                console.log(JSON.stringify({ ...before, seen: m.seen.length }));
                m.seen.push('this run');
                globalThis.__preloadMarked = 'changed by a run';
                """.formatted(module);
    }

    @Test
    void javascriptPreStartedSandboxesHaveTheOperatorsModulesLoadedBeforeTheCodeAndNothingCarriesOver()
            throws Exception {
        // Not under /tmp: a sandbox has a /tmp of its own over it.
        Path dir = readableByTheSandbox(Files.createTempDirectory(Path.of("target").toAbsolutePath(), "preload-it"));
        Path module = dir.resolve("marked.cjs");
        Files.writeString(module, "globalThis.__preloadMarked = 'by the preload';\nmodule.exports = { seen: [] };\n");
        Files.setPosixFilePermissions(module, PosixFilePermissions.fromString("rw-r--r--"));
        String config = """
                {"pool": {"javascript": 1},
                 "forkServer": {"preload": {"javascript": ["%s", "no-such-package-of-mcp-sandbox", "/nonexistent/x.cjs"]}},
                 "languages": {"javascript": {"extraReadOnlyPaths": ["%s"]}}}
                """.formatted(module, dir);
        try (SandboxServer server = SandboxServer.start(config, Map.of())) {
            dir.toFile().deleteOnExit(); // after the module: the last registered goes first
            module.toFile().deleteOnExit();
            String loads = "pre-started javascript sandboxes load [" + module + "]";
            awaitLine(server, loads);
            // The lane starts after the check; its first sandbox may still be starting.
            String preloaded = "{\"cached\":true,\"marked\":\"by the preload\",\"seen\":0}\n";
            long deadline = System.nanoTime() + 60_000_000_000L;
            Map<String, Object> r;
            do {
                Thread.sleep(500);
                r = server.execute("javascript", preloadProbe(module));
                assertThat(r.get("exitCode")).as("%s", r).isEqualTo(0);
            } while (!preloaded.equals(r.get("stdout")) && System.nanoTime() < deadline);
            assertThat(r.get("stdout")).as("a pre-started run finds the module loaded").isEqualTo(preloaded);
            for (int i = 0; i < 3; i++) {
                // Spaced so the pool refills: each run takes a sandbox of its own, whose node loaded the module anew.
                Thread.sleep(2000);
                r = server.execute("javascript", preloadProbe(module));
                assertThat(r.get("stdout")).as("run %d after one that changed the module: %s", i, r).isEqualTo(preloaded);
                assertThat(r.get("stderr")).as("the modules that failed cost a run nothing").isEqualTo("");
            }
            // A call no pre-started sandbox fits (other memory limit) starts its own and loads nothing ahead.
            r = server.execute(Map.of("language", "javascript", "code", preloadProbe(module),
                    "limits", Map.of("memoryMb", 300)));
            assertThat(r.get("stdout")).as("%s", r).isEqualTo("{\"cached\":false,\"marked\":null,\"seen\":0}\n");
            List<String> log = server.stderrLines();
            assertThat(log.stream().filter(l -> l.contains("no-such-package-of-mcp-sandbox does not load"))).hasSize(1);
            assertThat(log.stream().filter(l -> l.contains("/nonexistent/x.cjs does not load"))).hasSize(1);
        }
    }

    private static Path readableByTheSandbox(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    private static void awaitLine(SandboxServer server, String text) throws InterruptedException {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (server.stderrLines().stream().noneMatch(l -> l.contains(text)) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(server.stderrLines()).as("the server's log").anyMatch(l -> l.contains(text));
    }

    @Test
    void withoutAPoolTheInterpreterStartsWithTheRequest() throws Exception {
        try (SandboxServer server = SandboxServer.start("{\"pool\": {}}", Map.of())) {
            Thread.sleep(1500);
            Map<String, Object> r = server.execute("python", AGE);
            assertThat(Long.parseLong(((String) r.get("stdout")).strip())).isLessThan(500);
        }
    }

    @Test
    void aSandboxIsNeverHandedOutTwice() {
        String probe = """
                import builtins, os, subprocess
                found = []
                for path in ('/workspace/left.txt', '/tmp/left.txt'):
                    if os.path.exists(path):
                        found.append(path)
                if os.environ.get('LEFT_BEHIND'):
                    found.append('env')
                if getattr(builtins, 'left_behind', None):
                    found.append('global')
                for pid in os.listdir('/proc'):
                    if pid.isdigit():
                        try:
                            if b'987654' in open('/proc/%s/cmdline' % pid, 'rb').read():
                                found.append('process')
                        except OSError:
                            pass
                print('FOUND', found)
                open('/workspace/left.txt', 'w').write('x')
                open('/tmp/left.txt', 'w').write('x')
                os.environ['LEFT_BEHIND'] = '1'
                builtins.left_behind = True
                subprocess.Popen(['sleep', '987654'], start_new_session=True)
                """;
        try (SandboxServer server = SandboxServer.start("{\"pool\": {\"python\": 2, \"bash\": 1}}", Map.of())) {
            for (int i = 0; i < 8; i++) {
                Map<String, Object> r = server.execute("python", probe);
                assertThat(r.get("stdout")).as("run %d", i).isEqualTo("FOUND []\n");
            }
        }
    }

    @Test
    void anEmptyPoolFallsBackToNewSandboxes() throws Exception {
        try (SandboxServer server = SandboxServer.start(
                "{\"pool\": {\"python\": 1}, \"execution\": {\"maxConcurrent\": 6, \"queueSize\": 6}}", Map.of())) {
            ExecutorService clients = Executors.newFixedThreadPool(6);
            try {
                List<Future<Map<String, Object>>> runs = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    int n = i;
                    runs.add(clients.submit(() -> server.execute("python", "import time\ntime.sleep(0.3)\nprint(" + n + "*3)")));
                }
                for (int i = 0; i < 6; i++) {
                    assertThat(runs.get(i).get().get("stdout")).isEqualTo((i * 3) + "\n");
                }
            } finally {
                clients.shutdownNow();
            }
        }
    }

    @Test
    void preStartedSandboxesAreKilledOnShutdown() throws Exception {
        BackendUnderTest backend = BackendUnderTest.current();
        if (!backend.isBubblewrap()) {
            // Containers: the pool's sandboxes are the containers labelled with this server's session.
            long pid;
            List<String> containers;
            try (SandboxServer server = SandboxServer.start("{\"pool\": {\"python\": 2, \"javascript\": 1, \"bash\": 1}}", Map.of())) {
                pid = server.pid();
                // gVisor sandboxes take a second or more each to start on a loaded 2-core machine.
                long deadline = System.nanoTime() + 90_000_000_000L;
                do {
                    Thread.sleep(200);
                    containers = backend.containersOf(pid);
                } while (containers.size() < 4 && System.nanoTime() < deadline);
                assertThat(containers).as("containers of the pool").hasSizeGreaterThanOrEqualTo(4);
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            do {
                Thread.sleep(100);
                containers = backend.containersOf(pid);
            } while (!containers.isEmpty() && System.nanoTime() < deadline);
            assertThat(containers).as("pooled containers left after shutdown").isEmpty();
            return;
        }
        List<Long> pooled;
        try (SandboxServer server = SandboxServer.start("{\"pool\": {\"python\": 2, \"javascript\": 1, \"bash\": 1}}", Map.of())) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            do {
                Thread.sleep(200);
                // This server's sandboxes only: other servers on the machine (parallel builds) have bwrap processes too.
                List<Long> ours = server.process().descendants().map(ProcessHandle::pid).toList();
                pooled = new ArrayList<>(sandboxProcesses());
                pooled.retainAll(ours);
            } while (pooled.size() < 4 && System.nanoTime() < deadline);
            assertThat(pooled).as("bwrap processes of the pool").hasSizeGreaterThanOrEqualTo(4);
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<Long> left;
        do {
            Thread.sleep(100);
            left = new ArrayList<>(pooled);
            left.retainAll(sandboxProcesses());
        } while (!left.isEmpty() && System.nanoTime() < deadline);
        assertThat(left).as("pooled sandbox processes alive after shutdown").isEmpty();
    }

    /** Live (not zombie) bwrap processes on the host. */
    private static List<Long> sandboxProcesses() throws IOException {
        return HostProcesses.matching(c -> c.startsWith("/usr/bin/bwrap\0"));
    }
}
