package dev.mcpsandbox.tools.registry;

import dev.mcpsandbox.tools.ToolName;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamMappingTest {

    // ---------------------------------------------------------------- results

    @Test
    void structuredContentIsTheValueEvenWhenTheTextIsJson() {
        var r = McpSchema.CallToolResult.builder()
                .addTextContent("{\"entities\": []}")
                .structuredContent(Map.of("entities", List.of(Map.of("name", "alice"))))
                .build();

        UpstreamResult u = UpstreamMapping.result(r);

        assertThat(u.value()).isEqualTo(Map.of("entities", List.of(Map.of("name", "alice"))));
        assertThat(u.text()).isEqualTo("{\"entities\": []}");
        assertThat(u.isError()).isFalse();
        assertThat(u.resultBytes()).isEqualTo("{\"entities\":[{\"name\":\"alice\"}]}".length());
    }

    @Test
    void jsonTextIsParsed() {
        assertThat(UpstreamMapping.result(text("{\"a\": 1, \"b\": [true, null, \"x\"]}")).value())
                .isEqualTo(mapOf("a", 1, "b", listOf(true, null, "x")));
        assertThat(UpstreamMapping.result(text("  [1, 2.5]\n")).value()).isEqualTo(List.of(1, 2.5));
        assertThat(UpstreamMapping.result(text("42")).value()).isEqualTo(42);
        assertThat(UpstreamMapping.result(text("\"quoted\"")).value()).isEqualTo("quoted");
        assertThat(UpstreamMapping.result(text("null")).value()).isNull();
    }

    @Test
    void plainTextStaysText() {
        UpstreamResult u = UpstreamMapping.result(text("The sum of 1 and 2 is 3."));
        assertThat(u.value()).isEqualTo("The sum of 1 and 2 is 3.");
        assertThat(u.text()).isEqualTo("The sum of 1 and 2 is 3.");
        assertThat(u.resultBytes()).isEqualTo("\"The sum of 1 and 2 is 3.\"".length());
    }

    @Test
    void textThatOnlyStartsLikeJsonStaysText() {
        assertThat(UpstreamMapping.result(text("{\"a\": 1} and more")).value()).isEqualTo("{\"a\": 1} and more");
        assertThat(UpstreamMapping.result(text("[1, 2")).value()).isEqualTo("[1, 2");
        assertThat(UpstreamMapping.result(text("true story")).value()).isEqualTo("true story");
    }

    @Test
    void severalTextItemsAreJoinedByNewlinesAndOtherContentIsNotText() {
        var r = McpSchema.CallToolResult.builder()
                .addTextContent("first")
                .addContent(new McpSchema.ImageContent(null, "aGVsbG8=", "image/png"))
                .addTextContent("second")
                .build();
        UpstreamResult u = UpstreamMapping.result(r);
        assertThat(u.text()).isEqualTo("first\nsecond");
        assertThat(u.value()).isEqualTo("first\nsecond");
    }

    @Test
    void noTextAndNoStructuredContentIsNull() {
        var r = McpSchema.CallToolResult.builder()
                .addContent(new McpSchema.ImageContent(null, "aGVsbG8=", "image/png"))
                .build();
        UpstreamResult u = UpstreamMapping.result(r);
        assertThat(u.value()).isNull();
        assertThat(u.text()).isEmpty();
        assertThat(u.resultBytes()).isEqualTo(4);
    }

    @Test
    void isErrorIsTheUpstreamsOwn() {
        var r = McpSchema.CallToolResult.builder().addTextContent("MCP error -32602: Tool nope not found")
                .isError(true).build();
        UpstreamResult u = UpstreamMapping.result(r);
        assertThat(u.isError()).isTrue();
        assertThat(u.value()).isEqualTo("MCP error -32602: Tool nope not found");
    }

    @Test
    void jsonRpcErrorBecomesAnErrorResultWithItsMessage() {
        McpError e = McpError.builder(-32602).message("Unknown tool: nope").build();
        UpstreamResult u = UpstreamMapping.error(e);
        assertThat(u.isError()).isTrue();
        assertThat(u.text()).isEqualTo("Unknown tool: nope");
        assertThat(u.value()).isEqualTo("Unknown tool: nope");

        McpError withData = McpError.builder(-32603).message("Internal error").data("disk full").build();
        assertThat(UpstreamMapping.error(withData).text()).isEqualTo("Internal error: disk full");
    }

    @Test
    void resultBytesCountUtf8() {
        UpstreamResult u = UpstreamMapping.result(text("héllo"));
        assertThat(u.resultBytes()).isEqualTo("\"héllo\"".getBytes(StandardCharsets.UTF_8).length);
    }

    // ---------------------------------------------------------------- descriptors

    @Test
    void readOnlyToolIsNotDestructive() {
        ToolDescriptor d = UpstreamMapping.descriptor("everything", tool("get-sum",
                new McpSchema.ToolAnnotations(null, true, null, true, false, null)));
        assertThat(d.name()).isEqualTo(new ToolName("everything", "get-sum"));
        assertThat(d.readOnly()).isTrue();
        assertThat(d.destructive()).isFalse();
    }

    @Test
    void toolWithoutAnnotationsIsAssumedDestructive() {
        ToolDescriptor d = UpstreamMapping.descriptor("s", tool("write", null));
        assertThat(d.readOnly()).isFalse();
        assertThat(d.destructive()).isTrue();
    }

    @Test
    void writingToolWithoutDestructiveHintIsDestructive() {
        ToolDescriptor d = UpstreamMapping.descriptor("s", tool("write",
                new McpSchema.ToolAnnotations(null, false, null, null, null, null)));
        assertThat(d.destructive()).isTrue();
    }

    @Test
    void explicitDestructiveHintIsKept() {
        assertThat(UpstreamMapping.descriptor("s", tool("create",
                new McpSchema.ToolAnnotations(null, false, false, false, false, null))).destructive()).isFalse();
        assertThat(UpstreamMapping.descriptor("s", tool("delete",
                new McpSchema.ToolAnnotations(null, false, true, true, false, null))).destructive()).isTrue();
        // destructiveHint only means something for tools that are not read-only
        assertThat(UpstreamMapping.descriptor("s", tool("odd",
                new McpSchema.ToolAnnotations(null, true, true, null, null, null))).destructive()).isFalse();
    }

    @Test
    void titleDescriptionAndSchemasAreMapped() {
        Map<String, Object> input = new HashMap<>();
        input.put("type", "object");
        input.put("properties", Map.of("a", Map.of("type", "number")));
        input.put("default", null); // JSON null inside a schema must not break the descriptor
        McpSchema.Tool t = McpSchema.Tool.builder().name("get-sum").title("Get Sum Tool").description("Adds")
                .inputSchema(input).outputSchema(Map.of("type", "object")).build();

        ToolDescriptor d = UpstreamMapping.descriptor("everything", t);

        assertThat(d.title()).isEqualTo("Get Sum Tool");
        assertThat(d.description()).isEqualTo("Adds");
        assertThat(d.inputSchema()).containsEntry("properties", Map.of("a", Map.of("type", "number")))
                .containsEntry("default", null);
        assertThat(d.outputSchema()).contains(Map.of("type", "object"));
    }

    @Test
    void missingTitleFallsBackToAnnotationTitleThenName() {
        assertThat(UpstreamMapping.descriptor("s", tool("t1",
                new McpSchema.ToolAnnotations("Annotated", null, null, null, null, null))).title()).isEqualTo("Annotated");
        McpSchema.Tool bare = McpSchema.Tool.builder().name("t2").inputSchema(Map.of("type", "object")).build();
        ToolDescriptor d = UpstreamMapping.descriptor("s", bare);
        assertThat(d.title()).isEqualTo("t2");
        assertThat(d.description()).isEmpty();
        assertThat(d.outputSchema()).isEmpty();
    }

    @Test
    void toolsWithUnusableNamesAreLeftOutAndReported() {
        List<String> rejected = new ArrayList<>();
        List<ToolDescriptor> ds = UpstreamMapping.descriptors("s",
                List.of(tool("ok", null), tool("x".repeat(200), null)), rejected);
        assertThat(ds).extracting(d -> d.name().tool()).containsExactly("ok");
        assertThat(rejected).hasSize(1);
    }

    // ---------------------------------------------------------------- helpers

    private static McpSchema.CallToolResult text(String s) {
        return McpSchema.CallToolResult.builder().addTextContent(s).build();
    }

    private static McpSchema.Tool tool(String name, McpSchema.ToolAnnotations annotations) {
        return McpSchema.Tool.builder().name(name).description("d").inputSchema(Map.of("type", "object"))
                .annotations(annotations).build();
    }

    private static Map<String, Object> mapOf(Object... kv) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static List<Object> listOf(Object... items) {
        return new ArrayList<>(java.util.Arrays.asList(items));
    }
}
