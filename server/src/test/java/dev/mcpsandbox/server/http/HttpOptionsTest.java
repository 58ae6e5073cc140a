package dev.mcpsandbox.server.http;

import dev.mcpsandbox.server.transport.HttpCommandLine;
import dev.mcpsandbox.server.transport.HttpOptions;
import dev.mcpsandbox.server.transport.HttpOptions.ListenAddress;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HttpOptionsTest {

    @Test
    void listenAddress_portAloneMeansLoopback() {
        assertThat(ListenAddress.parse("8080")).isEqualTo(new ListenAddress("127.0.0.1", 8080));
        assertThat(ListenAddress.parse("0.0.0.0:9000")).isEqualTo(new ListenAddress("0.0.0.0", 9000));
        assertThat(ListenAddress.parse("[::1]:0")).isEqualTo(new ListenAddress("::1", 0));
        assertThat(ListenAddress.parse("localhost:1")).isEqualTo(new ListenAddress("localhost", 1));
    }

    @Test
    void listenAddress_rejectsWhatIsNotHostPort() {
        assertThatThrownBy(() -> ListenAddress.parse("http")).hasMessageContaining("[HOST:]PORT");
        assertThatThrownBy(() -> ListenAddress.parse("::1:80")).hasMessageContaining("[ADDRESS]:PORT");
        assertThatThrownBy(() -> ListenAddress.parse("70000")).hasMessageContaining("0..65535");
        assertThatThrownBy(() -> ListenAddress.parse(":80")).hasMessageContaining("host before ':' is empty");
    }

    @Test
    void nonLoopbackWithoutToken_isRefusedWithTheWayOut() {
        assertThat(options("0.0.0.0", Optional.empty()).check()).singleElement().asString()
                .contains("refusing to listen on 0.0.0.0:8080 without a token").contains("MCP_SANDBOX_TOKEN")
                .contains("--token-file");
        assertThat(options("127.0.0.1", Optional.empty()).check()).isEmpty();
        assertThat(options("localhost", Optional.empty()).check()).isEmpty();
        assertThat(options("0.0.0.0", Optional.of("a-long-enough-random-token")).check()).isEmpty();
    }

    @Test
    void weakTokens_areRefused() {
        assertThat(options("127.0.0.1", Optional.of("short")).check()).singleElement().asString().contains("shorter than 16");
        assertThat(options("127.0.0.1", Optional.of("has a space in it ok")).check()).singleElement().asString()
                .contains("printable ASCII");
    }

    @Test
    void commandLine_tokenFromFileWinsOverEnvironment_andDefaultsApply(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, "from-the-file-0123456789\n");
        HttpCommandLine http = parse("--http", "9000", "--token-file", file.toString(), "--allowed-origin",
                "https://app.example.com", "--allowed-origin", "http://x:*");
        HttpOptions o = http.options(Map.of(HttpCommandLine.TOKEN_ENV, "from-the-environment-0123"));
        assertThat(o.token()).contains("from-the-file-0123456789");
        assertThat(o.host()).isEqualTo("127.0.0.1");
        assertThat(o.allowedOrigins()).containsExactly("https://app.example.com", "http://x:*");
        assertThat(o.maxBodyBytes()).isEqualTo(4 * 1024 * 1024);
        assertThat(o.requestsPerSecond()).isEqualTo(20.0);
        assertThat(o.burst()).isEqualTo(40);
        assertThat(o.concurrentPerClient()).isEqualTo(8);
        assertThat(o.shutdownGrace()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.keepAlive()).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.sessionIdle()).isEqualTo(Duration.ofMinutes(30));
        assertThat(o.headerTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.connectionsPerClient()).isEqualTo(64);
        HttpOptions slow = parse("--http", "9000", "--header-timeout-seconds", "3", "--max-connections-per-client", "5")
                .options(Map.of());
        assertThat(slow.headerTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(slow.connectionsPerClient()).isEqualTo(5);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("--http", "9000", "--header-timeout-seconds", "0",
                "--max-connections-per-client", "0").options(Map.of())).hasMessageContaining("--header-timeout-seconds")
                .hasMessageContaining("--max-connections-per-client");
        assertThat(parse("--http", "9000").options(Map.of(HttpCommandLine.TOKEN_ENV, "from-the-environment-0123")).token())
                .contains("from-the-environment-0123");
    }

    @Test
    void commandLine_httpOnlyOptionsWithoutHttp_areAnError() {
        assertThat(parse("--token-file", "/x").strayOptions()).hasValueSatisfying(m -> assertThat(m)
                .contains("--token-file needs --http"));
        assertThat(parse().strayOptions()).isEmpty();
    }

    @Test
    void commandLine_unreadableTokenFile_namesIt() {
        assertThatThrownBy(() -> parse("--http", "0", "--token-file", "/nonexistent/token").options(Map.of()))
                .hasMessageContaining("--token-file /nonexistent/token: cannot read it");
    }

    private static HttpCommandLine parse(String... args) {
        HttpCommandLine http = new HttpCommandLine();
        new CommandLine(http).parseArgs(args);
        return http;
    }

    private static HttpOptions options(String host, Optional<String> token) {
        return new HttpOptions(host, 8080, token, java.util.List.of(), java.util.List.of(), 4096, 20, 40, 8,
                Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(30), Duration.ofSeconds(10), 64);
    }
}
