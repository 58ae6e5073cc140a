package dev.mcpsandbox.server;

import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sessions end to end: the built jar over stdio, driven by the MCP Java SDK client, each session a real sandbox of
 * the backend under test whose interpreters keep their state between calls.
 */
@SuppressWarnings("unchecked")
class SessionsIT {
    private static SandboxServer server;

    /** Prints whether the kernel runs in a fork of the template: only the template imported decimal. */
    private static final String FORKED = "import sys\nprint('forked' if 'decimal' in sys.modules else 'cold')";

    @BeforeAll
    static void start() throws InterruptedException {
        server = SandboxServer.builder().config("{\"sessions\": {\"perClient\": 6, \"queue\": 0},"
                + " \"forkServer\": {\"preload\": {\"python\": [\"decimal\"]}}}").start();
        if (BackendUnderTest.current().isBubblewrap()) {
            // The sessions' template starts with the first session (which goes cold); from then on every session of
            // this suite is forked from it, so the suite checks sessions on the fork path.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!"forked\n".equals(run("fork-probe", "python", FORKED).get("stdout"))) {
                end("fork-probe");
                assertThat(System.nanoTime()).as("no session was forked within 60 s").isLessThan(deadline);
                Thread.sleep(200);
            }
            end("fork-probe");
        }
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static Map<String, Object> run(String session, String language, String code) {
        return server.execute(Map.of("language", language, "code", code, "session", session));
    }

    private static Map<String, Object> session(Map<String, Object> result) {
        assertThat(result.get("session")).as("session of %s", result).isInstanceOf(Map.class);
        return (Map<String, Object>) result.get("session");
    }

    private static void end(String session) {
        server.call("end_session", Map.of("session", session));
    }

    @Test
    void pythonKeepsGlobalsAndImportsBetweenCalls_andALastExpressionIsTheResult() {
        try {
            Map<String, Object> first = run("py-state", "python", "import math\nrows = [{'x': i} for i in range(10)]\n"
                    + "print('loaded', len(rows))");
            assertThat(first.get("stdout")).isEqualTo("loaded 10\n");
            assertThat(session(first)).containsEntry("name", "py-state").containsEntry("calls", 1)
                    .containsEntry("restarted", false);
            Map<String, Object> second = run("py-state", "python", "total = sum(r['x'] for r in rows)\nmath.sqrt(total)");
            assertThat(second.get("exitCode")).isEqualTo(0);
            assertThat(((Number) second.get("result")).doubleValue()).isEqualTo(Math.sqrt(45));
            assertThat(session(second)).containsEntry("calls", 2).containsEntry("restarted", false);
        } finally {
            end("py-state");
        }
    }

