package dev.mcpsandbox.sandbox.language.session;

import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.RunOptions;
import dev.mcpsandbox.sandbox.language.SessionKernel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The JavaScript kernel behind the real agent (outside a sandbox), with Node.js from the host. */
class JavaScriptKernelTest {
    private static final Language JAVASCRIPT = AgentOutsideSandbox.language("javascript");
    private static final String NODE = "/usr/bin/node";
    private static final SessionKernel JS = JAVASCRIPT.sessionKernel(NODE, "main.mjs", RunOptions.withMemory(256)).orElseThrow();

    @TempDir
    Path root;

    @BeforeEach
    void nodeIsInstalled() {
        assumeTrue(Files.isExecutable(Path.of(NODE)), "no Node.js at " + NODE);
    }

    @Test
    void topLevelBindingsOfEveryKindPersistBetweenCalls() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            AgentOutsideSandbox.End first = agent.run(1, JS, """
                    var a = 1;
                    let b = 2;
                    const c = 3;
                    function f() { return a + b + c; }
                    class K { v() { return 4; } }
                    console.log('defined');
                    """);
            assertThat(first.code()).isZero();
            assertThat(first.fresh()).isTrue();
            assertThat(first.stdout()).isEqualTo("defined\n");
            AgentOutsideSandbox.End second = agent.run(2, JS, "f() + new K().v()");
            assertThat(second.fresh()).isFalse();
            assertThat(second.kernel()).isEqualTo("kept");
            assertThat(second.result()).contains("10");
        }
    }

    @Test
    void aLaterCallMayDeclareALetOrConstAgainLikeANotebookRerun() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            agent.run(1, JS, "const x = 1;\nlet y = 1;\nfunction g() { return x; }");
            AgentOutsideSandbox.End again = agent.run(2, JS, "const x = 2;\nlet y = x * 10;\n[x, y, g()]");
            assertThat(again.code()).isZero();
            assertThat(again.result()).contains("[2,20,2]");
            // Within one call a duplicate is still the error it is in a single-use run, and the state stays.
            AgentOutsideSandbox.End duplicate = agent.run(3, JS, "let z = 1;\nlet z = 2;");
            assertThat(duplicate.code()).isEqualTo(1);
            assertThat(duplicate.stderr()).contains("SyntaxError");
            assertThat(agent.run(4, JS, "x + y").result()).contains("22");
        }
    }

    @Test
    void topLevelAwaitWorksAndTheCompletionValueIsTheResult() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            AgentOutsideSandbox.End awaited = agent.run(1, JS,
                    "const v = await new Promise((r) => setTimeout(() => r(21), 20));\nv * 2");
            assertThat(awaited.result()).contains("42");
            assertThat(agent.run(2, JS, "({ rows: [1, 2], name: 'n', v })").result())
                    .contains("{\"rows\":[1,2],\"name\":\"n\",\"v\":21}");
            assertThat(agent.run(3, JS, "(a) => a").result()).contains("\"[Function (anonymous)]\"");
            assertThat(agent.run(4, JS, "console.log(v)").result()).isEmpty();
        }
    }

    @Test
    void moduleSyntaxAndThePreloadsGlobalsWorkAsInASingleUseRun() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            Files.writeString(agent.workspace().resolve("helper.mjs"), "export const helper = (s) => s + '!';\n");
            AgentOutsideSandbox.End run = agent.run(1, JS, """
                    #!/usr/bin/env node
                    import fs from 'node:fs';
                    import {
                      basename,
                      join as j,
                    } from 'node:path';
                    import * as os from 'node:os';
                    import { helper } from './helper.mjs';
                    export const exported = 'e';
                    const text = `import x from 'y'`; // import z from 'q'
                    const { sep } = await import('node:path');
                    console.log(typeof fs.readFileSync, typeof os.cpus, sep, text);
                    [basename('/a/b'), j('c', 'd'), helper(exported), require('node:path').sep, typeof tools,
                     import.meta.url.endsWith('/main.mjs')]
                    """);
            assertThat(run.stderr()).isEmpty();
            assertThat(run.code()).isZero();
            assertThat(run.stdout()).isEqualTo("function function / import x from 'y'\n");
            assertThat(run.result()).contains("[\"b\",\"c/d\",\"e!\",\"/\",\"object\",true]");
            // The imported names are constants of the session like any other: a later call sees and may re-import them.
            assertThat(agent.run(2, JS, "import fs from 'fs';\ntypeof fs.existsSync + basename('/x/y')").result())
                    .contains("\"functiony\"");
        }
    }

    @Test
    void anUncaughtErrorPrintsAsNodeDoesWithTheLineAndKeepsTheState() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            agent.run(1, JS, "const kept = 'yes';");
            AgentOutsideSandbox.End failed = agent.run(2, JS, """
                    const before = 1;
                    function f() {
                      throw new TypeError('bad thing');
                    }
                    f();
                    """);
            assertThat(failed.code()).isEqualTo(1);
            assertThat(failed.kernel()).isEqualTo("kept");
            assertThat(failed.stderr()).contains("throw new TypeError('bad thing');").contains("Node.js v")
                    .doesNotContain("node:inspector").doesNotContain("js_kernel");
            assertThat(JAVASCRIPT.runtimeError(failed.stderr(), agent.hostPath("/workspace/main.mjs")))
                    .hasValueSatisfying(e -> {
                        assertThat(e.type()).isEqualTo("TypeError");
                        assertThat(e.message()).isEqualTo("bad thing");
                        assertThat(e.line()).contains(3);
                    });
            AgentOutsideSandbox.End firstLine = agent.run(3, JS, "null.x");
            assertThat(firstLine.stderr()).contains("main.mjs:1:6");
            assertThat(agent.run(4, JS, "kept + before").result()).contains("\"yes1\"");
        }
    }

    @Test
    void reportsTheTopLevelNamesItsCallsLeft_forTheTypeChecker() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            AgentOutsideSandbox.End first = agent.run(1, JS, "const rows = [1];\nlet $count = 0;\nclass Row {}\n"
                    + "var legacy = 1;\nfunction helper() {}\nglobalThis.attached = 2;");
            assertThat(first.globals()).containsExactlyInAnyOrder("rows", "$count", "Row", "legacy", "helper",
                    "attached");
            AgentOutsideSandbox.End second = agent.run(2, JS, "const more = rows.length;\nthrow new Error('x');");
            assertThat(second.code()).isEqualTo(1);
            assertThat(second.globals()).contains("rows", "more", "helper").doesNotContain("require", "tools");
        }
    }

    @Test
    void interruptStopsABusyLoopWith130AndKeepsTheState() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            agent.run(1, JS, "let kept = 'yes';");
            agent.start(2, JS, "console.log('busy');\nwhile (true) {}\n", "");
            agent.awaitPrinted("busy");
            agent.interrupt(2);
            AgentOutsideSandbox.End interrupted = agent.awaitEnd(2);
            assertThat(interrupted.code()).as(interrupted.stderr()).isEqualTo(130);
            assertThat(interrupted.kernel()).isEqualTo("kept");
            assertThat(interrupted.stderr()).contains("interrupted");
            // A loop that starts after an await runs outside the evaluation itself; it stops the same way.
            agent.start(3, JS, "kept += '!';\nawait null;\nconsole.log('busy again');\nfor (;;) {}\n", "");
            agent.awaitPrinted("busy again");
            agent.interrupt(3);
            AgentOutsideSandbox.End again = agent.awaitEnd(3);
            assertThat(again.code()).as(again.stderr()).isEqualTo(130);
            assertThat(agent.run(4, JS, "kept").result()).contains("\"yes!\"");
        }
    }

    @Test
    void busyLoopsInterruptedAgainAndAgainNeverEndTheKernel() throws Exception {
        // The worker's answer to a termination reaches the kernel's main thread in the middle of whatever runs there;
        // handled on the spot, it once broke the timers' queue and the kernel died with status 1 (a loop that
        // builds stacks: 1 interrupt in 6 to 20, so a dozen of them find such a kernel often).
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            agent.run(1, JS, "let rounds = 0;");
            for (long call = 2; call < 14; call++) {
                agent.start(call, JS, "rounds++;\nconsole.log('busy " + call + "');\n"
                        + "for (;;) { new Error('x').stack; }\n", "");
                agent.awaitPrinted("busy " + call);
                agent.interrupt(call);
                AgentOutsideSandbox.End interrupted = agent.awaitEnd(call);
                assertThat(interrupted.code()).as(interrupted.stderr()).isEqualTo(130);
                assertThat(interrupted.kernel()).isEqualTo("kept");
            }
            assertThat(agent.run(14, JS, "rounds").result()).contains("12");
        }
    }

    @Test
    void interruptEndsACallThatIsWaitingAndKeepsTheState() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            agent.start(1, JS, "let kept = 'yes';\nconsole.log('waiting');\nawait new Promise(() => {});\n", "");
            agent.awaitPrinted("waiting");
            agent.interrupt(1);
            AgentOutsideSandbox.End interrupted = agent.awaitEnd(1);
            assertThat(interrupted.code()).isEqualTo(130);
            assertThat(interrupted.kernel()).isEqualTo("kept");
            assertThat(agent.run(2, JS, "kept").result()).contains("\"yes\"");
        }
    }

    @Test
    void interruptWhileBackgroundCallbacksKeepTheWorkerBusyEndsTheWaitingCallAndSparesTheNextOne() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            // A timer left by the first call keeps the worker busy most of the time; between two of its runs the
            // worker takes the interrupt of the waiting second call itself, so nothing needs terminating.
            agent.run(1, JS, "const kept = 'yes';\n"
                    + "globalThis.spin = setInterval(() => { const t = Date.now(); while (Date.now() - t < 80) {} }, 5);");
            agent.start(2, JS, "console.log('waiting');\nawait new Promise(() => {});\n", "");
            agent.awaitPrinted("waiting");
            agent.interrupt(2);
            AgentOutsideSandbox.End interrupted = agent.awaitEnd(2);
            assertThat(interrupted.code()).as(interrupted.stderr()).isEqualTo(130);
            assertThat(interrupted.kernel()).isEqualTo("kept");
            AgentOutsideSandbox.End next = agent.run(3, JS, "clearInterval(spin);\nkept");
            assertThat(next.code()).as(next.stderr()).isZero();
            assertThat(next.result()).contains("\"yes\"");
        }
    }

    @Test
    void interruptingACallbackThatNeverYieldsEndsTheCallAndSaysWhetherTheStateSurvived() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            agent.run(1, JS, "var maybe = 1;");
            agent.start(2, JS, "setTimeout(() => { console.log('spinning'); for (;;) {} }, 0);\n"
                    + "await new Promise(() => {});\n", "");
            agent.awaitPrinted("spinning");
            agent.interrupt(2);
            AgentOutsideSandbox.End interrupted = agent.awaitEnd(2);
            // Terminating a timer's callback may break Node's async bookkeeping, which ends the process: then the
            // agent reports the kernel died and the next call starts fresh; otherwise the state is kept.
            assertThat(interrupted.kernel()).isIn("kept", "died");
            if (interrupted.kernel().equals("kept")) {
                assertThat(interrupted.code()).isEqualTo(130);
            }
            AgentOutsideSandbox.End next = agent.run(3, JS, "typeof maybe");
            assertThat(next.code()).as(next.stderr()).isZero();
            assertThat(next.fresh()).isEqualTo(interrupted.kernel().equals("died"));
            assertThat(next.result()).contains(next.fresh() ? "\"undefined\"" : "\"number\"");
        }
    }

    @Test
    void anUnhandledRejectionOrALateThrowFailsTheCallButNeverTheKernel() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            AgentOutsideSandbox.End rejected = agent.run(1, JS, "const kept = 1;\nPromise.reject(new Error('nobody'));\n"
                    + "await new Promise((r) => setTimeout(r, 50));");
            assertThat(rejected.code()).isEqualTo(1);
            assertThat(rejected.kernel()).isEqualTo("kept");
            assertThat(rejected.stderr()).contains("Error: nobody");
            AgentOutsideSandbox.End late = agent.run(2, JS, "setTimeout(() => { throw new Error('late'); }, 10);\n"
                    + "await new Promise((r) => setTimeout(r, 100));");
            assertThat(late.code()).isEqualTo(1);
            assertThat(late.stderr()).contains("Error: late");
            AgentOutsideSandbox.End after = agent.run(3, JS, "kept + 1");
            assertThat(after.code()).isZero();
            assertThat(after.result()).contains("2");
        }
    }

    @Test
    void processExitEndsTheCallWithItsStatusAndKeepsTheState() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            AgentOutsideSandbox.End exited = agent.run(1, JS, "const kept = 5;\nprocess.exit(3);\nconsole.log('not reached');");
            assertThat(exited.code()).isEqualTo(3);
            assertThat(exited.kernel()).isEqualTo("kept");
            assertThat(exited.stdout()).isEmpty();
            AgentOutsideSandbox.End later = agent.run(2, JS, "await null;\nprocess.exit(4);");
            assertThat(later.code()).isEqualTo(4);
            assertThat(agent.run(3, JS, "kept").result()).contains("5");
        }
    }

    @Test
    void eachCallReadsItsOwnStdin() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            assertThat(agent.run(1, JS, "require('fs').readFileSync(0, 'utf8').trim()", "whole\n").result())
                    .contains("\"whole\"");
            AgentOutsideSandbox.End lines = agent.run(2, JS, """
                    const rl = require('node:readline').createInterface({ input: process.stdin });
                    const lines = [];
                    for await (const line of rl) lines.push(line);
                    lines
                    """, "a\nb\n");
            assertThat(lines.result()).contains("[\"a\",\"b\"]");
            assertThat(agent.run(3, JS, "require('fs').readFileSync('/dev/stdin', 'utf8')").result()).contains("\"\"");
        }
    }

    @Test
    void aKilledKernelIsReportedDiedAndTheNextCallStartsFresh() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            agent.run(1, JS, "var lost = 1;");
            agent.start(2, JS, "console.log('busy');\nwhile (true) {}\n", "");
            agent.awaitPrinted("busy");
            agent.kill(2);
            AgentOutsideSandbox.End killed = agent.awaitEnd(2);
            assertThat(killed.kernel()).isEqualTo("died");
            assertThat(killed.signal()).isEqualTo(9);
            AgentOutsideSandbox.End next = agent.run(3, JS, "typeof lost");
            assertThat(next.fresh()).isTrue();
            assertThat(next.result()).contains("\"undefined\"");
        }
    }

    @Test
    void runningOutOfHeapEndsTheKernelAsOutOfMemoryAndTheNextCallStartsFresh() throws Exception {
        SessionKernel small = JAVASCRIPT.sessionKernel(NODE, "main.mjs", RunOptions.withMemory(64)).orElseThrow();
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, JAVASCRIPT)) {
            agent.run(1, small, "var lost = 1;");
            AgentOutsideSandbox.End exhausted = agent.run(2, small,
                    "const keep = [];\nfor (;;) keep.push(new Array(1e5).fill(Math.random()));");
            assertThat(exhausted.kernel()).isEqualTo("died");
            assertThat(JAVASCRIPT.reportsOutOfMemory(exhausted.stderr())).as(exhausted.stderr()).isTrue();
            AgentOutsideSandbox.End next = agent.run(3, small, "typeof lost");
            assertThat(next.fresh()).isTrue();
            assertThat(next.result()).contains("\"undefined\"");
        }
    }
}
