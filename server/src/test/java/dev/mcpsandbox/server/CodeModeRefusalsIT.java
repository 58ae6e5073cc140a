package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.ClientCapabilities;
import io.modelcontextprotocol.spec.McpSchema.ElicitFormRequest;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every way the tool layer refuses a call from sandboxed code — policy, unknown names, input schema, budget,
 * confirmation — seen from inside (the guest libraries' {@code ToolError} and the {@code tool} command's exit
 * status), in the {@code execute_code} answer ({@code toolCalls}, {@code limitHit}) and in the audit file.
 *
 * <p>"A refused call never reaches the upstream server" is checked on the upstream process itself: the bytes it
 * read ({@code rchar} of {@code /proc/<pid>/io}) grow by less than any request while the refused call is made, and
 * do grow by the request's size for a call that is allowed (the positive control). The memory server's file is
 * checked as well, although by itself it proves less: that server validates its input too.
 */
class CodeModeRefusalsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String TAG_VARIABLE = "CODE_MODE_REFUSALS_IT_TAG";
    private static final int ARGUMENT_BYTES = 16_384;
    /**
     * A refused call must not reach the upstream, whose stdin would then grow by a JSON-RPC request: 100 bytes and
     * more. rchar also counts Node's own 8-byte reads of its event loop's eventfd and timerfd on a wake-up (seen: 8
     * bytes once under load, with no request sent), so "nothing read" means fewer bytes than any request.
     */
    private static final long LESS_THAN_ANY_REQUEST = 64;

    private static final String PY_ATTEMPT = """
            import json
            def attempt(label, f):
                try:
                    out = {"ok": True, "value": f()}
                except ToolError as e:
                    out = {"ok": False, "type": type(e).__name__, "reason": e.reason, "code": e.code, "tool": e.tool,
                           "detail": e.detail, "message": str(e), "errors": e.errors,
                           "attributeError": isinstance(e, AttributeError)}
                print(json.dumps(dict(label=label, **out)), flush=True)
            """;
    private static final String JS_ATTEMPT = """
            async function attempt(label, f) {
              let out;
              try {
                out = { ok: true, value: await f() };
              } catch (e) {
                out = { ok: false, isToolError: e instanceof ToolError, name: e.name, reason: e.reason, code: e.code,
                        tool: e.tool, message: e.message };
              }
              console.log(JSON.stringify({ label, ...out }));
            }
            """;

    private static Path dir;
    private static Path memoryFile;
    private static Path auditFile;
    private static String tag;
    private static SandboxServer server;
    private static ElicitingClient eliciting;

    @BeforeAll
    static void start() throws IOException {
        requireUpstreams();
        dir = Files.createTempDirectory("code-mode-refusals-it-");
        memoryFile = dir.resolve("memory.jsonl");
        auditFile = dir.resolve("audit.jsonl");
        tag = "refusals" + letters(16);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("mcpServers", Map.of(
                "everything", upstream("mcp-server-everything", Map.of(TAG_VARIABLE, tag + "-everything")),
                "memory", upstream("mcp-server-memory", Map.of(TAG_VARIABLE, tag + "-memory",
                        "MEMORY_FILE_PATH", memoryFile.toString()))));
        config.put("tools", Map.of(
                "allow", List.of("everything.*", "memory.*", "memory.delete_relations"),
                "deny", List.of("*.delete_entities"),
                "budget", Map.of("argumentBytes", ARGUMENT_BYTES)));
        config.put("limits", Map.of("toolCalls", 3));
        config.put("audit", Map.of("file", auditFile.toString()));
        server = SandboxServer.start(JSON.writeValueAsString(config), Map.of());
        awaitUpstreamsStarted(server.client());
    }

    /**
     * The server answers initialize before its upstream servers have started, and a tool call waits for them: one
     * call here keeps an upstream's own start (Node reading its modules: 475 KB of rchar) out of measured windows.
     */
    private static void awaitUpstreamsStarted(McpSyncClient client) {
        client.callTool(CallToolRequest.builder("execute_code")
                .arguments(Map.of("language", "bash", "code", "true")).build());
    }

    @AfterAll
    static void stop() throws IOException {
        if (eliciting != null) {
            eliciting.close();
        }
        if (server != null) {
            server.close();
        }
        deleteTree(dir);
    }

    // ---------------------------------------------------------------- policy: tools.deny

    @Test
    void deniedTool_python_raisesToolErrorWithReasonDenied() {
        UpstreamProcess memory = UpstreamProcess.tagged(tag + "-memory");
        long before = memory.bytesRead();
        Map<String, Object> r = run("python", PY_ATTEMPT + """
                attempt("call", lambda: tools.call("memory.delete_entities", {"entityNames": ["x"]}))
                attempt("attribute", lambda: tools.memory.delete_entities(entityNames=["x"]))
                """);
        Map<String, JsonNode> out = attempts(r);

        JsonNode call = out.get("call");
        assertThat(call.path("ok").asBoolean()).isFalse();
        assertThat(call.path("type").asText()).isEqualTo("ToolError");
        assertThat(call.path("reason").asText()).isEqualTo("denied");
        assertThat(call.path("code").asInt()).isEqualTo(-32011);
        assertThat(call.path("tool").asText()).isEqualTo("memory.delete_entities");
        assertThat(call.path("message").asText()).as("the message names the rule")
                .contains("memory.delete_entities", "denied", "tools.deny", "*.delete_entities");

        // By design a tool the policy hides is not an attribute at all: the library cannot tell why.
        JsonNode attribute = out.get("attribute");
        assertThat(attribute.path("reason").asText()).isEqualTo("unknown_tool");
        assertThat(attribute.path("type").asText()).isEqualTo("UnknownToolError");
        assertThat(attribute.path("attributeError").asBoolean()).isTrue();
        assertThat(attribute.path("message").asText()).as("points to tools.call, which says why")
                .contains("tools.call(");

        assertThat(calls(r)).anySatisfy(c -> {
            assertThat(c.get("tool")).isEqualTo("memory.delete_entities");
            assertThat(c.get("ok")).isEqualTo(false);
            assertThat((String) c.get("error")).contains("tools.deny", "*.delete_entities");
        });
        assertThat(calls(r)).allSatisfy(c -> assertThat(c.get("ok")).isEqualTo(false));
        assertThat(memory.bytesRead() - before).as("bytes the memory server read while denied calls were made")
                .isLessThan(LESS_THAN_ANY_REQUEST);
    }

    @Test
    void deniedTool_javascript_rejectsWithToolError() {
        Map<String, Object> r = run("javascript", JS_ATTEMPT + """
                await attempt('call', () => tools.call('memory.delete_entities', { entityNames: ['x'] }));
                await attempt('attribute', () => tools.memory.delete_entities({ entityNames: ['x'] }));
                """);
        Map<String, JsonNode> out = attempts(r);
        JsonNode call = out.get("call");
        assertThat(call.path("ok").asBoolean()).isFalse();
        assertThat(call.path("isToolError").asBoolean()).isTrue();
        assertThat(call.path("reason").asText()).isEqualTo("denied");
        assertThat(call.path("code").asInt()).isEqualTo(-32011);
        assertThat(call.path("message").asText()).contains("memory.delete_entities", "tools.deny", "*.delete_entities");
        JsonNode attribute = out.get("attribute");
        assertThat(attribute.path("isToolError").asBoolean()).isTrue();
        assertThat(attribute.path("reason").asText()).isEqualTo("unknown_tool");
        assertThat(attribute.path("message").asText()).contains("tools.call(");
    }

    @Test
    void deniedTool_bash_toolExitsThreeAndNamesTheReason() {
        Map<String, Object> r = run("bash", """
                tool memory.delete_entities '{"entityNames": ["x"]}'
                echo "rc=$?"
                """);
        assertThat(r.get("stdout")).as("nothing but the exit status on stdout").isEqualTo("rc=3\n");
        assertThat((String) r.get("stderr")).contains("tool: memory.delete_entities denied", "tools.deny",
                "*.delete_entities");
        assertThat(calls(r)).singleElement().satisfies(c -> {
            assertThat(c.get("ok")).isEqualTo(false);
            assertThat((String) c.get("error")).contains("tools.deny");
        });
    }

    /**
     * docs/guest-libraries.md: {@code detail} is "the message without the tool and reason in front", and an
     * uncaught refusal reads {@code ToolError: memory.delete_entities denied: denied by tools.deny pattern "…"}.
     */
    @Test
    void refusalMessage_namesToolAndReasonOnce_asDocumented() {
        Map<String, Object> r = run("python", PY_ATTEMPT + """
                attempt("call", lambda: tools.call("memory.delete_entities", {"entityNames": ["x"]}))
                """);
        JsonNode call = attempts(r).get("call");
        assertThat(call.path("message").asText()).as("str(ToolError)")
                .isEqualTo("memory.delete_entities denied: denied by tools.deny pattern \"*.delete_entities\"");
        assertThat(call.path("detail").asText()).as("ToolError.detail")
                .isEqualTo("denied by tools.deny pattern \"*.delete_entities\"");
    }

    // ---------------------------------------------------------------- policy: destructive tools

    @Test
    void destructiveTool_refusedUnderWildcard_allowedWhenNamedExactly() {
        Map<String, Object> r = run("python", PY_ATTEMPT + """
                attempt("wildcard", lambda: tools.call("memory.delete_observations", {"deletions": []}))
                attempt("exact", lambda: tools.call("memory.delete_relations", {"relations": []}))
                """);
        Map<String, JsonNode> out = attempts(r);
        JsonNode wildcard = out.get("wildcard");
        assertThat(wildcard.path("reason").asText()).isEqualTo("denied");
        assertThat(wildcard.path("message").asText()).contains("destructive", "exact name");
        JsonNode exact = out.get("exact");
        assertThat(exact.path("ok").asBoolean()).as("memory.delete_relations, allowed by name: %s", exact).isTrue();
        assertThat(calls(r)).extracting(c -> c.get("tool") + " " + c.get("ok"))
                .containsExactly("memory.delete_observations false", "memory.delete_relations true");
    }

    // ---------------------------------------------------------------- unknown names

    @Test
    void unknownToolAndUnknownServer_python() {
        Map<String, Object> r = run("python", PY_ATTEMPT + """
                attempt("tool", lambda: tools.call("everything.no-such-tool", {}))
                attempt("server", lambda: tools.call("nosuchserver.anything", {}))
                attempt("attributeServer", lambda: tools.nosuchserver.anything())
                attempt("attributeTool", lambda: tools.everything.get_summ(a=1, b=2))
                """);
        Map<String, JsonNode> out = attempts(r);
        for (String label : List.of("tool", "server", "attributeServer", "attributeTool")) {
            assertThat(out.get(label).path("reason").asText()).as(label).isEqualTo("unknown_tool");
            assertThat(out.get(label).path("code").asInt()).as(label).isEqualTo(-32010);
        }
        assertThat(out.get("tool").path("message").asText()).as("names the server and what it has")
                .contains("no-such-tool", "everything", "get-sum");
        assertThat(out.get("server").path("message").asText()).as("names the servers there are")
                .contains("nosuchserver", "everything", "memory");
        assertThat(out.get("attributeServer").path("message").asText()).contains("nosuchserver", "everything");
        assertThat(out.get("attributeTool").path("message").asText()).as("suggests the close name").contains("get_sum");
        assertThat(calls(r)).extracting(c -> c.get("tool"))
                .contains("everything.no-such-tool", "nosuchserver.anything");
        assertThat(calls(r)).allSatisfy(c -> assertThat(c.get("ok")).isEqualTo(false));
    }

    @Test
    void unknownToolAndUnknownServer_javascriptAndBash() {
        Map<String, Object> js = run("javascript", JS_ATTEMPT + """
                await attempt('tool', () => tools.call('everything.no-such-tool', {}));
                await attempt('server', () => tools.nosuchserver.anything({}));
                """);
        Map<String, JsonNode> out = attempts(js);
        assertThat(out.get("tool").path("reason").asText()).isEqualTo("unknown_tool");
        assertThat(out.get("tool").path("message").asText()).contains("no-such-tool", "get-sum");
        assertThat(out.get("server").path("reason").asText()).isEqualTo("unknown_tool");
        assertThat(out.get("server").path("message").asText()).contains("nosuchserver", "everything");

        Map<String, Object> bash = run("bash", """
                tool nosuchserver.anything '{}'; echo "server rc=$?"
                tool everything.no-such-tool; echo "tool rc=$?"
                """);
        assertThat(bash.get("stdout")).isEqualTo("server rc=3\ntool rc=3\n");
        assertThat((String) bash.get("stderr")).contains("nosuchserver.anything unknown_tool", "everything.no-such-tool unknown_tool");
    }

    // ---------------------------------------------------------------- input schema

    @Test
    void schemaInvalidArguments_areRefusedAndNeverReachTheUpstream() throws IOException {
        UpstreamProcess memory = UpstreamProcess.tagged(tag + "-memory");
        UpstreamProcess everything = UpstreamProcess.tagged(tag + "-everything");
        String invalid = "Invalid" + letters(12);
        String valid = "Valid" + letters(12);
        // Large enough to stand out in the upstream's read counter, small enough for the argument budget.
        String padding = "p".repeat(8000);

        long memoryBefore = memory.bytesRead();
        long everythingBefore = everything.bytesRead();
        Map<String, Object> refused = run("python", PY_ATTEMPT + """
                attempt("stringForNumber", lambda: tools.everything.get_sum(a="x", b=1))
                attempt("missingRequired", lambda: tools.call("everything.get-sum", {"a": 1}))
                attempt("entityWithoutType", lambda: tools.memory.create_entities(entities=[
                    {"name": "%s", "observations": ["%s"]}]))
                attempt("entitiesNotAList", lambda: tools.call("memory.create_entities", {"entities": "%s"}))
                """.formatted(invalid, padding, invalid));
        long memoryAfterRefused = memory.bytesRead();
        long everythingAfterRefused = everything.bytesRead();

        Map<String, JsonNode> out = attempts(refused);
        for (String label : List.of("stringForNumber", "missingRequired", "entityWithoutType", "entitiesNotAList")) {
            assertThat(out.get(label).path("reason").asText()).as("%s: %s", label, out.get(label))
                    .isEqualTo("invalid_arguments");
            assertThat(out.get(label).path("code").asInt()).isEqualTo(-32012);
        }
        assertThat(out.get("stringForNumber").path("message").asText()).as("says what is wrong").contains("/a");
        assertThat(calls(refused)).hasSize(4).allSatisfy(c -> {
            assertThat(c.get("ok")).isEqualTo(false);
            assertThat((String) c.get("error")).contains("input schema");
        });
        assertThat(memoryAfterRefused - memoryBefore).as("bytes the memory server read during the refused calls")
                .isLessThan(LESS_THAN_ANY_REQUEST);
        assertThat(everythingAfterRefused - everythingBefore).as("bytes the everything server read during the refused calls")
                .isLessThan(LESS_THAN_ANY_REQUEST);

        // Positive control: the same call with valid arguments reaches the server, which reads it and stores it.
        Map<String, Object> allowed = run("python", PY_ATTEMPT + """
                attempt("valid", lambda: tools.memory.create_entities(entities=[
                    {"name": "%s", "entityType": "probe", "observations": ["%s"]}]))
                """.formatted(valid, padding));
        assertThat(attempts(allowed).get("valid").path("ok").asBoolean()).as("valid call: %s", allowed.get("stdout"))
                .isTrue();
        assertThat(memory.bytesRead() - memoryAfterRefused).as("bytes the memory server read for the valid call")
                .isGreaterThan(padding.length());

        Map<String, Object> graph = run("python", "import json\nprint(json.dumps([e['name'] for e in tools.memory.read_graph()['entities']]))");
        assertThat((String) graph.get("stdout")).as("entities in the graph").contains(valid).doesNotContain(invalid);
        String file = Files.readString(memoryFile, StandardCharsets.UTF_8);
        assertThat(file).as("memory file %s", memoryFile).contains(valid).doesNotContain(invalid);
    }

    /** docs/bridge-protocol.md: invalid_arguments — "{@code data.errors} lists why"; the libraries expose it as {@code errors}. */
    @Test
    void schemaInvalidArguments_listTheViolationsInErrors_asDocumented() {
        Map<String, Object> r = run("python", PY_ATTEMPT + """
                attempt("stringForNumber", lambda: tools.everything.get_sum(a="x", b=1))
                """);
        JsonNode e = attempts(r).get("stringForNumber");
        assertThat(e.path("reason").asText()).isEqualTo("invalid_arguments");
        assertThat(e.path("errors").isArray()).as("ToolError.errors (data.errors) of %s", e).isTrue();
        assertThat(e.path("errors")).isNotEmpty();
        assertThat(e.path("errors").toString()).contains("a");
    }

    // ---------------------------------------------------------------- budget

    @Test
    void callBudget_fourthCallIsRefusedAndReportedAsLimitHit() {
        Map<String, Object> r = run("python", PY_ATTEMPT + """
                for i in range(4):
                    attempt("call%d" % i, lambda: tools.everything.get_sum(a=i, b=1))
                print("still running")
                """);
        Map<String, JsonNode> out = attempts(r);
        for (int i = 0; i < 3; i++) {
            assertThat(out.get("call" + i).path("ok").asBoolean()).as("call %d: %s", i, out.get("call" + i)).isTrue();
        }
        JsonNode fourth = out.get("call3");
        assertThat(fourth.path("reason").asText()).isEqualTo("budget_exhausted");
        assertThat(fourth.path("code").asInt()).isEqualTo(-32013);
        assertThat(fourth.path("message").asText()).contains("toolCalls", "3");
        assertThat((String) r.get("stdout")).as("the code goes on after the refusal").endsWith("still running\n");
        assertThat(r.get("exitCode")).isEqualTo(0);
        assertThat(r.get("limitHit")).isEqualTo("tool_calls");
        assertThat(calls(r)).extracting(c -> c.get("ok")).containsExactly(true, true, true, false);
    }

    @Test
    void argumentBudget_refusesALargeArgumentBeforeTheUpstreamSeesIt() {
        UpstreamProcess everything = UpstreamProcess.tagged(tag + "-everything");
        long before = everything.bytesRead();
        Map<String, Object> r = run("python", PY_ATTEMPT + """
                attempt("large", lambda: tools.everything.echo(message="m" * %d))
                """.formatted(ARGUMENT_BYTES + 100));
        long after = everything.bytesRead();
        JsonNode large = attempts(r).get("large");
        assertThat(large.path("reason").asText()).as("%s", large).isEqualTo("budget_exhausted");
        assertThat(large.path("message").asText()).contains("argumentBytes");
        assertThat(after - before).as("bytes the everything server read during the refused call")
                .isLessThan(LESS_THAN_ANY_REQUEST);

        Map<String, Object> small = run("python", PY_ATTEMPT + """
                attempt("small", lambda: tools.everything.echo(message="m" * 1000))
                """);
        assertThat(attempts(small).get("small").path("ok").asBoolean()).as("positive control: a call within budget")
                .isTrue();
        assertThat(everything.bytesRead() - after).isGreaterThan(1000);
    }

    // ---------------------------------------------------------------- audit

    @Test
    void audit_everyCallAllowedOrRefusedHasALine() throws IOException {
        Map<String, Object> r = run("python", PY_ATTEMPT + """
                attempt("ok", lambda: tools.call("everything.get-sum", {"a": 1, "b": 2}))
                attempt("denied", lambda: tools.call("memory.delete_entities", {"entityNames": ["x"]}))
                attempt("invalid", lambda: tools.call("everything.get-sum", {"a": "x", "b": 2}))
                attempt("unknown", lambda: tools.call("nosuchserver.anything", {}))
                attempt("budget", lambda: tools.call("everything.echo", {"message": "m" * %d}))
                """.formatted(ARGUMENT_BYTES + 100));
        String executionId = (String) r.get("executionId");
        assertThat(executionId).isNotBlank();
        assertThat(calls(r)).hasSize(5);

        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(auditFile, StandardCharsets.UTF_8)) {
            JsonNode n = JSON.readTree(line);
            if (executionId.equals(n.path("executionId").asText())) {
                lines.add(n);
            }
        }
        List<JsonNode> toolLines = lines.stream().filter(n -> n.path("event").asText().equals("tool_call")).toList();
        assertThat(toolLines).extracting(n -> n.path("tool").asText() + " " + n.path("outcome").asText())
                .containsExactly("everything.get-sum ok", "memory.delete_entities denied",
                        "everything.get-sum invalid_arguments", "nosuchserver.anything unknown_tool",
                        "everything.echo budget_exhausted");
        for (JsonNode n : toolLines) {
            assertThat(n.path("executionId").asText()).isEqualTo(executionId);
            assertThat(n.path("argumentBytes").isIntegralNumber()).as("argumentBytes in %s", n).isTrue();
            assertThat(n.path("durationMs").isIntegralNumber()).as("durationMs in %s", n).isTrue();
            assertThat(n.path("durationMs").asLong()).isGreaterThanOrEqualTo(0);
            assertThat(n.has("at")).isTrue();
        }
        assertThat(toolLines.get(0).path("argumentBytes").asInt()).as("{\"a\":1,\"b\":2}").isEqualTo(13);
        assertThat(toolLines.get(1).path("argumentBytes").asInt()).as("{\"entityNames\":[\"x\"]}").isEqualTo(21);
        assertThat(toolLines.get(4).path("argumentBytes").asInt()).isGreaterThan(ARGUMENT_BYTES);
        assertThat(toolLines.get(1).path("reason").asText()).as("the refusal's reason").contains("tools.deny");

        assertThat(lines).filteredOn(n -> n.path("event").asText().equals("execution")).singleElement()
                .satisfies(n -> assertThat(n.path("toolCalls").asInt()).isEqualTo(5));
    }

    // ---------------------------------------------------------------- confirmation (MCP elicitation)

    @Test
    void confirmation_clientWithoutElicitation_isDeclined() throws IOException {
        Path memory = dir.resolve("confirm-no-elicitation.jsonl");
        String name = "Unasked" + letters(10);
        try (SandboxServer plain = SandboxServer.start(confirmConfig(memory), Map.of())) {
            Map<String, Object> r = plain.execute(Map.of("language", "python", "code", PY_ATTEMPT + """
                    attempt("create", lambda: tools.memory.create_entities(entities=[
                        {"name": "%s", "entityType": "probe", "observations": []}]))
                    attempt("graph", lambda: [e["name"] for e in tools.memory.read_graph()["entities"]])
                    """.formatted(name)));
            Map<String, JsonNode> out = attempts(r);
            JsonNode create = out.get("create");
            assertThat(create.path("reason").asText()).as("%s", create).isEqualTo("declined");
            assertThat(create.path("code").asInt()).isEqualTo(-32014);
            assertThat(create.path("message").asText()).as("says the client cannot ask")
                    .contains("cannot ask").contains("elicitation");
            assertThat(out.get("graph").path("value").toString()).doesNotContain(name);
        }
        assertThat(Files.exists(memory) ? Files.readString(memory) : "").doesNotContain(name);
    }

    @Test
    void confirmation_approvedByTheUser_callGoesThrough() throws IOException {
        ElicitingClient client = eliciting();
        client.answer = request -> new ElicitResult(ElicitResult.Action.ACCEPT, Map.of("approve", true));
        client.requests.clear();
        String name = "Approved" + letters(10);
        String observation = "observed-" + letters(10);
        Map<String, Object> r = client.execute(PY_ATTEMPT + """
                attempt("create", lambda: tools.memory.create_entities(entities=[
                    {"name": "%s", "entityType": "probe", "observations": ["%s"]}]))
                attempt("graph", lambda: [e["name"] for e in tools.memory.read_graph()["entities"]])
                """.formatted(name, observation));
        Map<String, JsonNode> out = attempts(r);
        assertThat(out.get("create").path("ok").asBoolean()).as("%s", out.get("create")).isTrue();
        assertThat(out.get("graph").path("value").toString()).contains(name);
        assertThat(Files.readString(client.memoryFile)).contains(name);

        assertThat(client.requests).as("elicitation requests the client received").hasSize(1);
        String message = client.requests.get(0).message();
        assertThat(message).as("the question shown to the user").contains("memory.create_entities", name, observation);
        assertThat(calls(r)).extracting(c -> c.get("tool") + " " + c.get("ok"))
                .containsExactly("memory.create_entities true", "memory.read_graph true");
    }

    @ParameterizedTest
    @ValueSource(strings = {"DECLINE", "CANCEL", "ACCEPT_WITHOUT_APPROVAL"})
    void confirmation_notApproved_isRefusedAndNothingHappens(String answer) throws IOException {
        ElicitingClient client = eliciting();
        client.answer = request -> switch (answer) {
            case "DECLINE" -> new ElicitResult(ElicitResult.Action.DECLINE, null);
            case "CANCEL" -> new ElicitResult(ElicitResult.Action.CANCEL, null);
            default -> new ElicitResult(ElicitResult.Action.ACCEPT, Map.of("approve", false));
        };
        client.requests.clear();
        UpstreamProcess memory = UpstreamProcess.tagged(client.tag);
        String name = "Refused" + letters(10);
        long before = memory.bytesRead();
        Map<String, Object> r = client.execute(PY_ATTEMPT + """
                attempt("create", lambda: tools.memory.create_entities(entities=[
                    {"name": "%s", "entityType": "probe", "observations": []}]))
                """.formatted(name));
        long after = memory.bytesRead();
        JsonNode create = attempts(r).get("create");
        assertThat(create.path("reason").asText()).as("%s", create).isEqualTo("declined");
        assertThat(create.path("code").asInt()).isEqualTo(-32014);
        assertThat(client.requests).hasSize(1);
        assertThat(client.requests.get(0).message()).contains("memory.create_entities", name);
        assertThat(after - before).as("bytes the memory server read while the call was refused")
                .isLessThan(LESS_THAN_ANY_REQUEST);
        assertThat(calls(r)).singleElement().satisfies(c -> assertThat(c.get("ok")).isEqualTo(false));
        Map<String, Object> graph = client.execute(
                "import json\nprint(json.dumps([e['name'] for e in tools.memory.read_graph()['entities']]))");
        assertThat((String) graph.get("stdout")).as("graph; stderr: %s", graph.get("stderr")).startsWith("[")
                .doesNotContain(name);
        assertThat(Files.exists(client.memoryFile) ? Files.readString(client.memoryFile) : "").doesNotContain(name);
    }

    private static synchronized ElicitingClient eliciting() throws IOException {
        if (eliciting == null) {
            String elicitingTag = tag + "-confirm";
            Path memory = dir.resolve("confirm-eliciting.jsonl");
            eliciting = new ElicitingClient(confirmConfig(memory, elicitingTag), memory, elicitingTag);
        }
        return eliciting;
    }

    private static String confirmConfig(Path memoryFile) throws IOException {
        return confirmConfig(memoryFile, tag + "-unasked");
    }

    private static String confirmConfig(Path memoryFile, String memoryTag) throws IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("mcpServers", Map.of("memory", upstream("mcp-server-memory",
                Map.of(TAG_VARIABLE, memoryTag, "MEMORY_FILE_PATH", memoryFile.toString()))));
        config.put("tools", Map.of("allow", List.of("memory.*"), "confirm", List.of("memory.create_entities")));
        return JSON.writeValueAsString(config);
    }

    /**
     * The server started by {@link SandboxServer}, with a client that declares the elicitation capability and
     * answers every elicitation with {@link #answer}, remembering the requests.
     */
    private static final class ElicitingClient implements AutoCloseable {
        final List<ElicitFormRequest> requests = new CopyOnWriteArrayList<>();
        final Path memoryFile;
        final String tag;
        final SandboxServer server;
        final McpSyncClient client;
        volatile Function<ElicitFormRequest, ElicitResult> answer =
                request -> new ElicitResult(ElicitResult.Action.DECLINE, null);

        ElicitingClient(String configJson, Path memoryFile, String tag) {
            this.memoryFile = memoryFile;
            this.tag = tag;
            server = SandboxServer.builder().config(configJson).clientName("mcp-sandbox-it-eliciting")
                    .client(spec -> spec.capabilities(ClientCapabilities.builder().elicitation().build())
                            .elicitation(request -> {
                                requests.add(request);
                                return answer.apply(request);
                            }))
                    .start();
            client = server.client();
            awaitUpstreamsStarted(client);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> execute(String pythonCode) {
            var result = client.callTool(CallToolRequest.builder("execute_code")
                    .arguments(Map.of("language", "python", "code", pythonCode, "timeoutSeconds", 30)).build());
            return (Map<String, Object>) result.structuredContent();
        }

        @Override
        public void close() {
            server.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    /** An upstream server process of the server under test, found on the host by a variable in its environment. */
    private record UpstreamProcess(String tag, List<Long> pids) {
        static UpstreamProcess tagged(String tag) {
            String needle = TAG_VARIABLE + "=" + tag;
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            List<Long> pids = List.of();
            while (System.nanoTime() < end) {
                pids = processesWithEnvironmentEntry(needle);
                if (!pids.isEmpty()) {
                    break;
                }
                sleep(100);
            }
            assertThat(pids).as("host processes with %s in their environment", needle).isNotEmpty();
            return new UpstreamProcess(tag, pids);
        }

        /** Bytes the process has read so far (all of its reads, its stdin included): {@code rchar} in /proc/PID/io. */
        long bytesRead() {
            long total = 0;
            for (long pid : pids) {
                try {
                    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
                        if (line.startsWith("rchar:")) {
                            total += Long.parseLong(line.substring("rchar:".length()).strip());
                        }
                    }
                } catch (IOException e) {
                    throw new AssertionError("cannot read /proc/" + pid + "/io of upstream " + tag
                            + " (did it exit?)", e);
                }
            }
            return total;
        }
    }

    static List<Long> processesWithEnvironmentEntry(String entry) {
        byte[] wanted = entry.getBytes(StandardCharsets.UTF_8);
        List<Long> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String env = new String(Files.readAllBytes(p.resolve("environ")), StandardCharsets.UTF_8);
                    if (("\0" + env).contains("\0" + new String(wanted, StandardCharsets.UTF_8) + "\0")) {
                        found.add(Long.parseLong(name));
                    }
                } catch (IOException e) {
                    // gone, or not ours
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return found;
    }

    private static Map<String, Object> upstream(String bin, Map<String, String> env) {
        return Map.of("command", CodeModeIT.upstreamBin(bin).toString(), "args", List.of(), "env", env);
    }

    private static void requireUpstreams() {
        SandboxServer.requireOrSkip(Files.isExecutable(CodeModeIT.upstreamBin("mcp-server-everything"))
                        && Files.isExecutable(CodeModeIT.upstreamBin("mcp-server-memory")),
                "the pinned upstream MCP servers are not installed (bin/setup --test-deps)");
        SandboxServer.requireOrSkip(Files.isReadable(Path.of("/proc/self/io")), "/proc/PID/io is not readable here");
    }

    private static Map<String, Object> run(String language, String code) {
        Map<String, Object> r = server.execute(Map.of("language", language, "code", code, "timeoutSeconds", 30));
        assertThat(r).as("structured result").isNotNull();
        return r;
    }

    /** The JSON lines printed by {@code attempt(label, f)}, by label. */
    private static Map<String, JsonNode> attempts(Map<String, Object> r) {
        Map<String, JsonNode> byLabel = new LinkedHashMap<>();
        for (String line : ((String) r.get("stdout")).split("\n")) {
            if (line.startsWith("{")) {
                try {
                    JsonNode n = JSON.readTree(line);
                    byLabel.put(n.path("label").asText(), n);
                } catch (IOException e) {
                    throw new AssertionError("not JSON: " + line, e);
                }
            }
        }
        assertThat(byLabel).as("attempts printed; exit %s, stdout: %s\nstderr: %s", r.get("exitCode"), r.get("stdout"),
                r.get("stderr")).isNotEmpty();
        return byLabel;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> calls(Map<String, Object> r) {
        return (List<Map<String, Object>>) r.get("toolCalls");
    }

    private static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
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
