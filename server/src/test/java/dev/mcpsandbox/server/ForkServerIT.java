package dev.mcpsandbox.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fork path (bubblewrap, Python): each run forked from a template that pre-imported {@code decimal} still gets
 * everything a single-use sandbox gets. Every probe first proves it ran in a forked child ({@code decimal} already
 * imported, which a fresh interpreter never has), so a silent fall-back to the cold path fails the test.
 */
@SuppressWarnings("unchecked")
class ForkServerIT {
    private static final String CONFIG = """
            {"pool": {"python": 1}, "forkServer": {"enabled": true, "preload": {"python": ["decimal", "json", "numpy"]}}}
            """;
    /** Printed first by every probe: whether the code runs in a child of the template. */
    private static final String FORKED = "import sys\nprint('forked' if 'decimal' in sys.modules else 'cold')\n";

    private static SandboxServer server;

    @BeforeAll
    static void start() throws Exception {
        SandboxServer.jar();
        Assumptions.assumeTrue(BackendUnderTest.current().isBubblewrap(), "the fork server is bubblewrap's");
        server = SandboxServer.start(CONFIG, Map.of());
        awaitForked();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** The template starts in the background; until it is up, runs take the cold path. */
    private static void awaitForked() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!run(FORKED).get("stdout").equals("forked\n")) {
            assertThat(System.nanoTime()).as("no run was forked within 60 s").isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private static Map<String, Object> run(String code) {
        return run(code, Map.of());
    }

    private static Map<String, Object> run(String code, Map<String, Object> more) {
        Map<String, Object> args = new HashMap<>(more);
        args.put("language", "python");
        args.put("code", code);
        return server.execute(args);
    }

    /** Runs {@code code} after the fork marker and returns its stdout without it; fails when it ran cold. */
    private static String forked(String code) {
        Map<String, Object> r = run(FORKED + code);
        String stdout = (String) r.get("stdout");
        assertThat(stdout).as("%s", r).startsWith("forked\n");
        return stdout.substring("forked\n".length());
    }

    @Test
    void aChildSeesOnlyItsOwnTwoProcessesWithNoCapabilityAndTheSeccompFilter() {
        String out = forked("""
                import ctypes, os, signal
                print(sorted(p for p in os.listdir('/proc') if p.isdigit()))
                status = {l.split(':')[0]: l.split()[1] for l in open('/proc/self/status') if ':' in l and l.split()[1:]}
                print([status[k] for k in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb')], status['Seccomp'], status['NoNewPrivs'])
                libc = ctypes.CDLL(None, use_errno=True)
                print('unshare', libc.unshare(0x10000000), 'ptrace', libc.ptrace(16, 1, 0, 0))
                try:
                    os.kill(-1, signal.SIGKILL)
                    print('kill -1 reached something')
                except OSError as e:
                    print('kill -1', e.errno)
                try:
                    print(os.listdir('/forks'))
                except PermissionError:
                    print('/forks denied')
                """);
        assertThat(out).isEqualTo("['1', '2']\n" + "['0000000000000000', '0000000000000000', '0000000000000000',"
                + " '0000000000000000', '0000000000000000'] 2 1\nunshare -1 ptrace -1\nkill -1 3\n/forks denied\n");
    }

    @Test
    void aChildCannotSeeASiblingRunningAtTheSameTime() throws Exception {
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> forked("""
                import subprocess, time
                subprocess.Popen(['sleep', '987654'])
                open('/tmp/left-by-sibling', 'w').write('x')
                open('/dev/shm/left-by-sibling', 'w').write('x')
                print(time.time())
                time.sleep(10)
                print(time.time())
                """));
        Thread.sleep(3000);
        String second = forked("""
                import os, time
                seen = []
                for pid in (p for p in os.listdir('/proc') if p.isdigit()):
                    if b'987654' in open('/proc/%s/cmdline' % pid, 'rb').read():
                        seen.append(pid)
                print(time.time())
                print(seen, os.listdir('/tmp'), os.listdir('/dev/shm'))
                """);
        String[] firstLines = first.get(60, TimeUnit.SECONDS).split("\n");
        String[] secondLines = second.split("\n");
        double looked = Double.parseDouble(secondLines[0]);
        assertThat(looked).as("the second run looked while the first ran")
                .isBetween(Double.parseDouble(firstLines[0]), Double.parseDouble(firstLines[1]));
        assertThat(secondLines[1]).isEqualTo("[] [] []");
    }

