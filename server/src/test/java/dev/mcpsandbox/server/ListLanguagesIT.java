package dev.mcpsandbox.server;

import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code list_languages}: what runs here, with versions matching the host's runtimes, and the limits. */
@SuppressWarnings("unchecked")
class ListLanguagesIT {
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

    private static Map<String, Object> listLanguages(SandboxServer s) {
        CallToolResult result = s.call("list_languages", Map.of());
        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(result.structuredContent()).isNotNull();
        return (Map<String, Object>) result.structuredContent();
    }

    private static Optional<Map<String, Object>> language(Map<String, Object> listing, String id) {
        return ((List<Map<String, Object>>) listing.get("languages")).stream().filter(l -> id.equals(l.get("id")))
                .findFirst();
    }

    private static String hostOutput(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void listsPythonJavascriptAndBashWithVersionsAndExtensions() {
        Map<String, Object> listing = listLanguages(server);
        assertThat((List<Map<String, Object>>) listing.get("languages")).extracting(l -> l.get("id"))
                .contains("python", "javascript", "bash");
        for (String id : List.of("python", "javascript", "bash")) {
            Map<String, Object> l = language(listing, id).orElseThrow();
            assertThat((String) l.get("version")).as("%s version", id).isNotBlank().containsPattern("^\\d+\\.\\d+");
            assertThat((String) l.get("extension")).as("%s extension", id).isNotBlank();
        }
        assertThat(language(listing, "python").orElseThrow().get("extension")).isEqualTo("py");
        assertThat(language(listing, "bash").orElseThrow().get("extension")).isEqualTo("sh");
        assertThat((String) language(listing, "javascript").orElseThrow().get("extension")).isIn("mjs", "js");
        assertThat((List<?>) listing.get("unavailable")).isEmpty();
    }

    @Test
    void pythonVersionMatchesTheHostInterpreter() throws Exception {
        String host = hostOutput("/usr/bin/python3", "--version"); // "Python 3.11.2"
        String version = (String) language(listLanguages(server), "python").orElseThrow().get("version");
        assertThat(host).endsWith(" " + version);
    }

    @Test
    void javascriptVersionMatchesTheHostNode() throws Exception {
        String binary = java.nio.file.Files.exists(java.nio.file.Path.of("/usr/bin/node")) ? "/usr/bin/node"
                : "/usr/local/bin/node";
        String host = hostOutput(binary, "--version"); // "v20.20.2"
        String version = (String) language(listLanguages(server), "javascript").orElseThrow().get("version");
        assertThat(host).isEqualTo("v" + version);
    }

    @Test
    void bashVersionMatchesTheHostShell() throws Exception {
        String host = hostOutput("/bin/bash", "-c", "echo ${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}.${BASH_VERSINFO[2]}");
        String version = (String) language(listLanguages(server), "bash").orElseThrow().get("version");
        assertThat(version).startsWith(host);
    }

    @Test
    void limitsCarryDefaultsAndMaximaForEveryKey() {
        Map<String, Object> limits = (Map<String, Object>) listLanguages(server).get("limits");
        Map<String, Object> defaults = (Map<String, Object>) limits.get("defaults");
        Map<String, Object> maxima = (Map<String, Object>) limits.get("maxima");
        assertThat(defaults).containsKeys("timeoutSeconds", "memoryMb", "processes", "outputBytes");
        assertThat(maxima).containsKeys("timeoutSeconds", "memoryMb", "processes", "outputBytes");
        assertThat(defaults.get("timeoutSeconds")).isEqualTo(30);
        assertThat(maxima.get("timeoutSeconds")).isEqualTo(300);
        for (String key : defaults.keySet()) {
            assertThat(((Number) defaults.get(key)).longValue()).as("default %s <= maximum", key)
                    .isLessThanOrEqualTo(((Number) maxima.get(key)).longValue());
        }
    }

    @Test
    void listedMaximumIsTheOneEnforced() {
        Map<String, Object> maxima = (Map<String, Object>) ((Map<String, Object>) listLanguages(server).get("limits"))
                .get("maxima");
        long maxTimeout = ((Number) maxima.get("timeoutSeconds")).longValue();
        CallToolResult atMax = server.call("execute_code", Map.of("language", "python", "code", "print('ok')",
                "timeoutSeconds", maxTimeout));
        assertThat(atMax.isError()).as(SandboxServer.text(atMax)).isFalse();
        CallToolResult over = server.call("execute_code", Map.of("language", "python", "code", "print('ok')",
                "timeoutSeconds", maxTimeout + 1));
        assertThat(over.isError()).isTrue();
        assertThat(SandboxServer.text(over)).contains("timeoutSeconds").contains(Long.toString(maxTimeout));
    }

    @Test
    void everyListedLanguageActuallyRuns() {
        for (Map<String, Object> l : (List<Map<String, Object>>) listLanguages(server).get("languages")) {
            String id = (String) l.get("id");
            String code = switch (id) {
                case "python" -> "print('ran')";
                case "javascript" -> "console.log('ran')";
                case "bash" -> "echo ran";
                default -> null;
            };
            if (code != null) {
                assertThat(server.execute(id, code).get("stdout")).as(id).isEqualTo("ran\n");
            }
        }
    }

    @Test
    void aDisabledLanguageIsListedAsUnavailableAndRefused() {
        try (SandboxServer noBash = SandboxServer.start("{\"languages\":{\"bash\":{\"enabled\":false}}}", Map.of())) {
            Map<String, Object> listing = listLanguages(noBash);
            assertThat(language(listing, "bash")).isEmpty();
            assertThat(language(listing, "python")).isPresent();
            List<Map<String, Object>> unavailable = (List<Map<String, Object>>) listing.get("unavailable");
            assertThat(unavailable).anySatisfy(u -> {
                assertThat(u.get("id")).isEqualTo("bash");
                assertThat((String) u.get("reason")).isNotBlank();
            });

            CallToolResult result = noBash.call("execute_code", Map.of("language", "bash", "code", "echo RAN-IT"));
            assertThat(result.isError()).isTrue();
            String text = SandboxServer.text(result);
            assertThat(text).contains("bash").containsIgnoringCase("not available").doesNotContain("RAN-IT");
            assertThat(noBash.execute("python", "print(1)").get("stdout")).isEqualTo("1\n");
        }
    }
}
