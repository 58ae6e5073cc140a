package dev.mcpsandbox.sandbox.language.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.backend.bubblewrap.BubblewrapBackend;
import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.RunOptions;
import dev.mcpsandbox.sandbox.language.SessionKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernels inside a real bubblewrap sandbox made as a session's is (seccomp, its own uid, the cgroup's memory and
 * process caps, the launcher's rlimits with the address space of the hungriest runtime, the session environment):
 * a driver in the sandbox speaks the agent's protocol and prints each call's end, which these tests read.
 */
class KernelsInBubblewrapIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ResourceLimits CAPS = ResourceLimits.DEFAULTS;
    private static final RunOptions OPTIONS = RunOptions.withMemory(CAPS.memoryMb());
    private static final Language JAVASCRIPT = AgentOutsideSandbox.language("javascript");
    private static final Language RUBY = AgentOutsideSandbox.language("ruby");
    private static final Language SQL = AgentOutsideSandbox.language("sql");

    @TempDir
    static Path workRoot;
    private static BubblewrapBackend backend;

    @BeforeAll
    static void startBackend() throws Exception {
        boolean present = Files.isExecutable(Path.of("/usr/bin/bwrap"));
        if (!present && Boolean.getBoolean("sandbox.it.required")) {
            throw new AssertionError("bubblewrap is required for this run");
        }
        Assumptions.assumeTrue(present, "bubblewrap is not installed");
        backend = BubblewrapBackend.start(Optional.of(workRoot), 62500);
        try (InputStream agent = Language.class.getResourceAsStream("/dev/mcpsandbox/sandbox/session/agent.py");
             InputStream driver = KernelsInBubblewrapIT.class.getResourceAsStream("agent_driver.py")) {
            backend.installGuestFile("session/agent.py", new String(agent.readAllBytes(), StandardCharsets.UTF_8), false);
            backend.installGuestFile("session/agent_driver.py", new String(driver.readAllBytes(), StandardCharsets.UTF_8), false);
        }
        for (Language language : List.of(JAVASCRIPT, RUBY, SQL)) {
            for (Map.Entry<String, String> file : language.guestFiles().entrySet()) {
                backend.installGuestFile(file.getKey(), file.getValue(), false);
            }
        }
    }

    @AfterAll
    static void stopBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void javaScriptKeepsItsStateAndSurvivesErrorsAndInterruptsInASandbox() throws Exception {
        SessionKernel js = JAVASCRIPT.sessionKernel("/usr/bin/node", "main.mjs", OPTIONS).orElseThrow();
        List<JsonNode> ends = drive(
                kernelStep(1, js, "import path from 'node:path';\nlet n = 41;\nconst tag = path.basename('/a/b');"),
                kernelStep(2, js, "const tag = 'again';\nn = await Promise.resolve(n + 1);\n[n, tag]"),
                kernelStep(3, js, "function f() {\n  throw new RangeError('out');\n}\nf();"),
                kernelStep(4, js, "console.log('busy');\nwhile (true) {}").set("then", then("busy", "interrupt")),
                kernelStep(5, js, "console.log('waiting');\nawait new Promise(() => {});").set("then", then("waiting", "interrupt")),
                kernelStep(6, js, "n + require('node:os').EOL.length"),
                kernelStep(7, js, "const keep = [];\nfor (;;) keep.push(new Array(1e5).fill(Math.random()));"),
                kernelStep(8, js, "typeof n"));
        assertThat(ends.get(0).path("code").asInt(-1)).as(ends.get(0).toString()).isZero();
        assertThat(ends.get(0).path("fresh").asBoolean()).isTrue();
        assertThat(ends.get(1).path("result").asText()).as(ends.get(1).toString()).isEqualTo("[42,\"again\"]");
        assertThat(ends.get(2).path("code").asInt()).isEqualTo(1);
        assertThat(JAVASCRIPT.runtimeError(ends.get(2).path("stderr").asText(), "/workspace/main.mjs"))
                .hasValueSatisfying(e -> assertThat(e.line()).contains(2));
        assertThat(ends.get(3).path("code").asInt()).as(ends.get(3).toString()).isEqualTo(130);
        assertThat(ends.get(3).path("kernel").asText()).isEqualTo("kept");
        assertThat(ends.get(4).path("code").asInt()).as(ends.get(4).toString()).isEqualTo(130);
        assertThat(ends.get(5).path("result").asText()).as(ends.get(5).toString()).isEqualTo("43");
        assertThat(ends.get(6).path("kernel").asText()).as(ends.get(6).toString()).isEqualTo("died");
        assertThat(JAVASCRIPT.reportsOutOfMemory(ends.get(6).path("stderr").asText())).as(ends.get(6).toString()).isTrue();
        assertThat(ends.get(7).path("fresh").asBoolean()).isTrue();
        assertThat(ends.get(7).path("result").asText()).isEqualTo("\"undefined\"");
    }

    @Test
    void rubyKeepsItsBindingAndSurvivesAnInterruptInASandbox() throws Exception {
        SessionKernel rb = RUBY.sessionKernel("/usr/bin/ruby", "main.rb", OPTIONS).orElseThrow();
        List<JsonNode> ends = drive(
                kernelStep(1, rb, "require 'set'\nseen = Set[1]\ndef twice(v) = v * 2"),
                kernelStep(2, rb, "puts 'busy'\nloop { }").set("then", then("busy", "interrupt")),
                kernelStep(3, rb, "raise 'no' if seen.empty?\ntwice(seen.size + 20)"));
        assertThat(ends.get(0).path("code").asInt(-1)).as(ends.get(0).toString()).isZero();
        assertThat(ends.get(1).path("code").asInt()).as(ends.get(1).toString()).isEqualTo(130);
        assertThat(ends.get(2).path("result").asText()).as(ends.get(2).toString()).isEqualTo("42");
        assertThat(ends.get(2).path("fresh").asBoolean()).isFalse();
    }

    @Test
    void sqlKeepsItsDatabaseFileInASandbox() throws Exception {
        List<String> argv = SQL.runCommand("/usr/bin/python3", "main.sql", OPTIONS.inSession());
        List<JsonNode> ends = drive(
                processStep(1, argv, "CREATE TABLE t (v INTEGER);\nINSERT INTO t VALUES (20), (22);"),
                processStep(2, argv, "SELECT sum(v) FROM t;"));
        assertThat(ends.get(0).path("code").asInt(-1)).as(ends.get(0).toString()).isZero();
        assertThat(ends.get(1).path("stdout").asText()).as(ends.get(1).toString()).isEqualTo("42\n");
    }

    private static ObjectNode kernelStep(int call, SessionKernel kernel, String code) {
        ObjectNode step = JSON.createObjectNode().put("call", call).put("code", code).put("file", kernel.file());
        ObjectNode k = step.putObject("kernel").put("key", kernel.key());
        kernel.argv().forEach(k.putArray("argv")::add);
        return step;
    }

    private static ObjectNode processStep(int call, List<String> argv, String code) {
        ObjectNode step = JSON.createObjectNode().put("call", call).put("code", code).put("file", "/workspace/main.sql");
        argv.forEach(step.putArray("process")::add);
        return step;
    }

    private static ObjectNode then(String after, String op) {
        return JSON.createObjectNode().put("after", after).put("op", op);
    }

    /** Runs the steps in a fresh session-like sandbox; one end per step, in order. */
    private static List<JsonNode> drive(JsonNode... steps) throws Exception {
        ArrayNode all = JSON.createArrayNode();
        List.of(steps).forEach(all::add);
        long addressSpaceMb = JAVASCRIPT.addressSpaceMb(CAPS.memoryMb());
        Map<String, String> env = Map.of("PATH", "/opt/mcp-sandbox/bin:/usr/local/bin:/usr/bin:/bin", "HOME", "/workspace",
                "LANG", "C.UTF-8", "TMPDIR", "/tmp", "MALLOC_ARENA_MAX", "2");
        SandboxSpec spec = new SandboxSpec("kernels-it", List.of("/usr/bin/python3", "-E", "-s", "-B", "-u",
                "/opt/mcp-sandbox/session/agent_driver.py"), List.of(), env, CAPS, addressSpaceMb, GoLine.LAUNCHER);
        try (Sandbox sandbox = backend.create(spec)) {
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(sandbox.stdout()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(sandbox.stderr()));
            sandbox.begin(new RunLimits(600, CAPS.fileSizeMb() * 1024L * 1024L, 1024, addressSpaceMb * 1024L * 1024L, 0),
                    JSON.writeValueAsBytes(all));
            Optional<Integer> exit = sandbox.awaitExit(Duration.ofSeconds(180));
            String stdout = new String(out.get(), StandardCharsets.UTF_8);
            String stderr = new String(err.get(), StandardCharsets.UTF_8);
            assertThat(exit).as("driver exit; stdout %s; stderr %s", stdout, stderr).contains(0);
            List<JsonNode> ends = new ArrayList<>();
            for (String line : stdout.split("\n")) {
                if (!line.isBlank()) {
                    ends.add(JSON.readTree(line));
                }
            }
            assertThat(ends).as("stderr: %s", stderr).hasSize(steps.length);
            return ends;
        }
    }

    private static byte[] readAll(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
