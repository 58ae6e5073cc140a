package dev.mcpsandbox.sandbox.network;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProxyRequestTest {

    private static ProxyRequest parse(String head) {
        return ProxyRequest.parse(head.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void connect_namesHostAndPort() {
        ProxyRequest r = parse("CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n");
        assertThat(r.connect()).isTrue();
        assertThat(r.host()).isEqualTo("api.example.com");
        assertThat(r.port()).isEqualTo(443);
        assertThat(parse("CONNECT [::1]:8080 HTTP/1.1\r\n\r\n").host()).isEqualTo("[::1]");
    }

    @Test
    void absoluteForm_becomesOriginForm_withoutProxyOrHopByHopHeaders() {
        ProxyRequest r = parse("GET http://example.com:8080/a/b?c=1 HTTP/1.1\r\nHost: example.com:8080\r\n"
                + "Proxy-Authorization: Basic x\r\nProxy-Connection: keep-alive\r\nConnection: keep-alive\r\n"
                + "Accept: */*\r\n\r\n");
        assertThat(r.connect()).isFalse();
        assertThat(r.host()).isEqualTo("example.com");
        assertThat(r.port()).isEqualTo(8080);
        assertThat(new String(r.forwardHead().orElseThrow(), StandardCharsets.ISO_8859_1)).isEqualTo(
                "GET /a/b?c=1 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\nConnection: close\r\n\r\n");
        assertThat(parse("GET http://example.com HTTP/1.0\r\n\r\n").port()).isEqualTo(80);
    }

    @Test
    void whatIsNotAProxyRequest_isRefusedWithAReason() {
        assertThatThrownBy(() -> parse("GET /index.html HTTP/1.1\r\n\r\n")).hasMessageContaining("absolute http:// URL");
        assertThatThrownBy(() -> parse("GET https://x/ HTTP/1.1\r\n\r\n")).hasMessageContaining("CONNECT");
        assertThatThrownBy(() -> parse("CONNECT example.com HTTP/1.1\r\n\r\n")).hasMessageContaining("host:port");
        assertThatThrownBy(() -> parse("GET http://user:pw@x/ HTTP/1.1\r\n\r\n")).hasMessageContaining("user information");
        assertThatThrownBy(() -> parse("hello\r\n\r\n")).hasMessageContaining("request line");
    }

    @Test
    void headEnd_findsTheBlankLine() {
        byte[] b = "GET http://x/ HTTP/1.1\r\n\r\nBODY".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(ProxyRequest.headEnd(b, b.length)).isEqualTo(b.length - 4);
        assertThat(ProxyRequest.headEnd(b, 10)).isEqualTo(-1);
    }
}
