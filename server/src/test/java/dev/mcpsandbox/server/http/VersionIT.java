package dev.mcpsandbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.server.SandboxServer;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The built jar reports the pom's version (failsafe passes it as {@code mcpSandbox.version}) everywhere it says one. */
class VersionIT {
    private static String pomVersion() {
        String version = System.getProperty("mcpSandbox.version", "");
        assertThat(version).as("-DmcpSandbox.version (set by the server pom's failsafe configuration)").isNotBlank();
        return version;
    }

    @Test
    void versionOption_printsThePomVersion() throws Exception {
        Process p = new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar",
                SandboxServer.jar().toString(), "--version")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(out.strip()).isEqualTo("mcp-sandbox " + pomVersion());
    }

    @Test
    void initialize_reportsThePomVersionAsServerInfo() {
        try (SandboxServer server = SandboxServer.start()) {
            assertThat(server.client().getServerInfo().name()).isEqualTo("mcp-sandbox");
            assertThat(server.client().getServerInfo().version()).isEqualTo(pomVersion());
        }
    }

    @Test
    void healthz_reportsThePomVersion() throws Exception {
        try (HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0")) {
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(server.uri("/healthz")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            JsonNode body = new ObjectMapper().readTree(health.body());
            assertThat(body.path("version").asText()).isEqualTo(pomVersion());
        }
    }
}
