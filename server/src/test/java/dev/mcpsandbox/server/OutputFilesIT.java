package dev.mcpsandbox.server;

import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Content;
import io.modelcontextprotocol.spec.McpSchema.EmbeddedResource;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Files the code writes under out/ come back: pictures as image content, other files as embedded resources. */
@SuppressWarnings("unchecked")
class OutputFilesIT {
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

    private static List<Map<String, Object>> files(CallToolResult result) {
        return (List<Map<String, Object>>) ((Map<String, Object>) result.structuredContent()).get("files");
    }

    private static Map<String, Object> file(CallToolResult result, String path) {
        return files(result).stream().filter(f -> path.equals(f.get("path"))).findFirst()
                .orElseThrow(() -> new AssertionError(path + " not listed in " + files(result)));
    }

    private static List<ImageContent> images(CallToolResult result) {
        return result.content().stream().filter(ImageContent.class::isInstance).map(ImageContent.class::cast).toList();
    }

    private static List<EmbeddedResource> resources(CallToolResult result) {
        return result.content().stream().filter(EmbeddedResource.class::isInstance).map(EmbeddedResource.class::cast)
                .toList();
    }

    @Test
    void matplotlibChartComesBackAsPngImage() throws Exception {
        CallToolResult result = server.call("execute_code", Map.of("language", "python", "code", """
                import matplotlib
                matplotlib.use("Agg")
                import matplotlib.pyplot as plt
                plt.plot([1, 2, 3], [1, 4, 9])
                plt.title("squares")
                plt.savefig("out/chart.png", dpi=80)
                print("saved")
                """, "timeoutSeconds", 60));
        assertThat(SandboxServer.text(result)).contains("saved");
        Map<String, Object> listed = file(result, "out/chart.png");
        assertThat(listed.get("mimeType")).isEqualTo("image/png");
        assertThat(listed.get("returned")).isEqualTo(true);
        List<ImageContent> images = images(result);
        assertThat(images).hasSize(1);
        byte[] png = Base64.getDecoder().decode(images.get(0).data());
        assertThat(png.length).isEqualTo(((Number) listed.get("bytes")).intValue());
        BufferedImage picture = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(picture).as("decodes as an image").isNotNull();
        assertThat(picture.getWidth()).isBetween(200, 2000);
        assertThat(picture.getHeight()).isBetween(200, 2000);
    }

    @Test
    void textAndDataFilesComeBackAsEmbeddedResourcesWithTheirTypes() {
        CallToolResult result = server.call("execute_code", Map.of("language", "python", "code", """
                import json, os
                os.makedirs("out/tables", exist_ok=True)
                open("out/report.txt", "w").write("all good\\n")
                json.dump({"answer": 42}, open("out/tables/data.json", "w"))
                open("out/blob.bin", "wb").write(bytes(range(256)))
                """));
        assertThat(result.isError()).as(SandboxServer.text(result)).isFalse();
        assertThat(file(result, "out/report.txt").get("mimeType")).isEqualTo("text/plain");
        assertThat(file(result, "out/tables/data.json").get("mimeType")).isEqualTo("application/json");
        assertThat(file(result, "out/blob.bin").get("mimeType")).isEqualTo("application/octet-stream");
        List<EmbeddedResource> resources = resources(result);
        assertThat(resources).hasSize(3);
        TextResourceContents report = resources.stream().map(EmbeddedResource::resource)
                .filter(r -> r.uri().endsWith("/out/report.txt")).map(TextResourceContents.class::cast).findFirst()
                .orElseThrow();
        assertThat(report.text()).isEqualTo("all good\n");
        assertThat(resources.stream().map(r -> r.resource().uri()))
                .anyMatch(uri -> uri.endsWith("/out/tables/data.json"));
        assertThat(images(result)).isEmpty();
    }

    @Test
    void fileOverTheInlineCapIsListedButNotReturned() {
        CallToolResult result = server.call("execute_code", Map.of("language", "python", "code", """
                open("out/small.txt", "w").write("small\\n")
                open("out/large.csv", "w").write("x\\n" * (1_500_000))
                """));
        Map<String, Object> large = file(result, "out/large.csv");
        assertThat(large.get("returned")).isEqualTo(false);
        assertThat(((Number) large.get("bytes")).longValue()).isEqualTo(3_000_000L);
        assertThat(file(result, "out/small.txt").get("returned")).isEqualTo(true);
        assertThat(resources(result)).extracting(r -> r.resource().uri()).noneMatch(uri -> uri.endsWith("large.csv"));
        assertThat(SandboxServer.text(result)).contains("over the size cap");
    }

    @Test
    void fileNamedLikeAPictureButNotOneIsNotSentAsImage() {
        CallToolResult result = server.call("execute_code", Map.of("language", "bash", "code",
                "echo 'not a picture' > out/fake.png\n"));
        assertThat(file(result, "out/fake.png").get("mimeType")).isEqualTo("application/octet-stream");
        assertThat(images(result)).isEmpty();
    }

    @Test
    void symbolicLinkToAHostFileIsNotFollowed() throws Exception {
        Path secretDir = Files.createTempDirectory("out-files-it-");
        Path secret = secretDir.resolve("host-secret.txt");
        String canary = "host-only-" + System.nanoTime();
        Files.writeString(secret, canary);
        Files.setPosixFilePermissions(secretDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        try {
            CallToolResult result = server.call("execute_code", Map.of("language", "bash", "code",
                    "ln -s " + secret + " out/link.txt\nmkdir out/dir\nln -s " + secretDir + " out/dir/inner\n"
                            + "echo visible > out/plain.txt\n"));
            assertThat(files(result)).extracting(f -> f.get("path")).containsExactly("out/plain.txt");
            for (Content c : result.content()) {
                assertThat(c.toString()).doesNotContain(canary);
            }
            assertThat(SandboxServer.text(result)).doesNotContain(canary);
        } finally {
            Files.deleteIfExists(secret);
            Files.deleteIfExists(secretDir);
        }
    }

    @Test
    void filesOutsideOutAreNotReturned() {
        CallToolResult result = server.call("execute_code", Map.of("language", "bash", "code",
                "echo scratch > notes.txt\necho kept > out/kept.txt\n"));
        assertThat(files(result)).extracting(f -> f.get("path")).containsExactly("out/kept.txt");
        assertThat(new String(((TextResourceContents) resources(result).get(0).resource()).text()
                .getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo("kept\n");
    }
}
