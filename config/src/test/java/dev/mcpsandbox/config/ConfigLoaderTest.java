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
    void readsTheForkServerAndRefusesWhatNoTemplateCanImport() throws Exception {
        ForkServerConfig fork = ConfigLoader.parse("""
                { "forkServer": { "preload": { "python": ["numpy", "matplotlib.pyplot"] }, "maxChildren": 50 } }
                """, "test").forkServer();
        assertThat(fork.preloadOf("python")).containsExactly("numpy", "matplotlib.pyplot");
        assertThat(fork.maxChildren()).isEqualTo(50);
        assertThat(fork.maxAgeSeconds()).isEqualTo(ForkServerConfig.DEFAULTS.maxAgeSeconds());
        assertThat(fork.enabled()).isEqualTo(ForkServerConfig.DEFAULTS.enabled());
        assertThatThrownBy(() -> ConfigLoader.parse("""
                { "forkServer": { "preload": { "ruby": ["json"], "python": ["os; rm -rf /"] }, "maxChildren": 0 } }
                """, "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath)
                        .contains("forkServer.maxChildren", "forkServer.preload.python[0]"));
    }

    @Test
    void readsAJavaScriptPreloadAndRefusesRelativePathsAndQuotes() throws Exception {
        ForkServerConfig fork = ConfigLoader.parse("""
                { "forkServer": { "preload": { "javascript": ["lodash", "@scope/pkg/sub", "node:http",
                                                              "/usr/local/lib/node_modules/x"] } } }
                """, "test").forkServer();
        assertThat(fork.preloadOf("javascript")).containsExactly("lodash", "@scope/pkg/sub", "node:http",
                "/usr/local/lib/node_modules/x");
        assertThat(fork.preloadOf("python")).isEmpty();
        assertThatThrownBy(() -> ConfigLoader.parse("""
                { "forkServer": { "preload": { "javascript": ["ok", "./mine", "a'); process.exit(1); ('"] } } }
                """, "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath)
                        .containsExactlyInAnyOrder("forkServer.preload.javascript[1]",
                                "forkServer.preload.javascript[2]"));
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
    void readsTheDockerBlockWithPerLanguageImages() throws Exception {
        ServerConfig config = ConfigLoader.parse("""
                { "backend": "gvisor",
                  "docker": { "host": "unix:///run/mcp-sandbox-docker.sock", "image": "mcp-sandbox/runtime:1",
                              "images": { "python": "registry.local:5000/py/runtime:3.11" },
                              "gvisorRuntime": "runsc-ptrace", "cpus": 0.5 } }
                """, "test");
        assertThat(config.backend()).isEqualTo(BackendKind.GVISOR);
        assertThat(config.docker().host()).isEqualTo("unix:///run/mcp-sandbox-docker.sock");
        assertThat(config.docker().imageFor("python")).isEqualTo("registry.local:5000/py/runtime:3.11");
        assertThat(config.docker().imageFor("bash")).isEqualTo("mcp-sandbox/runtime:1");
        assertThat(config.docker().gvisorRuntime()).isEqualTo("runsc-ptrace");
        assertThat(config.docker().cpus()).isEqualTo(0.5);
        assertThat(ServerConfig.defaults().docker()).isEqualTo(DockerConfig.DEFAULTS);
    }

    @Test
    void dockerProblemsNameTheirKeys() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                { "docker": { "host": "/var/run/docker.sock", "image": "Bad Image", "images": { "python": 3 },
                              "gvisorRuntime": "run sc", "cpus": 0, "registry": "x" } }
                """, "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath)
                        .containsExactlyInAnyOrder("docker.host", "docker.image", "docker.images.python",
                                "docker.gvisorRuntime", "docker.cpus", "docker.registry"));
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

    @Test
    void toolBudgetDefaultsWhenAbsent() throws Exception {
        assertThat(ConfigLoader.parse("{}", "test").tools().budget()).isEqualTo(ToolBudgetConfig.DEFAULTS);
        assertThat(ConfigLoader.parse("{ \"tools\": { \"allow\": [\"memory.*\"] } }", "test").tools().budget())
                .isEqualTo(ToolBudgetConfig.DEFAULTS);
        assertThat(ToolBudgetConfig.DEFAULTS).isEqualTo(new ToolBudgetConfig(1_048_576, 8_388_608, 60, 30));
    }

    @Test
    void readsToolBudget() throws Exception {
        ServerConfig config = ConfigLoader.parse("""
                { "tools": { "allow": ["memory.*"],
                             "budget": { "argumentBytes": 4096, "resultBytes": 16777216, "toolSeconds": 120 } } }
                """, "test");
        assertThat(config.tools().allow()).containsExactly("memory.*");
        assertThat(config.tools().budget()).isEqualTo(new ToolBudgetConfig(4096, 16_777_216, 120, 30));
    }

    @Test
    void reportsToolBudgetProblemsNamingTheirKeys() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                { "tools": { "budget": { "argumentBytes": 0, "resultBytes": "lots", "toolSeconds": 1.5,
                                         "callTimeoutSeconds": 100000, "calls": 3 } } }
                """, "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::keyPath)
                        .containsExactlyInAnyOrder("tools.budget.argumentBytes", "tools.budget.resultBytes",
                                "tools.budget.toolSeconds", "tools.budget.callTimeoutSeconds", "tools.budget.calls"));
        assertThatThrownBy(() -> ConfigLoader.parse("{ \"tools\": { \"budget\": { \"resultBytes\": 3000000000 } } }",
                "test"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("tools.budget.resultBytes: must be a whole number from 1 to 1073741824");
        assertThatThrownBy(() -> ConfigLoader.parse("{ \"tools\": { \"budget\": 5 } }", "test"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("tools.budget: must be a JSON object");
    }

    @Test
    void unknownKeyNamesItsPathAndTheKeysKnownThere() {
        assertThatThrownBy(() -> ConfigLoader.parse("{ \"limits\": { \"max\": { \"memoryMB\": 10 } } }", "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        new ConfigProblem("limits.max.memoryMB", "unknown key; known keys here: diskMb, fileSizeMb, "
                                + "memoryMb, outputBytes, processes, timeoutSeconds, toolCalls")));
    }

    @Test
    void wrongTypeNamesItsPathAndWhatItMustBe() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                { "execution": { "maxConcurrent": "four" }, "output": { "redactSecrets": "yes" },
                  "languages": { "python": { "command": ["/usr/bin/python3", 3] } }, "audit": [] }
                """, "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .containsExactlyInAnyOrder(
                                new ConfigProblem("execution.maxConcurrent", "must be a whole number from 1 to 1024, got \"four\""),
                                new ConfigProblem("output.redactSecrets", "must be true or false, got \"yes\""),
                                new ConfigProblem("languages.python.command[1]", "must be a string, got 3"),
                                new ConfigProblem("audit", "must be a JSON object, got array")));
    }

    @Test
    void twoBadKeysGiveTwoProblemsAndTheRestStillBinds() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                { "output": { "maxFiles": -1, "redactSecrets": false }, "docker": { "cpus": "x" },
                  "limits": { "timeoutSeconds": 90, "max": { "timeoutSeconds": 60 } } }
                """, "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::toString)
                        .containsExactly("output.maxFiles: must be a whole number from 0 to 10000, got -1",
                                "docker.cpus: must be a number of cores from 0.01 to 1024, got \"x\"",
                                "limits.timeoutSeconds: default 90 is above limits.max.timeoutSeconds (60)"));
    }

    @Test
    void schemaKeyForEditorsIsAcceptedAndIgnored() throws Exception {
        ServerConfig config = ConfigLoader.parse("""
                { "$schema": "./config.schema.json", "backend": "docker" }
                """, "test");
        assertThat(config.backend()).isEqualTo(BackendKind.DOCKER);
        assertThatThrownBy(() -> ConfigLoader.parse("{ \"$schema\": 5 }", "test"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("$schema: must be a string, got 5");
    }

    @Test
    void keysLeftOutKeepTheRecordsDefaults() throws Exception {
        ServerConfig config = ConfigLoader.parse("""
                { "execution": { "maxConcurrent": 3, "workRoot": "/srv/work" }, "docker": { "cpus": 2 },
                  "languages": { "bash": { "enabled": false } }, "pool": { "python": 4 } }
                """, "test");
        ExecutionConfig d = ExecutionConfig.defaults();
        assertThat(config.execution()).isEqualTo(new ExecutionConfig(3, d.queueSize(), d.maxCodeBytes(),
                d.maxInputFilesBytes(), java.util.Optional.of(Path.of("/srv/work")), d.sandboxUidBase(),
                d.compileTimeoutSeconds(), d.buildCacheMb()));
        assertThat(config.docker()).isEqualTo(new DockerConfig(DockerConfig.DEFAULTS.host(), DockerConfig.DEFAULTS.image(),
                java.util.Map.of(), DockerConfig.DEFAULTS.gvisorRuntime(), 2.0));
        assertThat(config.language("bash")).isEqualTo(new LanguageConfig(false, java.util.List.of(), java.util.List.of()));
        assertThat(config.language("python")).isEqualTo(LanguageConfig.DEFAULT);
        // A pool replaces the default pool instead of adding to it.
        assertThat(config.pool().sizes()).isEqualTo(java.util.Map.of("python", 4));
    }

    @Test
    void upstreamServersKeepTheClaudeDesktopFormatAndTheirOrder() throws Exception {
        ServerConfig config = ConfigLoader.parse("""
                { "mcpServers": {
                    "zeta":  { "command": "npx", "args": ["-y", "x"], "env": { "K": "v" }, "type": "stdio" },
                    "alpha": { "type": "http", "url": "https://tools.example.com/mcp", "headers": { "A": "b" } },
                    "off":   { "disabled": true } } }
                """, "test");
        assertThat(config.mcpServers()).containsExactly(
                java.util.Map.entry("zeta", new UpstreamServer.Stdio("zeta", "npx", java.util.List.of("-y", "x"),
                        java.util.Map.of("K", "v"))),
                java.util.Map.entry("alpha", new UpstreamServer.Http("alpha",
                        java.net.URI.create("https://tools.example.com/mcp"), java.util.Map.of("A", "b"))));
        assertThatThrownBy(() -> ConfigLoader.parse("""
                { "mcpServers": { "a b": { "command": "x" }, "ftp": { "url": "ftp://host/mcp" },
                                  "both": { "command": "x", "url": "http://h/mcp" }, "blank": { "command": " " } } }
                """, "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigProblem::toString)
                        .containsExactlyInAnyOrder(
                                "mcpServers.a b: server names may hold only letters, digits, '_' and '-' (1-64 characters)",
                                "mcpServers.ftp.url: must be an http:// or https:// URL, got \"ftp://host/mcp\"",
                                "mcpServers.both: give either \"command\" (a stdio server) or \"url\" (a Streamable HTTP server)",
                                "mcpServers.blank.command: must be a non-empty string, got \" \""));
    }

    @Test
    void topLevelMustBeAnObject() {
        assertThatThrownBy(() -> ConfigLoader.parse("[1, 2]", "test"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.problems())
                        .containsExactly(new ConfigProblem("(top level)", "must be a JSON object, got array")));
    }
}
