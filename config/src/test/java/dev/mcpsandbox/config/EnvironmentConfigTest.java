package dev.mcpsandbox.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnvironmentConfigTest {
    @TempDir
    Path dir;

    @Test
    void configJsonVariable_standsInForTheFile() throws Exception {
        ServerConfig config = ConfigLoader.load(Optional.empty(),
                Map.of("MCP_SANDBOX_CONFIG_JSON", "{\"backend\": \"docker\", \"limits\": {\"timeoutSeconds\": 7}}"));
        assertThat(config.backend()).isEqualTo(BackendKind.DOCKER);
        assertThat(config.limits().defaults().timeoutSeconds()).isEqualTo(7);
    }

    @Test
    void singleVariables_setTheirKeys_overTheJson() throws Exception {
        ServerConfig config = ConfigLoader.load(Optional.empty(), Map.of(
                "MCP_SANDBOX_CONFIG_JSON", "{\"backend\": \"gvisor\", \"docker\": {\"cpus\": 2}}",
                "MCP_SANDBOX_BACKEND", "docker",
                "MCP_SANDBOX_DOCKER_HOST", "unix:///run/engine.sock",
                "MCP_SANDBOX_WORK_ROOT", "/var/tmp/work",
                "MCP_SANDBOX_TIMEOUT_SECONDS", "12"));
        assertThat(config.backend()).isEqualTo(BackendKind.DOCKER);
        assertThat(config.docker().host()).isEqualTo("unix:///run/engine.sock");
        assertThat(config.docker().cpus()).isEqualTo(2.0);
        assertThat(config.execution().workRoot()).contains(Path.of("/var/tmp/work"));
        assertThat(config.limits().defaults().timeoutSeconds()).isEqualTo(12);
    }

    @Test
    void aBadVariableValue_isReportedUnderItsKey() {
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("MCP_SANDBOX_TIMEOUT_SECONDS", "soon")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("limits.timeoutSeconds");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), Map.of("MCP_SANDBOX_BACKEND", "chroot")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("backend");
    }

    @Test
    void references_inServerEnvAndHeaders_areExpanded() throws Exception {
        Path file = Files.writeString(dir.resolve("config.json"), """
                {"mcpServers": {
                   "memory": {"command": "npx", "args": ["${NOT_EXPANDED_IN_ARGS}"], "env": {"TOKEN": "${MEMORY_TOKEN}"}},
                   "remote": {"url": "http://127.0.0.1:9000/mcp", "headers": {"Authorization": "Bearer ${REMOTE_TOKEN}"}}}}
                """);
        ServerConfig config = ConfigLoader.load(Optional.of(file), Map.of("MEMORY_TOKEN", "m-secret", "REMOTE_TOKEN", "r-secret"));
        UpstreamServer.Stdio memory = (UpstreamServer.Stdio) config.mcpServers().get("memory");
        UpstreamServer.Http remote = (UpstreamServer.Http) config.mcpServers().get("remote");
        assertThat(memory.env()).containsEntry("TOKEN", "m-secret");
        assertThat(memory.args()).containsExactly("${NOT_EXPANDED_IN_ARGS}");
        assertThat(remote.headers()).containsEntry("Authorization", "Bearer r-secret");
    }

    @Test
    void aReferenceToAnUnsetVariable_isAProblemNamingKeyAndVariable() throws Exception {
        Path file = Files.writeString(dir.resolve("config.json"),
                "{\"mcpServers\": {\"remote\": {\"url\": \"http://127.0.0.1:9000/mcp\", \"headers\": {\"X-Key\": \"${MISSING_KEY}\"}}}}");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(file), Map.of()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("mcpServers.remote.headers.X-Key").hasMessageContaining("${MISSING_KEY}");
    }

    @Test
    void fileAndConfigJsonVariable_together_areRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("config.json"), "{}");
        assertThatThrownBy(() -> ConfigLoader.load(Optional.of(file), Map.of("MCP_SANDBOX_CONFIG_JSON", "{}")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("use one");
    }

    @Test
    void emptyObject_checkedAndBound_givesTheDefaults() throws Exception {
        // Without an environment {} goes through the schema and the binding; load() with nothing configured
        // returns the defaults without them, and must not differ.
        assertThat(ConfigLoader.parse("{}", "test")).isEqualTo(ServerConfig.defaults());
        assertThat(ConfigLoader.parse("{\"limits\": {}}", "test", Map.of())).isEqualTo(ServerConfig.defaults());
    }

    @Test
    void noFileNoVariables_giveTheDefaults() throws Exception {
        assertThat(ConfigLoader.load(Optional.empty(), Map.of("HOME", "/root"))).isEqualTo(ServerConfig.defaults());
    }
}
