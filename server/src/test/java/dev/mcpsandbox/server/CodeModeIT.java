package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceRequest;
import io.modelcontextprotocol.spec.McpSchema.Resource;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Code mode on its happy paths, against real upstream MCP servers (the pinned {@code server-everything} and
 * {@code server-memory} of {@code .ci/upstream}): programs in Python, JavaScript and Bash call tools through
 * their execution's bridge, compute on the answers and hand a structured result back. One server for the class.
 */
class CodeModeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private static Path memoryDir;
    private static Path memoryFile;
    private static SandboxServer server;

    @BeforeAll
    static void start() throws IOException {
        requireUpstreams();
        memoryDir = Files.createTempDirectory("code-mode-it-");
        memoryFile = memoryDir.resolve("memory.jsonl");
        Map<String, Object> servers = new LinkedHashMap<>();
        servers.put("everything", Map.of("command", upstreamBin("mcp-server-everything").toString(), "args", List.of()));
        servers.put("memory", Map.of("command", upstreamBin("mcp-server-memory").toString(), "args", List.of(),
                "env", Map.of("MEMORY_FILE_PATH", memoryFile.toString())));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("mcpServers", servers);
        config.put("tools", Map.of("allow", List.of("everything.*", "memory.*"), "deny", List.of("everything.get-env")));
        config.put("limits", Map.of("toolCalls", 1100));
        server = SandboxServer.start(JSON.writeValueAsString(config), Map.of());
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (memoryDir != null) {
            try (Stream<Path> files = Files.walk(memoryDir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    // ---------------------------------------------------------------- one call per language, computed on

    @Test
    void python_combinesResultsOfBothServersIntoStructuredResult() {
        String person = "Ada" + letters(10);
        String type = "person-" + letters(8);
        Map<String, Object> r = run("python", """
                import re
                text = tools.everything.get_sum(a=19, b=23)
                total = int(re.search(r" is (-?\\d+)\\.$", text).group(1))
                created = tools.memory.create_entities(entities=[
                    {"name": "%s", "entityType": "%s", "observations": ["likes sums"]}])
                graph = tools.memory.read_graph()
                tools.result({
                    "text": text,
                    "total": total,
                    "doubled": total * 2,
                    "created": [e["name"] for e in created["entities"]],
                    "people": sorted(e["name"] for e in graph["entities"] if e["entityType"] == "%s"),
                    "observations": [o for e in graph["entities"] if e["name"] == "%s" for o in e["observations"]],
                })
                print("done")
                """.formatted(person, type, type, person));

        assertSucceeded(r);
        assertThat(r.get("stdout")).isEqualTo("done\n");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("text", "The sum of 19 and 23 is 42.");
        expected.put("total", 42);
        expected.put("doubled", 84);
        expected.put("created", List.of(person));
        expected.put("people", List.of(person));
        expected.put("observations", List.of("likes sums"));
        assertThat(r.get("result")).as("result handed back with tools.result").isEqualTo(expected);
        assertCalls(r, "everything.get-sum", "memory.create_entities", "memory.read_graph");
    }

    @Test
    void javascript_computesOnConcurrentCallsAndReturnsResult() {
        Map<String, Object> r = run("javascript", """
                const texts = await Promise.all([[1, 2], [30, 4]].map(([a, b]) => tools.everything.get_sum({ a, b })));
                const sums = texts.map((t) => Number(/ is (-?\\d+)\\.$/.exec(t)[1]));
                await tools.result({ sums, product: sums[0] * sums[1] });
                console.log('sums', sums.join(','));
                """);

        assertSucceeded(r);
        assertThat(r.get("stdout")).isEqualTo("sums 3,34\n");
        assertThat(r.get("result")).isEqualTo(Map.of("sums", List.of(3, 34), "product", 102));
        assertCalls(r, "everything.get-sum", "everything.get-sum");
    }

    @Test
    void bash_toolCommandPrintsJsonThatTheScriptComputesOn() {
        Map<String, Object> r = run("bash", """
                set -e
                out=$(tool everything.get-sum '{"a": 40, "b": 2}')
                echo "json=$out"
                n=$(printf '%s' "$out" | sed -E 's/.* is (-?[0-9]+)\\..*/\\1/')
                echo "double=$((n * 2))"
                raw=$(echo '{"a": 1, "b": 1}' | tool --raw everything.get-sum -)
                echo "raw=$raw"
                tool --result "{\\"n\\": $n, \\"raw\\": \\"$raw\\"}"
                """);

        assertSucceeded(r);
        assertThat(r.get("stdout")).isEqualTo("json=\"The sum of 40 and 2 is 42.\"\ndouble=84\nraw=The sum of 1 and 1 is 2.\n");
        assertThat(r.get("result")).isEqualTo(Map.of("n", 42, "raw", "The sum of 1 and 1 is 2."));
        assertCalls(r, "everything.get-sum", "everything.get-sum");
    }

    // ---------------------------------------------------------------- names

    @Test
    void realNameAndIdentifierReachTheSameTool() {
        Map<String, Object> r = run("python", """
                import json
                values = [
                    tools.call("everything.get-sum", {"a": 2, "b": 3}),
                    tools.call("everything.get-sum", a=2, b=3),
                    tools.everything.get_sum(a=2, b=3),
                    tools.everything.get_sum({"a": 2, "b": 3}),
                    tools["everything"]["get-sum"](a=2, b=3),
                ]
                print(json.dumps({
                    "values": values,
                    "name": tools.everything.get_sum.name,
                    "inDir": "get_sum" in dir(tools.everything),
                    "structured": tools.everything.get_structured_content(location="Chicago"),
                }))
                """);

        assertSucceeded(r);
        JsonNode out = json((String) r.get("stdout"));
        assertThat(out.path("values")).hasSize(5).allSatisfy(v -> assertThat(v.asText()).isEqualTo("The sum of 2 and 3 is 5."));
        assertThat(out.path("name").asText()).as("the real name behind get_sum").isEqualTo("everything.get-sum");
        assertThat(out.path("inDir").asBoolean()).isTrue();
        // A tool with structured content returns it as a value, not as text.
        assertThat(out.path("structured").isObject()).as("structured content: %s", out.path("structured")).isTrue();
        assertThat(out.path("structured").has("temperature")).isTrue();
        assertCalls(r, "everything.get-sum", "everything.get-sum", "everything.get-sum", "everything.get-sum",
                "everything.get-sum", "everything.get-structured-content");
    }

    // ---------------------------------------------------------------- discovery

    @Test
    void searchTools_findsGetSumBriefly() {
        Map<String, Object> found = search(Map.of("query", "sum"));
        List<Map<String, Object>> tools = list(found.get("tools"));
        assertThat(tools).extracting(t -> t.get("name")).contains("everything.get-sum");
        Map<String, Object> getSum = byName(tools, "everything.get-sum");
        assertThat((String) getSum.get("description")).isNotBlank();
        assertThat(getSum).as("brief entries carry no schema").doesNotContainKeys("inputSchema", "example");
        assertThat(list(found.get("servers"))).extracting(s -> s.get("name") + "=" + s.get("state"))
                .containsExactlyInAnyOrder("everything=available", "memory=available");
    }

    @ParameterizedTest
    @ValueSource(strings = {"python", "javascript", "bash"})
    void searchTools_detailGivesSchemaAndAnExampleThatRuns(String language) {
        Map<String, Object> found = search(Map.of("query", "sum", "detail", true, "language", language));
        Map<String, Object> getSum = byName(list(found.get("tools")), "everything.get-sum");
        @SuppressWarnings("unchecked")
        Map<String, Object> schema = (Map<String, Object>) getSum.get("inputSchema");
        assertThat(schema).as("inputSchema").containsEntry("type", "object");
        assertThat(schema.get("properties")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsKeys("a", "b");
        String example = (String) getSum.get("example");
        assertThat(example).as("example").isNotBlank();

        String code = switch (language) {
            case "python" -> example + "\nprint(repr(result))\n";
            case "javascript" -> example + "\nconsole.log(JSON.stringify(result));\n";
            default -> example + "\n";
        };
        Map<String, Object> r = run(language, code);
        assertSucceeded(r);
        assertThat((String) r.get("stdout")).as("output of the pasted example:\n%s", example).contains("The sum of");
        assertCalls(r, "everything.get-sum");
    }

    @Test
    void searchTools_doesNotListToolsThatCannotBeCalled() {
        List<Map<String, Object>> env = list(search(Map.of("query", "env")).get("tools"));
        assertThat(env).extracting(t -> t.get("name")).doesNotContain("everything.get-env");

        List<Map<String, Object>> all = list(search(Map.of("query", "", "limit", 200)).get("tools"));
        assertThat(all).extracting(t -> (String) t.get("name"))
                .as("positive control: the listing has the allowed tools")
                .contains("everything.get-sum", "everything.echo", "memory.read_graph", "memory.create_entities")
                .as("denied by tools.deny").doesNotContain("everything.get-env")
                .as("destructive, allowed only by a wildcard").doesNotContain("memory.delete_entities");
    }

    @Test
    void stubResources_areListedAndThePythonStubParses() {
        List<String> uris = server.client().listResources().resources().stream().map(Resource::uri).toList();
        assertThat(uris).contains("mcp-sandbox://tools/python", "mcp-sandbox://tools/typescript");

        String python = readResource("mcp-sandbox://tools/python");
        String typescript = readResource("mcp-sandbox://tools/typescript");
        assertThat(python).contains("get_sum").doesNotContain("get_env");
        assertThat(typescript).contains("get_sum");

        Map<String, Object> args = new HashMap<>();
        args.put("language", "python");
        args.put("files", Map.of("tools_stub.pyi", python));
        args.put("code", """
                import ast, json
                tree = ast.parse(open("tools_stub.pyi").read(), "tools_stub.pyi")
                classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
                methods = {c: sorted(f.name for f in n.body if isinstance(f, ast.FunctionDef)) for c, n in classes.items()}
                get_sum = next(f for f in classes["everything"].body if isinstance(f, ast.FunctionDef) and f.name == "get_sum")
                print(json.dumps({
                    "methods": methods,
                    "getSumArgs": sorted(a.arg for a in get_sum.args.kwonlyargs),
                    "getSumDoc": ast.get_docstring(get_sum),
                }))
                """);
        Map<String, Object> r = server.execute(args);
        assertSucceeded(r);
        JsonNode out = json((String) r.get("stdout"));
        assertThat(out.path("methods").path("everything").toString()).contains("\"get_sum\"", "\"echo\"")
                .doesNotContain("get_env");
        assertThat(out.path("methods").path("memory").toString()).contains("\"read_graph\"");
        assertThat(out.path("getSumArgs").toString()).isEqualTo("[\"a\",\"b\"]");
        assertThat(out.path("getSumDoc").asText()).contains("everything.get-sum");
    }

    // ---------------------------------------------------------------- volume

    @Test
    void python_thousandCallsInOneExecution() {
        int calls = 1000;
        Map<String, Object> r = run("python", """
                import re, time
                started = time.perf_counter()
                wrong = []
                for i in range(%d):
                    text = tools.everything.get_sum(a=i, b=1)
                    if text != "The sum of %%d and 1 is %%d." %% (i, i + 1):
                        wrong.append(text)
                elapsed = time.perf_counter() - started
                print("wrong", len(wrong), wrong[:3])
                print("loop_ms %%.1f" %% (elapsed * 1000))
                """.formatted(calls), 120);

        assertSucceeded(r);
        assertThat((String) r.get("stdout")).startsWith("wrong 0 []\n");
        List<Map<String, Object>> toolCalls = list(r.get("toolCalls"));
        assertThat(toolCalls).hasSize(calls).allSatisfy(c -> assertThat(c.get("ok")).isEqualTo(true));
        long durationMs = ((Number) r.get("durationMs")).longValue();
        double loopMs = Double.parseDouble(((String) r.get("stdout")).replaceAll("(?s).*loop_ms ([0-9.]+).*", "$1"));
        System.out.printf(Locale.ROOT, "[CodeModeIT] per-call round trip: %.2f ms (execution %d ms / %d calls;"
                + " the Python loop alone %.0f ms, %.2f ms per call)%n", durationMs / (double) calls, durationMs, calls,
                loopMs, loopMs / calls);
    }

    @Test
    void javascript_promiseAllOverTwoHundredCalls() {
        Map<String, Object> r = run("javascript", """
                const started = performance.now();
                const texts = await Promise.all(Array.from({ length: 200 }, (_, i) => tools.everything.get_sum({ a: i, b: 1000 })));
                const wrong = texts.filter((t, i) => t !== `The sum of ${i} and 1000 is ${i + 1000}.`);
                console.log('wrong', wrong.length, JSON.stringify(wrong.slice(0, 3)));
                console.log('loop_ms', (performance.now() - started).toFixed(1));
                """, 60);

        assertSucceeded(r);
        assertThat((String) r.get("stdout")).startsWith("wrong 0 []\n");
        assertThat(list(r.get("toolCalls"))).hasSize(200).allSatisfy(c -> assertThat(c.get("ok")).isEqualTo(true));
        System.out.printf(Locale.ROOT, "[CodeModeIT] JavaScript Promise.all of 200 calls: execution %s ms, %s%n",
                r.get("durationMs"), ((String) r.get("stdout")).lines().filter(l -> l.startsWith("loop_ms")).findFirst()
                        .orElse("?"));
    }

    /** docs/guest-libraries.md: "Threads may call tools at the same time over the one connection". */
    @Test
    void python_sixteenThreadsShareTheBridge() {
        Map<String, Object> r = run("python", """
                from concurrent.futures import ThreadPoolExecutor
                with ThreadPoolExecutor(16) as pool:
                    texts = list(pool.map(lambda i: tools.everything.get_sum(a=i, b=7), range(200)))
                wrong = [t for i, t in enumerate(texts) if t != "The sum of %d and 7 is %d." % (i, i + 7)]
                print("wrong", len(wrong), wrong[:3])
                """, 60);

        assertSucceeded(r);
        assertThat((String) r.get("stdout")).isEqualTo("wrong 0 []\n");
        assertThat(list(r.get("toolCalls"))).hasSize(200).allSatisfy(c -> assertThat(c.get("ok")).isEqualTo(true));
    }

    /**
     * Programs print what tools return, numbers included; the secret redactor (on by default) must not take the
     * digits of a decimal fraction for a card number. 0.4111111111111111 is what {@code repr} prints for that
     * float; its 16 fraction digits happen to pass the Luhn check, as about one in twenty random floats' do.
     */
    @Test
    void printedFloats_areNotRedactedAsCardNumbers() {
        Map<String, Object> r = run("python", """
                import json
                print(json.dumps({"seconds": 0.4111111111111111, "temperature": 36}))
                """);
        assertSucceeded(r);
        assertThat(r.get("stdout")).isEqualTo("{\"seconds\": 0.4111111111111111, \"temperature\": 36}\n");
        assertThat(r.get("redacted")).asList().isEmpty();
    }

    // ---------------------------------------------------------------- helpers

    static Path upstreamBin(String name) {
        return Path.of(System.getProperty("mcpSandbox.upstreamDir", "/work/main/.ci/upstream/node_modules"), ".bin", name);
    }

    private static void requireUpstreams() {
        SandboxServer.requireOrSkip(Files.isExecutable(upstreamBin("mcp-server-everything"))
                        && Files.isExecutable(upstreamBin("mcp-server-memory")),
                "the pinned upstream MCP servers are not installed under " + upstreamBin("").getParent()
                        + " (bin/setup --test-deps)");
    }

    private static Map<String, Object> run(String language, String code) {
        return run(language, code, 30);
    }

    private static Map<String, Object> run(String language, String code, int timeoutSeconds) {
        Map<String, Object> r = server.execute(Map.of("language", language, "code", code, "timeoutSeconds", timeoutSeconds));
        assertThat(r).as("structured result").isNotNull();
        return r;
    }

    private static void assertSucceeded(Map<String, Object> r) {
        assertThat(r.get("exitCode")).as("exit code; stdout: %s\nstderr: %s\ntoolCalls: %s", r.get("stdout"),
                r.get("stderr"), r.get("toolCalls")).isEqualTo(0);
        assertThat(r.get("limitHit")).isNull();
        assertThat(r.get("error")).isNull();
    }

    /** Every call listed, in order, each ok with a duration. */
    private static void assertCalls(Map<String, Object> r, String... tools) {
        List<Map<String, Object>> calls = list(r.get("toolCalls"));
        assertThat(calls).extracting(c -> c.get("tool")).as("toolCalls").containsExactly((Object[]) tools);
        for (Map<String, Object> c : calls) {
            assertThat(c.get("ok")).as("call %s", c).isEqualTo(true);
            assertThat(c.get("error")).as("call %s", c).isNull();
            assertThat(c.get("durationMs")).as("call %s", c).isInstanceOf(Number.class);
            assertThat(((Number) c.get("durationMs")).longValue()).as("call %s", c).isBetween(0L, 30_000L);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> search(Map<String, Object> arguments) {
        var result = server.call("search_tools", arguments);
        assertThat(result.isError()).as("search_tools error: %s", SandboxServer.text(result)).isNotEqualTo(true);
        return (Map<String, Object>) result.structuredContent();
    }

    private static String readResource(String uri) {
        var contents = server.client().readResource(new ReadResourceRequest(uri)).contents();
        assertThat(contents).hasSize(1);
        return ((TextResourceContents) contents.get(0)).text();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return (List<Map<String, Object>>) value;
    }

    private static Map<String, Object> byName(List<Map<String, Object>> tools, String name) {
        return tools.stream().filter(t -> name.equals(t.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not among " + tools));
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static String letters(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append((char) ('a' + RANDOM.nextInt(26)));
        }
        return b.toString();
    }
}
