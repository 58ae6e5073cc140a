package dev.mcpsandbox.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {

    @Test
    void emptyObjectGivesDefaults() throws Exception {
        ServerConfig config = ConfigLoader.parse("{}", "test");
        assertThat(config.limits()).isEqualTo(LimitsConfig.DEFAULTS);
        assertThat(config.backend()).isEqualTo(BackendKind.BUBBLEWRAP);
        assertThat(config.output().redactSecrets()).isTrue();
        assertThat(config.mcpServers()).isEmpty();
    }

    @Test
    void readsTheDesignExample() throws Exception {
        ServerConfig config = ConfigLoader.parse("""
                {
                  "mcpServers": { "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] },
                                  "remote": { "url": "http://127.0.0.1:9000/mcp", "headers": {"Authorization": "Bearer x"} } },
                  "tools":   { "allow": ["memory.*"], "deny": ["*.delete_*"], "confirm": ["memory.create_entities"] },
                  "limits":  { "timeoutSeconds": 30, "memoryMb": 512, "processes": 64, "outputBytes": 1048576,
                               "fileSizeMb": 16, "toolCalls": 200, "max": { "timeoutSeconds": 60 } },
                  "backend": "bubblewrap",
                  "pool":    { "python": 2, "javascript": 1 },
                  "languages": { "python": { "command": ["/usr/bin/python3"] } },
                  "audit": { "file": "/var/log/mcp-sandbox/audit.jsonl" }
                }
                """, "test");
        assertThat(config.mcpServers().get("memory")).isInstanceOf(UpstreamServer.Stdio.class);
        assertThat(config.mcpServers().get("remote")).isInstanceOf(UpstreamServer.Http.class);
        assertThat(config.tools().deny()).containsExactly("*.delete_*");
        assertThat(config.limits().maxima().timeoutSeconds()).isEqualTo(60);
        assertThat(config.pool().sizes()).containsEntry("python", 2);
        assertThat(config.language("python").command()).containsExactly("/usr/bin/python3");
        assertThat(config.audit().file()).contains(Path.of("/var/log/mcp-sandbox/audit.jsonl"));
    }

    @Test
    void reportsEveryProblemNamingItsKey() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                { "limits": { "memoryMB": 10, "timeoutSeconds": -1 }, "backend": "vm", "colour": 1,
                  "mcpServers": { "x": { "args": [] } } }
                """, "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath)
                        .containsExactlyInAnyOrder("limits.memoryMB", "limits.timeoutSeconds", "backend", "colour",
                                "mcpServers.x"));
    }

    @Test
    void refusesDefaultAboveExplicitMaximum() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                { "limits": { "timeoutSeconds": 90, "max": { "timeoutSeconds": 60 } } }
                """, "test"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("limits.timeoutSeconds");
    }

    @Test
    void defaultAboveBuiltInMaximumRaisesTheMaximum() throws Exception {
        ServerConfig config = ConfigLoader.parse("{ \"limits\": { \"timeoutSeconds\": 600 } }", "test");
        assertThat(config.limits().maxima().timeoutSeconds()).isEqualTo(600);
    }

    @Test
    void reportsMalformedJsonWithPosition() {
        assertThatThrownBy(() -> ConfigLoader.parse("{ \"limits\": ", "test"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("not valid JSON at line 1");
    }

    @Test
    void refusesRelativeInterpreterPath() {
        assertThatThrownBy(() -> ConfigLoader.parse("{ \"languages\": { \"python\": { \"command\": [\"python3\"] } } }", "test"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("languages.python.command[0]");
    }
}
