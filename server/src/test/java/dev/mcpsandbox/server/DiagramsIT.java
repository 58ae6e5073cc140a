package dev.mcpsandbox.server;

import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Graphviz and Mermaid diagrams come back as images: PNG by default, SVG on request; errors carry the line. */
@SuppressWarnings("unchecked")
class DiagramsIT {
    private static final String FLOWCHART = """
            flowchart TD
                A[Start] --> B{Is it?}
                B -->|Yes| C[OK]
                B -->|No| D[End]
            """;
    private static SandboxServer server;
    private static List<String> available;

    @BeforeAll
    static void start() {
        server = SandboxServer.start();
        Map<String, Object> languages = (Map<String, Object>) server.call("list_languages", Map.of()).structuredContent();
        available = ((List<Map<String, Object>>) languages.get("languages")).stream()
                .map(l -> (String) l.get("id")).toList();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static void requireLanguage(String id) {
        SandboxServer.requireOrSkip(available.contains(id), id + " is not installed here (bin/setup installs it)");
    }

    private static List<ImageContent> images(CallToolResult result) {
        return result.content().stream().filter(ImageContent.class::isInstance).map(ImageContent.class::cast).toList();
    }

    private static BufferedImage onlyPng(CallToolResult result) throws Exception {
        assertThat(result.isError()).as(SandboxServer.text(result)).isFalse();
        List<ImageContent> images = images(result);
        assertThat(images).as(SandboxServer.text(result)).hasSize(1);
        assertThat(images.get(0).mimeType()).isEqualTo("image/png");
        byte[] png = Base64.getDecoder().decode(images.get(0).data());
        assertThat(png.length).isGreaterThan(1000);
        BufferedImage picture = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(picture).as("decodes as a PNG").isNotNull();
        return picture;
    }

    private static Map<String, Object> error(CallToolResult result) {
        return (Map<String, Object>) ((Map<String, Object>) result.structuredContent()).get("error");
    }

    @Test
    void graphvizRendersPngImage() throws Exception {
        requireLanguage("graphviz");
        BufferedImage picture = onlyPng(server.call("execute_code", Map.of("language", "graphviz", "code",
                "digraph G {\n  a -> b;\n  b -> c [label=\"hello\"];\n}\n")));
        assertThat(picture.getWidth()).isBetween(50, 2000);
        assertThat(picture.getHeight()).isBetween(150, 2000);
    }

    @Test
    void graphvizRendersSvgOnRequest() {
        requireLanguage("graphviz");
        CallToolResult result = server.call("execute_code", Map.of("language", "dot", "code", "digraph { a -> b }",
                "imageFormat", "svg"));
        assertThat(result.isError()).as(SandboxServer.text(result)).isFalse();
        List<ImageContent> images = images(result);
        assertThat(images).hasSize(1);
        assertThat(images.get(0).mimeType()).isEqualTo("image/svg+xml");
        assertThat(new String(Base64.getDecoder().decode(images.get(0).data()), StandardCharsets.UTF_8)).contains("<svg");
    }

    @Test
    void graphvizSyntaxErrorCarriesItsLine() {
        requireLanguage("graphviz");
        String bad = "digraph G {\n  a -> b\n  b -> -> c\n}\n";
        CallToolResult result = server.call("execute_code", Map.of("language", "graphviz", "code", bad));
        assertThat(result.isError()).isTrue();
        assertThat(error(result)).as(SandboxServer.text(result)).containsEntry("line", 3);
        Map<String, Object> report = (Map<String, Object>) server.call("validate_code",
                Map.of("language", "graphviz", "code", bad)).structuredContent();
        assertThat(report.get("valid")).isEqualTo(false);
        assertThat(((List<Map<String, Object>>) report.get("errors")).get(0).get("line")).isEqualTo(3);
    }

    /** Also proves the run's limits are raised for the browser: the request asks for none. */
    @Test
    void mermaidRendersPngImageInsideTheSandbox() throws Exception {
        requireLanguage("mermaid");
        BufferedImage picture = onlyPng(server.call("execute_code", Map.of("language", "mermaid", "code", FLOWCHART,
                "timeoutSeconds", 120)));
        assertThat(picture.getWidth()).isBetween(100, 4000);
        assertThat(picture.getHeight()).isBetween(100, 4000);
    }

    @Test
    void mermaidRendersSvgOnRequest() {
        requireLanguage("mermaid");
        CallToolResult result = server.call("execute_code", Map.of("language", "mmd", "code",
                "sequenceDiagram\n  Alice->>Bob: hi\n  Bob-->>Alice: ok\n", "imageFormat", "svg", "timeoutSeconds", 120));
        assertThat(result.isError()).as(SandboxServer.text(result)).isFalse();
        List<ImageContent> images = images(result);
        assertThat(images).hasSize(1);
        assertThat(images.get(0).mimeType()).isEqualTo("image/svg+xml");
        assertThat(new String(Base64.getDecoder().decode(images.get(0).data()), StandardCharsets.UTF_8))
                .contains("<svg").contains("Alice");
    }

    @Test
    void mermaidParseErrorNamesTheLineOfTheUsersFileAfterFrontMatter() {
        requireLanguage("mermaid");
        String bad = "---\ntitle: x\n---\nflowchart TD\n  A-->B\n  B-->>\n";
        CallToolResult result = server.call("execute_code", Map.of("language", "mermaid", "code", bad,
                "timeoutSeconds", 120));
        assertThat(result.isError()).isTrue();
        assertThat(error(result)).as(SandboxServer.text(result)).containsEntry("type", "ParseError").containsEntry("line", 6);
        Map<String, Object> report = (Map<String, Object>) server.call("validate_code",
                Map.of("language", "mermaid", "code", bad)).structuredContent();
        assertThat(report.get("valid")).as("report %s", report).isEqualTo(false);
        assertThat(((List<Map<String, Object>>) report.get("errors")).get(0).get("line")).isEqualTo(6);
    }

    @Test
    void mermaidValidatesGoodDiagramWithoutABrowser() {
        requireLanguage("mermaid");
        Map<String, Object> report = (Map<String, Object>) server.call("validate_code",
                Map.of("language", "mermaid", "code", FLOWCHART)).structuredContent();
        assertThat(report.get("valid")).as("report %s", report).isEqualTo(true);
    }

    /** A diagram that points the browser at a listener this test opened on the host's loopback reaches nothing. */
    @Test
    void mermaidBrowserCannotReachTheHost() throws Exception {
        requireLanguage("mermaid");
        try (ServerSocket listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            String url = "http://127.0.0.1:" + listener.getLocalPort() + "/x.png";
            String diagram = "flowchart TD\n  A[\"<img src='" + url + "' width='20'/> probe\"] --> B\n"
                    + "  click B \"" + url + "\"\n";
            CallToolResult result = server.call("execute_code", Map.of("language", "mermaid", "code", diagram,
                    "timeoutSeconds", 120));
            assertThat(result.isError()).as(SandboxServer.text(result)).isFalse();
            listener.setSoTimeout(500);
            try {
                listener.accept().close();
                throw new AssertionError("the sandboxed browser connected to the host's loopback");
            } catch (SocketTimeoutException expected) {
                // nothing came
            }
        }
    }
}
