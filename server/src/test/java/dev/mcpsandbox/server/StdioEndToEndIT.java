package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceRequest;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceResult;
import io.modelcontextprotocol.spec.McpSchema.ResourceLink;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StdioEndToEndIT {
    private static SandboxServer server;

    @BeforeAll
    static void start() {
        server = SandboxServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void listsTheThreeToolsWithSchemas() {
        assertThat(server.client().listTools().tools()).extracting(Tool::name)
                .contains("execute_code", "validate_code", "list_languages");
        Tool execute = server.client().listTools().tools().stream().filter(t -> t.name().equals("execute_code"))
                .findFirst().orElseThrow();
        assertThat(execute.outputSchema()).containsKey("properties");
    }

    @Test
    void runsPythonAndReturnsStdout() {
        Map<String, Object> r = server.execute("python", "print(6*7)");
        assertThat(r.get("stdout")).isEqualTo("42\n");
        assertThat(r.get("exitCode")).isEqualTo(0);
    }

    // A large output reaches the model once: the structured content carries all of it, the text a head and a
    // tail with a link, and the link reads the whole stream back.

    @Test
    void aLongStdoutIsSentOnceInFull_andPreviewedWithALinkInTheText() throws Exception {
        CallToolResult result = server.call("execute_code", Map.of("language", "python", "code",
                "for i in range(20000):\n    print(f'line {i:05d} ' + 'x' * 40)\nprint('the-end')"));
        @SuppressWarnings("unchecked")
        String stdout = (String) ((Map<String, Object>) result.structuredContent()).get("stdout");
        assertThat(stdout.length()).isEqualTo(20000 * 52 + 8);
        assertThat(stdout.endsWith("the-end\n")).isTrue();

        String text = ((TextContent) result.content().get(0)).text();
        assertThat(text).contains("line 00000").contains("the-end").doesNotContain("line 10000")
                .contains("characters not shown");
        assertThat(text.length()).isLessThan(12_000);
        List<ResourceLink> links = result.content().stream().filter(ResourceLink.class::isInstance)
                .map(ResourceLink.class::cast).toList();
        assertThat(links).hasSize(1);
        assertThat(text).contains(links.get(0).uri());

        // The answer on the wire holds the output about once, not twice.
        int wireBytes = new ObjectMapper().writeValueAsBytes(result).length;
        assertThat(wireBytes).isLessThan((int) (stdout.length() * 1.1));

        ReadResourceResult read = server.client().readResource(new ReadResourceRequest(links.get(0).uri()));
        assertThat(((TextResourceContents) read.contents().get(0)).text().equals(stdout)).as("the whole stdout").isTrue();
    }

    @Test
    void aShortOutputHasNoLink() {
        CallToolResult result = server.call("execute_code", Map.of("language", "python", "code", "print(42)"));
        assertThat(result.content()).noneMatch(ResourceLink.class::isInstance);
        assertThat(((TextContent) result.content().get(0)).text()).contains("42");
    }

    @Test
    void anOutputNobodyWasGiven_cannotBeRead() {
        assertThatThrownBy(() -> server.client().readResource(new ReadResourceRequest(
                "mcp-sandbox://outputs/00000000000000000000000000000000/stdout")))
                .isInstanceOf(McpError.class).hasMessageContaining("no longer kept");
    }
}