    @Test
    void onBubblewrapASessionIsForkedFromTheTemplate_andItsFirstPythonCallFindsThePreloadedModule() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(BackendUnderTest.current().isBubblewrap(), "the fork server is bubblewrap's");
        try {
            Map<String, Object> first = run("forked", "python", FORKED);
            assertThat(first.get("stdout")).as("%s", first).isEqualTo("forked\n");
            assertThat(session(first)).containsEntry("calls", 1);
            // A cold session's agent is an interpreter started on agent.py; a forked one is the template's child.
            List<Long> ours = server.process().descendants().map(ProcessHandle::pid).toList();
            assertThat(HostProcesses.matching(c -> c.contains("session/agent.py")).stream().filter(ours::contains))
                    .as("agents started as interpreters of their own").isEmpty();
            assertThat(HostProcesses.matching(c -> c.contains("fork_template.py")).stream().filter(ours::contains))
                    .as("positive control: the template and its children").isNotEmpty();
        } finally {
            end("forked");
        }
    }

    @Test
    void anErrorKeepsTheStateAndReportsTheLineInTheUsersFile() {
        try {
            run("py-error", "python", "kept = 7");
            Map<String, Object> failed = run("py-error", "python", "x = 1\nraise ValueError('bad row')");
            assertThat(failed.get("exitCode")).isEqualTo(1);
            Map<String, Object> error = (Map<String, Object>) failed.get("error");
            assertThat(error).containsEntry("type", "ValueError").containsEntry("message", "bad row");
            assertThat(error.get("line")).isEqualTo(2);
            assertThat(run("py-error", "python", "print(kept, x)").get("stdout")).isEqualTo("7 1\n");
        } finally {
            end("py-error");
        }
    }

    @Test
    void bashKeepsVariablesFunctionsAndItsWorkingDirectory() {
        try {
            run("sh-state", "bash", "mkdir -p data && cd data && greeting=hello && shout() { echo \"${1^^}\"; }");
            Map<String, Object> next = run("sh-state", "bash", "pwd; shout \"$greeting\"");
            assertThat(next.get("stdout")).isEqualTo("/workspace/data\nHELLO\n");
        } finally {
            end("sh-state");
        }
    }

    @Test
    void javaScriptKeepsItsBindings_typeScriptSharesThem_andAwaitWorks() {
        try {
            run("js-state", "javascript", "const rows = [1, 2, 3];\nlet factor = await Promise.resolve(10);");
            Map<String, Object> js = run("js-state", "javascript", "rows.map(r => r * factor)");
            assertThat(js.get("result")).isEqualTo(List.of(10, 20, 30));
            // The type checker sees one call's file, but knows the names earlier calls left (as any).
            Map<String, Object> ts = run("js-state", "typescript",
                    "const doubled: number[] = rows.map((r: number) => r * 2);\n"
                            + "function total(xs: number[]): number { return xs.reduce((a, b) => a + b, 0); }\n"
                            + "console.log(doubled.join(','));");
            assertThat(ts.get("stdout")).as("%s", ts).isEqualTo("2,4,6\n");
            Map<String, Object> next = run("js-state", "typescript", "const sum: number = total(doubled) * factor;\nsum");
            assertThat(next.get("result")).as("%s", next).isEqualTo(120);
            // A type error of the call's own still stops it, and the names stay known afterwards.
            Map<String, Object> wrong = run("js-state", "typescript", "const n: number = 'text';\nconsole.log(n);");
            assertThat(wrong.get("exitCode")).as("%s", wrong).isNotEqualTo(0);
            assertThat((String) wrong.get("stderr")).contains("TS2322");
            assertThat(run("js-state", "typescript", "console.log(total(rows));").get("stdout")).isEqualTo("6\n");
        } finally {
            end("js-state");
        }
    }

    @Test
    void rubyKeepsItsLocalsAndMethods() {
        try {
            run("rb-state", "ruby", "def twice(x) = x * 2\ncount = 21");
            assertThat(run("rb-state", "ruby", "twice(count)").get("result")).isEqualTo(42);
        } finally {
            end("rb-state");
        }
    }

    @Test
    void sqlKeepsItsDatabaseBetweenCalls() {
        try {
            run("sql-state", "sql", "CREATE TABLE t(x INTEGER);\nINSERT INTO t VALUES (40), (2);");
            assertThat(run("sql-state", "sql", "SELECT sum(x) FROM t;").get("stdout")).isEqualTo("42\n");
        } finally {
            end("sql-state");
        }
    }

    @Test
    void everyLanguageOfASessionSharesItsWorkspace() {
        try {
            run("shared", "python", "open('numbers.csv', 'w').write('a,b\\n1,2\\n')");
            Map<String, Object> listed = run("shared", "bash", "cat /workspace/numbers.csv");
            assertThat(listed.get("stdout")).isEqualTo("a,b\n1,2\n");
        } finally {
            end("shared");
        }
    }

    @Test
    void outReturnsWhatTheCallCreatedOrChanged_notWhatEarlierCallsLeft() {
        try {
            Map<String, Object> first = run("out-files", "python", "import os\nos.makedirs('out', exist_ok=True)\n"
                    + "open('out/a.txt', 'w').write('a')\nopen('out/b.txt', 'w').write('b')");
            assertThat((List<Map<String, Object>>) first.get("files")).extracting(f -> f.get("path"))
                    .containsExactly("out/a.txt", "out/b.txt");
            Map<String, Object> second = run("out-files", "python", "open('out/b.txt', 'w').write('bb')\n"
                    + "open('out/c.txt', 'w').write('c')");
            assertThat((List<Map<String, Object>>) second.get("files")).extracting(f -> f.get("path"))
                    .containsExactly("out/b.txt", "out/c.txt");
        } finally {
            end("out-files");
        }
    }

    @Test
    void aChartDrawnInALaterCallComesBackAsAnImage() {
        try {
            run("chart", "python", "rows = [{'month': m, 'sales': s} for m, s in zip(range(1, 7), [3, 5, 4, 8, 7, 9])]");
            CallToolResult result = server.call("execute_code", Map.of("language", "python", "session", "chart",
                    "code", "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nimport os\n"
                            + "os.makedirs('out', exist_ok=True)\n"
                            + "plt.plot([r['month'] for r in rows], [r['sales'] for r in rows])\n"
                            + "plt.savefig('out/sales.png')\nprint('saved')"));
            assertThat(SandboxServer.text(result)).contains("saved");
            assertThat(result.content()).anyMatch(c -> c instanceof ImageContent i && i.mimeType().equals("image/png"));
        } finally {
            end("chart");
        }
    }

    @Test
    void aTimeoutInterruptsTheCallAndKeepsTheState() {
        try {
            run("interrupt", "python", "counter = 41");
            Map<String, Object> slow = server.execute(Map.of("language", "python", "session", "interrupt",
                    "timeoutSeconds", 2, "code", "import time\ncounter += 1\ntime.sleep(60)"));
            assertThat(slow.get("limitHit")).isEqualTo("timeout");
            assertThat(slow.get("stderr")).asString().contains("KeyboardInterrupt");
            Map<String, Object> after = run("interrupt", "python", "counter");
            assertThat(after.get("result")).isEqualTo(42);
            assertThat(session(after)).containsEntry("restarted", false);
        } finally {
            end("interrupt");
        }
    }

    @Test
    void codeThatIgnoresItsInterruptIsKilled_andTheNextCallSaysTheStateWasLost() {
        try {
            run("stubborn", "python", "kept = 1");
            Map<String, Object> stubborn = server.execute(Map.of("language", "python", "session", "stubborn",
                    "timeoutSeconds", 1, "code", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                            + "while True: pass"));
            assertThat(stubborn.get("limitHit")).isEqualTo("timeout");
            Map<String, Object> after = run("stubborn", "python", "print(globals().get('kept'))");
            assertThat(after.get("stdout")).isEqualTo("None\n");
            assertThat(session(after)).containsEntry("restarted", true);
            assertThat(session(after).get("reason")).asString().contains("did not stop");
        } finally {
            end("stubborn");
        }
    }

    @Test
    void theMemoryCapEndsTheSandbox_andTheNextCallSaysWhy() {
        try {
            run("memory", "python", "kept = 1");
            Map<String, Object> bomb = server.execute(Map.of("language", "python", "session", "memory",
                    "code", "blocks = []\nwhile True:\n    blocks.append(bytearray(16 << 20))"));
            assertThat(bomb.get("limitHit")).isEqualTo("memory");
            Map<String, Object> after = run("memory", "python", "print(globals().get('kept'))");
            assertThat(after.get("stdout")).isEqualTo("None\n");
            assertThat(session(after)).containsEntry("restarted", true);
            assertThat(session(after).get("reason")).asString().contains("memory");
        } finally {
            end("memory");
        }
    }

    @Test
    void listLanguagesReportsASessionsMemoryAndDiskUse_onEveryBackend() {
        try {
            // 64 MB held by the interpreter, 24 MB written to the workspace (two files: one is capped at 16 MB).
            Map<String, Object> filled = run("usage", "python", "held = bytearray(64 << 20)\n"
                    + "for i in range(0, len(held), 4096): held[i] = 1\n"
                    + "for name in ('a.bin', 'b.bin'): open(name, 'wb').write(b'x' * (12 << 20))");
            assertThat(filled.get("exitCode")).as("%s", filled).isEqualTo(0);
            Map<String, Object> listing = (Map<String, Object>) server.call("list_languages", Map.of()).structuredContent();
            Map<String, Object> usage = ((List<Map<String, Object>>) ((Map<String, Object>) listing.get("sessions"))
                    .get("open")).stream().filter(s -> "usage".equals(s.get("name"))).findFirst().orElseThrow();
            assertThat(usage.get("memoryBytes")).as("memory of %s", usage).isInstanceOf(Number.class);
            assertThat(((Number) usage.get("memoryBytes")).longValue()).as("memory of %s", usage)
                    .isGreaterThan(60L << 20);
            assertThat(usage.get("diskBytes")).as("disk of %s", usage).isInstanceOf(Number.class);
            assertThat(((Number) usage.get("diskBytes")).longValue()).as("disk of %s", usage)
                    .isGreaterThanOrEqualTo(24L << 20);
        } finally {
            end("usage");
        }
    }

    @Test
    void endSessionFreesItsSandbox_andListLanguagesShowsOnlyOpenSessions() throws Exception {
        run("listed", "bash", "sleep 613.777 > /dev/null 2>&1 &");
        Map<String, Object> listing = (Map<String, Object>) server.call("list_languages", Map.of()).structuredContent();
        List<Map<String, Object>> open = (List<Map<String, Object>>) ((Map<String, Object>) listing.get("sessions"))
                .get("open");
        assertThat(open).extracting(s -> s.get("name")).contains("listed");
        // gVisor's processes live in its own kernel, not in the host's process table: its containment suite checks them.
        boolean hostSeesProcesses = !BackendUnderTest.current().isGvisor();
        long started = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (hostSeesProcesses && HostProcesses.sleeping("613.777").isEmpty() && System.nanoTime() < started) {
            Thread.sleep(100);
        }
        if (hostSeesProcesses) {
            assertThat(HostProcesses.sleeping("613.777")).as("the session's background process").isNotEmpty();
        }

        CallToolResult ended = server.call("end_session", Map.of("session", "listed"));
        assertThat(((Map<String, Object>) ended.structuredContent()).get("ended")).isEqualTo(true);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!HostProcesses.sleeping("613.777").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(HostProcesses.sleeping("613.777")).as("the session's processes").isEmpty();
        listing = (Map<String, Object>) server.call("list_languages", Map.of()).structuredContent();
        open = (List<Map<String, Object>>) ((Map<String, Object>) listing.get("sessions")).get("open");
        assertThat(open).extracting(s -> s.get("name")).doesNotContain("listed");

        CallToolResult again = server.call("end_session", Map.of("session", "listed"));
        assertThat(((Map<String, Object>) again.structuredContent()).get("ended")).isEqualTo(false);
        assertThat(SandboxServer.text(again)).contains("no open session \"listed\"");
    }

    @Test
    void anInterpreterThatDiesMidCallSaysSo_andTheNextCallWorks() {
        try {
            run("crash", "python", "kept = 1");
            Map<String, Object> crashed = run("crash", "python", "import os\nprint('before', flush=True)\nos._exit(3)");
            assertThat(crashed.get("stdout")).isEqualTo("before\n");
            assertThat(crashed.get("exitCode")).isEqualTo(3);
            assertThat(session(crashed)).containsEntry("restarted", false);
            assertThat(session(crashed).get("reason")).asString().contains("ended during this call (exit status 3)");
            Map<String, Object> next = run("crash", "python", "print(globals().get('kept'))");
            assertThat(next.get("stdout")).isEqualTo("None\n");
            assertThat(session(next)).containsEntry("restarted", true);
        } finally {
            end("crash");
        }
    }

    @Test
    void codeModeWorksInEveryCallOfASession() {
        try {
            for (int call = 1; call <= 2; call++) {
                Map<String, Object> r = run("code-mode", "python", "tools.result({'call': " + call + "})\nNone");
                assertThat(r.get("result")).as("%s", r).isEqualTo(Map.of("call", call));
                Map<String, Object> js = run("code-mode", "javascript", "await tools.result({call: " + call + "});\n");
                assertThat(js.get("result")).as("%s", js).isEqualTo(Map.of("call", call));
            }
        } finally {
            end("code-mode");
        }
    }

    @Test
    void aCallThatFindsItsSessionBusyPastTheQueueIsRefusedSayingSo() throws Exception {
        try {
            run("busy", "bash", "true");
            java.util.concurrent.CompletableFuture<Map<String, Object>> slow = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> run("busy", "bash", "sleep 3; echo slow"));
            Thread.sleep(1000);
            Map<String, Object> refused = run("busy", "bash", "echo second");
            assertThat(((Map<String, Object>) refused.get("error")).get("message")).asString()
                    .contains("session \"busy\" is busy").contains("sessions.queue");
            assertThat(slow.get(60, java.util.concurrent.TimeUnit.SECONDS).get("stdout")).isEqualTo("slow\n");
        } finally {
            end("busy");
        }
    }

    @Test
    void aSessionNameTooLongOrWithControlCharactersIsRefused() {
        Map<String, Object> tooLong = run("x".repeat(65), "python", "print(1)");
        assertThat(((Map<String, Object>) tooLong.get("error")).get("message")).asString()
                .contains("session is 65 characters long; at most 64");
        Map<String, Object> control = run("a\nb", "python", "print(1)");
        assertThat(((Map<String, Object>) control.get("error")).get("message")).asString()
                .contains("control characters");
    }

    @Test
    void callsPastTheCapOfSessionsPerClientAreRefusedNamingTheOpenOnes() {
        List<String> names = List.of("cap-1", "cap-2", "cap-3", "cap-4", "cap-5", "cap-6");
        Map<String, Object> listing = (Map<String, Object>) server.call("list_languages", Map.of()).structuredContent();
        ((List<Map<String, Object>>) ((Map<String, Object>) listing.get("sessions")).get("open"))
                .forEach(open -> end((String) open.get("name")));
        try {
            for (String name : names) {
                assertThat(run(name, "bash", "true").get("exitCode")).isEqualTo(0);
            }
            Map<String, Object> refused = run("cap-7", "bash", "true");
            assertThat(((Map<String, Object>) refused.get("error")).get("message")).asString()
                    .contains("sessions.perClient").contains("cap-1, cap-2");
        } finally {
            names.forEach(SessionsIT::end);
        }
    }

    @Test
    void aCompiledLanguageRunsANewProcessPerCallInTheKeptWorkspace() {
        try {
            run("compiled", "bash", "echo 'from an earlier call' > note.txt");
            Map<String, Object> c = run("compiled", "c", "#include <stdio.h>\nint main(void) {\n"
                    + "  char line[64]; FILE *f = fopen(\"note.txt\", \"r\");\n"
                    + "  if (f && fgets(line, sizeof line, f)) printf(\"read: %s\", line);\n  return 0;\n}\n");
            assertThat(c.get("stdout")).isEqualTo("read: from an earlier call\n");
        } finally {
            end("compiled");
        }
    }

    @Test
    void stdinAndInputFilesWorkPerCall() {
        try {
            Map<String, Object> r = server.execute(Map.of("language", "python", "session", "inputs",
                    "stdin", "first line\n", "files", Map.of("data/in.txt", "from a file"),
                    "code", "print(input().upper())\nprint(open('data/in.txt').read())"));
            assertThat(r.get("stdout")).isEqualTo("FIRST LINE\nfrom a file\n");
        } finally {
            end("inputs");
        }
    }
}
