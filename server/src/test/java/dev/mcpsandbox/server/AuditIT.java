package dev.mcpsandbox.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AuditIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void writesOneJsonLinePerExecutionWithHashNotCode(@TempDir Path dir) throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        String code = "print('secret-code-body')";
        try (SandboxServer server = SandboxServer.start("{\"audit\":{\"file\":\"" + audit + "\"}}", Map.of())) {
            server.execute("python", code);
            server.execute(Map.of("language", "python", "code", "import time\ntime.sleep(5)", "timeoutSeconds", 1));
            server.execute("cobol", "DISPLAY 'HI'.");
        }
        List<String> lines = Files.readAllLines(audit);
        assertThat(lines).hasSize(3);
        assertThat(String.join("\n", lines)).doesNotContain("secret-code-body");

        JsonNode first = JSON.readTree(lines.get(0));
        assertThat(first.path("event").asText()).isEqualTo("execution");
        assertThat(first.path("language").asText()).isEqualTo("python");
        assertThat(first.path("outcome").asText()).isEqualTo("exited");
        assertThat(first.path("detail").asText()).isEqualTo("0");
        assertThat(first.path("codeBytes").asInt()).isEqualTo(code.length());
        assertThat(first.path("codeSha256").asText()).isEqualTo(HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(code.getBytes(StandardCharsets.UTF_8))));
        assertThat(first.path("limits").path("memoryMb").asInt()).isEqualTo(512);
        assertThat(first.path("executionId").asText()).isNotBlank();
        assertThat(first.has("durationMs")).isTrue();

        JsonNode second = JSON.readTree(lines.get(1));
        assertThat(second.path("outcome").asText()).isEqualTo("limit");
        assertThat(second.path("detail").asText()).isEqualTo("timeout");
        assertThat(second.path("limits").path("timeoutSeconds").asInt()).isEqualTo(1);

        JsonNode third = JSON.readTree(lines.get(2));
        assertThat(third.path("outcome").asText()).isEqualTo("rejected");
        assertThat(third.path("detail").asText()).contains("unknown language");
    }
}
