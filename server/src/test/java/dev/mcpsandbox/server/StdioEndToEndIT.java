package dev.mcpsandbox.server;

import io.modelcontextprotocol.spec.McpSchema.Tool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

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
}