    @Test
    void twoChildrenRunningAtOnceEachRunAsAHostUidOfTheirOwn_neitherTheTemplates() throws Exception {
        Assumptions.assumeTrue(ownUid() == 0, "a server that is not root has one uid for every sandbox");
        String probe = "import os, pwd, subprocess\nprint(os.getuid(), pwd.getpwuid(os.getuid()).pw_name)\n"
                + "subprocess.run(['sleep', '%s'])\n";
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> forked(probe.formatted("25.0401")));
        CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> forked(probe.formatted("25.0402")));
        long firstSleep = awaitSleeping("25.0401");
        long secondSleep = awaitSleeping("25.0402");
        long firstUid;
        long secondUid;
        List<Long> templateUids = new java.util.ArrayList<>();
        try {
            firstUid = hostUidOf(firstSleep);
            secondUid = hostUidOf(secondSleep);
            for (long template : templates()) {
                templateUids.add(hostUidOf(template));
            }
        } finally {
            endSleeps(firstSleep, secondSleep);
        }
        // and, as in a cold sandbox, pass through the directories on the way to /etc/passwd (the template's)
        assertThat(first.get(60, TimeUnit.SECONDS)).as("inside, both are the sandbox's usual uid").isEqualTo("65534 sandbox\n");
        assertThat(second.get(60, TimeUnit.SECONDS)).isEqualTo("65534 sandbox\n");
        assertThat(templateUids).as("the template's host uid").isNotEmpty().doesNotContain(0L);
        assertThat(firstUid).as("the host uids of two children running at once").isNotEqualTo(secondUid);
        assertThat(List.of(firstUid, secondUid)).as("children's host uids, beside the templates' %s", templateUids)
                .doesNotContainAnyElementsOf(templateUids).doesNotContain(0L);
    }

    @Test
    void aFileAChildLeavesOpenToAllIsOutOfTheNextChildsUidsReach() throws Exception {
        Assumptions.assumeTrue(ownUid() == 0, "a server that is not root has one uid for every sandbox");
        CompletableFuture<String> leaving = CompletableFuture.supplyAsync(() -> forked("""
                import os, subprocess
                open('/workspace/left-by-a-child', 'w').write('x')
                os.chmod('/workspace/left-by-a-child', 0o666)
                os.chmod('/workspace', 0o777)
                subprocess.run(['sleep', '25.0411'])
                """));
        long leaverSleep = awaitSleeping("25.0411");
        CompletableFuture<String> next = CompletableFuture.supplyAsync(() -> forked(
                "import subprocess\nsubprocess.run(['sleep', '25.0412'])\n"));
        long nextSleep = awaitSleeping("25.0412");
        try {
            long leaverUid = hostUidOf(leaverSleep);
            long nextUid = hostUidOf(nextSleep);
            Path left;
            try (java.util.stream.Stream<Path> children = Files.list(runDirectory().resolve("forks"))) {
                left = children.map(d -> d.resolve("fs/work/left-by-a-child")).filter(Files::exists).findFirst()
                        .orElseThrow(() -> new AssertionError("the file the child left, on the host"));
            }
            assertThat(((Number) Files.getAttribute(left, "unix:uid")).longValue()).isEqualTo(leaverUid);
            assertThat(appendAs(nextUid, left)).as("the next child's uid %d writes %s, left by uid %d", nextUid, left,
                    leaverUid).isEqualTo("refused");
            assertThat(appendAs(leaverUid, left)).as("its own child's uid writes it (positive control)").isEqualTo("written");
        } finally {
            endSleeps(leaverSleep, nextSleep);
        }
        leaving.get(60, TimeUnit.SECONDS);
        next.get(60, TimeUnit.SECONDS);
    }

    /** Ends the runs' sleeps, once the host has looked at them. */
    private static void endSleeps(long... pids) {
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
    }

    private static long ownUid() throws Exception {
        return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
    }

    /** The host pid of a run's {@code sleep <marker>}, once it runs (the run goes on until the test ends it). */
    private static long awaitSleeping(String marker) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<Long> found;
        while ((found = HostProcesses.sleeping(marker)).isEmpty()) {
            assertThat(System.nanoTime()).as("no sleep %s within 30 s", marker).isLessThan(deadline);
            Thread.sleep(50);
        }
        return found.get(0);
    }

    /** A process's real uid as the host sees it (inside, every sandbox is 65534). */
    private static long hostUidOf(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Uid:")) {
                return Long.parseLong(line.split("\\s+")[1]);
            }
        }
        throw new AssertionError("no Uid line for " + pid);
    }

    /** Appends to {@code file} as host uid {@code uid}: "written", or "refused". */
    private static String appendAs(long uid, Path file) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--",
                "/bin/sh", "-c", "echo y >> \"$0\" && echo written || echo refused", file.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private static Path runDirectory() {
        Path root = Path.of(System.getProperty("java.io.tmpdir"), "mcp-sandbox-0", Long.toString(server.pid()));
        return Files.isDirectory(root) ? root : Path.of("/tmp/mcp-sandbox-0", Long.toString(server.pid()));
    }

    @Test
    void tmpAndDevShmAreNotHandedToTheNextChild() {
        forked("open('/tmp/left', 'w').write('x'); open('/dev/shm/left', 'w').write('x'); open('left', 'w').write('x')");
        assertThat(forked("import os; print(os.listdir('/tmp'), os.listdir('/dev/shm'), sorted(os.listdir('.')))"))
                .isEqualTo("[] [] ['main.py', 'out']\n");
    }

    @Test
    void nothingAChildCanWriteAnywhereReachesTheNextChild() {
        String wrote = forked("""
                import os
                written = []
                for root, dirs, files in os.walk('/'):
                    if root.startswith(('/proc', '/sys')):
                        dirs[:] = []
                        continue
                    try:
                        open(os.path.join(root, '.left-by-sibling'), 'w').close()
                        written.append(root)
                    except OSError:
                        pass
                print(sorted(written))
                """);
        assertThat(wrote).as("where the first child could write").contains("'/tmp'", "'/workspace'", "'/dev/shm'");
        assertThat(forked("""
                import os
                found = []
                for root, dirs, files in os.walk('/'):
                    if root.startswith(('/proc', '/sys')):
                        dirs[:] = []
                    elif '.left-by-sibling' in files:
                        found.append(root)
                print(found)
                """)).isEqualTo("[]\n");
    }

    @Test
    void aPreloadedNumpyMultipliesMatricesInTheChild() {
        Map<String, Object> r = run("import sys\nprint('numpy' in sys.modules)\nimport numpy as np\n"
                + "a = np.ones((300, 300))\nprint(int((a @ a).sum()))\n", Map.of("timeoutSeconds", 20));
        assertThat(r.get("stdout")).as("%s", r).isEqualTo("True\n27000000\n");
    }

    @Test
    void twoChildrenDrawDifferentRandomNumbers() {
        String code = "import random, secrets; print(random.random(), secrets.token_hex(8))";
        assertThat(forked(code)).isNotEqualTo(forked(code));
    }

    @Test
    void aChildCorruptingAPreloadedModuleLeavesTheNextChildIntact() {
        forked("import json; json.dumps = lambda *a, **k: 'CORRUPTED'; json.decoder.JSONDecoder.decode = None");
        assertThat(forked("import json; print(json.dumps([1]), json.loads('[2]'))")).isEqualTo("[1] [2]\n");
    }

    @Test
    void aMemoryBombIsStoppedByTheChildsOwnCgroupAndTheTemplateServesOn() {
        Map<String, Object> r = run(FORKED + "x = []\nwhile True:\n    x.append(bytearray(16 << 20))\n",
                Map.of("limits", Map.of("memoryMb", 256), "timeoutSeconds", 20));
        assertThat(r.get("limitHit")).as("%s", r).isEqualTo("memory");
        assertThat(r.get("stdout")).as("%s", r).isEqualTo("forked\n");
        assertThat(forked("print(6 * 7)")).isEqualTo("42\n");
    }

    @Test
    void aMemoryLimitTooSmallForThePreloadedModulesGetsAFreshInterpreter() {
        Map<String, Object> r = run(FORKED + "print(len(bytearray(8 << 20)))", Map.of("limits", Map.of("memoryMb", 64)));
        assertThat(r.get("stdout")).as("%s", r).isEqualTo("cold\n8388608\n");
    }

    @Test
    void timeoutProcessAndOutputLimitsHoldOnTheForkPath() {
        Map<String, Object> slow = run(FORKED + "import time\ntime.sleep(60)\n", Map.of("timeoutSeconds", 2));
        assertThat(slow.get("limitHit")).as("%s", slow).isEqualTo("timeout");
        Map<String, Object> bomb = run(FORKED + """
                import os, time
                while True:
                    if os.fork() == 0:
                        time.sleep(30)
                        os._exit(0)
                """, Map.of("limits", Map.of("processes", 16), "timeoutSeconds", 20));
        assertThat(bomb.get("limitHit")).as("%s", bomb).isEqualTo("processes");
        Map<String, Object> loud = run(FORKED + "while True:\n    print('x' * 1000)\n",
                Map.of("limits", Map.of("outputBytes", 4096), "timeoutSeconds", 20));
        assertThat(loud.get("limitHit")).as("%s", loud).isEqualTo("output");
        assertThat(forked("print('still serving')")).isEqualTo("still serving\n");
    }

    @Test
    void filesStdinAndOutFilesMakeTheRoundTrip() {
        Map<String, Object> r = run(FORKED + """
                import sys
                data = open('in/data.txt').read()
                line = sys.stdin.read()
                open('out/result.txt', 'w').write(data + '|' + line)
                print(data, line)
                """, Map.of("files", Map.of("in/data.txt", "from-a-file"), "stdin", "from-stdin"));
        assertThat(r.get("stdout")).as("%s", r).isEqualTo("forked\nfrom-a-file from-stdin\n");
        List<Map<String, Object>> files = (List<Map<String, Object>>) r.get("files");
        assertThat(files).extracting(f -> f.get("path")).containsExactly("out/result.txt");
    }

    @Test
    void aTemplateKilledMidRunCostsTheRunARetryInANewSandboxNeverAHang() throws Exception {
        CompletableFuture<Map<String, Object>> running = CompletableFuture.supplyAsync(() -> run(FORKED + """
                import time
                time.sleep(3)
                print('done')
                """, Map.of("timeoutSeconds", 20)));
        Thread.sleep(1500);
        List<Long> templates = templates();
        assertThat(templates).as("the server's template").isNotEmpty();
        List<String> seccompModes = new java.util.ArrayList<>();
        for (long pid : templates) {
            Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream().filter(l -> l.startsWith("Seccomp:"))
                    .forEach(l -> seccompModes.add(l.substring(8).trim()));
        }
        for (long pid : templates) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        Map<String, Object> r = running.get(60, TimeUnit.SECONDS);
        assertThat(seccompModes).as("the templates run under their own seccomp filter").containsOnly("2");
        assertThat(r.get("exitCode")).as("%s", r).isEqualTo(0);
        assertThat(r.get("stdout")).as("the retry ran in a new sandbox").isEqualTo("cold\ndone\n");
        awaitForked();  // a replacement template took over
    }

    @Test
    void aRunLostBeforeItsToolCallIsRunAgain_butNotOnceItHasCalledATool() throws Exception {
        Path everything = CodeModeIT.upstreamBin("mcp-server-everything");
        SandboxServer.requireOrSkip(Files.isExecutable(everything), "the pinned upstream servers are not installed"
                + " (bin/setup --test-deps)");
        String config = """
                {"pool": {"python": 1}, "forkServer": {"enabled": true, "preload": {"python": ["decimal"]}},
                 "mcpServers": {"everything": {"command": "%s", "args": []}},
                 "tools": {"allow": ["everything.get-sum"]}}
                """.formatted(everything);
        try (SandboxServer own = SandboxServer.start(config, Map.of())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!own.execute(Map.of("language", "python", "code", FORKED)).get("stdout").equals("forked\n")) {
                assertThat(System.nanoTime()).as("no run was forked within 60 s").isLessThan(deadline);
                Thread.sleep(200);
            }
            // Lost before its tool call: run again, and the second run's call and output are whole.
            CompletableFuture<Map<String, Object>> first = CompletableFuture.supplyAsync(() -> own.execute(Map.of(
                    "language", "python", "timeoutSeconds", 20, "code", FORKED + """
                            import time
                            time.sleep(3)
                            print(tools.everything.get_sum(a=40, b=2))
                            print('done')
                            """)));
            Thread.sleep(1500);
            templates(own).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            Map<String, Object> retried = first.get(60, TimeUnit.SECONDS);
            assertThat(retried.get("stdout")).as("%s", retried).isEqualTo("cold\nThe sum of 40 and 2 is 42.\ndone\n");
            assertThat((List<?>) retried.get("toolCalls")).hasSize(1);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!own.execute(Map.of("language", "python", "code", FORKED)).get("stdout").equals("forked\n")) {
                assertThat(System.nanoTime()).as("no run was forked again within 60 s").isLessThan(deadline);
                Thread.sleep(200);
            }
            // Lost after its tool call: not run again.
            CompletableFuture<Map<String, Object>> running = CompletableFuture.supplyAsync(() -> own.execute(Map.of(
                    "language", "python", "timeoutSeconds", 20, "code", FORKED + """
                            print(tools.everything.get_sum(a=40, b=2), flush=True)
                            import time
                            time.sleep(3)
                            print('done')
                            """)));
            Thread.sleep(1500);
            List<Long> templates = templates(own);
            assertThat(templates).as("the server's template").isNotEmpty();
            templates.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            Map<String, Object> r = running.get(60, TimeUnit.SECONDS);
            assertThat((List<?>) r.get("toolCalls")).as("%s", r).hasSize(1);
            assertThat((String) r.get("stdout")).as("ran once, in the child that was lost: %s", r)
                    .startsWith("forked\n").doesNotContain("cold").doesNotContain("done");
            assertThat(r.get("exitCode")).as("%s", r).isNotEqualTo(0);
            assertThat((String) r.get("stderr")).contains("the sandbox was lost under this run", "not run again");
        }
    }

    private static List<Long> templates() throws Exception {
        return templates(server);
    }

    /** A server's template interpreters: fork_template.py right under bwrap (their children have them as parent). */
    private static List<Long> templates(SandboxServer of) throws Exception {
        List<Long> ours = of.process().descendants().map(ProcessHandle::pid).toList();
        return HostProcesses.matching(c -> c.contains("fork_template.py") && !c.startsWith("/usr/bin/bwrap")
                && !c.startsWith("/usr/bin/setpriv")).stream().filter(ours::contains).filter(pid -> {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String parent = stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1];
                return Files.readString(Path.of("/proc", parent, "cmdline")).startsWith("/usr/bin/bwrap");
            } catch (Exception e) {
                return false;
            }
        }).toList();
    }

    @Test
    void theTemplateIsReplacedAfterMaxChildrenAndRunsStayForked() throws Exception {
        try (SandboxServer small = SandboxServer.start("""
                {"pool": {"python": 0}, "forkServer": {"enabled": true, "maxChildren": 3, "preload": {"python": ["decimal"]}}}
                """, Map.of())) {
            java.util.Set<String> templatesSeen = new java.util.HashSet<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (templatesSeen.size() < 2 && System.nanoTime() < deadline) {
                Map<String, Object> r = small.execute(Map.of("language", "python", "code",
                        FORKED + "print(id(sys.modules['decimal']))"));
                String[] lines = ((String) r.get("stdout")).split("\n");
                if (lines[0].equals("forked")) {
                    templatesSeen.add(lines[1]);
                }
            }
            assertThat(templatesSeen).as("module addresses seen: one per template").hasSizeGreaterThanOrEqualTo(2);
        }
    }

    private static final String SESSIONS = """
            {"pool": {"python": 0}, "sessions": {"perClient": 8},
             "forkServer": {"enabled": true, "maxChildren": 2, "preload": {"python": ["decimal"]}}}
            """;

    private static Map<String, Object> inSession(SandboxServer of, String session, String code) {
        return of.execute(Map.of("language", "python", "session", session, "code", code));
    }

    /** Opens and ends a session until one is forked; the sessions' template starts with the first of them. */
    private static void awaitForkedSession(SandboxServer of, String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!"forked\n".equals(inSession(of, name, FORKED).get("stdout"))) {
            of.call("end_session", Map.of("session", name));
            assertThat(System.nanoTime()).as("no session was forked within 60 s").isLessThan(deadline);
            Thread.sleep(200);
        }
        of.call("end_session", Map.of("session", name));
    }

    /** The template a session was forked from: the template among the ancestors of the session's {@code sleep}. */
    private static long templateOf(SandboxServer of, String sleepMarker) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (HostProcesses.sleeping(sleepMarker).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        List<Long> templates = templates(of);
        Optional<ProcessHandle> up = ProcessHandle.of(HostProcesses.sleeping(sleepMarker).get(0));
        while (up.isPresent() && !templates.contains(up.get().pid())) {
            up = up.get().parent();
        }
        return up.orElseThrow(() -> new AssertionError("the session's process is not below a template")).pid();
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    @Test
    void aRetiredTemplateKeepsServingItsLiveSession_andExitsOnceTheSessionEnds() throws Exception {
        try (SandboxServer own = SandboxServer.start(SESSIONS, Map.of())) {
            awaitForkedSession(own, "probe");
            Map<String, Object> opened = inSession(own, "long", FORKED + """
                    import subprocess
                    kept = 42
                    subprocess.Popen(['sleep', '7171.5'])
                    """);
            assertThat(opened.get("stdout")).as("%s", opened).isEqualTo("forked\n");
            long template = templateOf(own, "7171.5");
            // maxChildren 2: a second successor starts only once the first has taken over, so two templates other
            // than the session's mean the session's is retired
            java.util.Set<Long> successors = new java.util.HashSet<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (successors.size() < 2) {
                assertThat(System.nanoTime()).as("templates replaced within 120 s").isLessThan(deadline);
                assertThat(inSession(own, "churn", FORKED).get("stdout")).isIn("forked\n", "cold\n");
                own.call("end_session", Map.of("session", "churn"));
                templates(own).stream().filter(pid -> pid != template).forEach(successors::add);
            }
            assertThat(alive(template)).as("the retired template of a live session").isTrue();
            Map<String, Object> later = inSession(own, "long", "kept");
            assertThat(later.get("result")).as("%s", later).isEqualTo(42);
            assertThat((Map<String, Object>) later.get("session")).containsEntry("restarted", false);

            own.call("end_session", Map.of("session", "long"));
            long goneBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (alive(template) && System.nanoTime() < goneBy) {
                Thread.sleep(100);
            }
            assertThat(alive(template)).as("the retired template 30 s after its last session ended").isFalse();
            assertThat(HostProcesses.sleeping("7171.5")).isEmpty();
        }
    }

    @Test
    void aTemplateThatDiesUnderALiveSessionEndsItsSandbox_andTheNextCallSaysSoAndWorks() throws Exception {
        try (SandboxServer own = SandboxServer.start(SESSIONS, Map.of())) {
            awaitForkedSession(own, "probe");
            Map<String, Object> opened = inSession(own, "orphaned", FORKED + """
                    import subprocess
                    kept = 42
                    subprocess.Popen(['sleep', '7272.5'])
                    """);
            assertThat(opened.get("stdout")).as("%s", opened).isEqualTo("forked\n");
            long template = templateOf(own, "7272.5");
            ProcessHandle.of(template).ifPresent(ProcessHandle::destroyForcibly);
            long goneBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!HostProcesses.sleeping("7272.5").isEmpty() && System.nanoTime() < goneBy) {
                Thread.sleep(100);
            }
            assertThat(HostProcesses.sleeping("7272.5")).as("the session's processes died with the template").isEmpty();
            Map<String, Object> next = inSession(own, "orphaned", "print(globals().get('kept'))");
            assertThat(next.get("stdout")).as("%s", next).isEqualTo("None\n");
            Map<String, Object> report = (Map<String, Object>) next.get("session");
            assertThat(report).containsEntry("restarted", true);
            assertThat(report.get("reason")).asString().contains("sandbox");
            assertThat(inSession(own, "orphaned", "6 * 7").get("result")).isEqualTo(42);
            own.call("end_session", Map.of("session", "orphaned"));
        }
    }

    @Test
    void aForkedSessionsProcessesAndScratchSpaceAreGoneWhenItEnds() throws Exception {
        Path workRoot = Files.createTempDirectory("fork-session-scratch");
        String config = SESSIONS.replace("\"sessions\"", "\"execution\": {\"workRoot\": \"" + workRoot + "\"}, \"sessions\"");
        try (SandboxServer own = SandboxServer.start(config, Map.of())) {
            awaitForkedSession(own, "probe");
            Map<String, Object> opened = inSession(own, "scratch", FORKED + """
                    import subprocess
                    open('marker-7373', 'w').write('x')
                    subprocess.Popen(['sleep', '7373.5'])
                    """);
            assertThat(opened.get("stdout")).as("%s", opened).isEqualTo("forked\n");
            List<Path> marked;
            try (var found = Files.find(workRoot, 8, (p, a) -> p.endsWith("marker-7373"))) {
                marked = found.toList();
            }
            assertThat(marked).as("positive control: the session's file in a child's scratch space under forks/")
                    .singleElement().asString().contains("/forks/");
            Path child = marked.get(0).getParent().getParent().getParent();  // forks/NAME (fs/work/marker)
            assertThat(Files.isDirectory(child)).isTrue();
            own.call("end_session", Map.of("session", "scratch"));
            long goneBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((Files.exists(child) || !HostProcesses.sleeping("7373.5").isEmpty()) && System.nanoTime() < goneBy) {
                Thread.sleep(100);
            }
            assertThat(HostProcesses.sleeping("7373.5")).as("the session's processes").isEmpty();
            assertThat(Files.exists(child)).as("the session's scratch space %s", child).isFalse();
        }
    }
}
