package dev.mcpsandbox.sandbox.network;

import org.junit.jupiter.api.Test;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Against ClientHellos the JDK's own TLS client writes (no network: the engine only wraps into a buffer). */
class ClientHelloTest {

    private static byte[] clientHello(String serverName) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, null, null);
        SSLEngine engine = context.createSSLEngine("ignored.example", 443);
        engine.setUseClientMode(true);
        if (serverName != null) {
            SSLParameters parameters = engine.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(serverName)));
            engine.setSSLParameters(parameters);
        }
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return bytes;
    }

    @Test
    void readsTheServerName() throws Exception {
        byte[] hello = clientHello("API.Example.com");
        assertThat(ClientHello.serverName(hello, hello.length)).contains("api.example.com");
        assertThat(ClientHello.incomplete(hello, hello.length)).isFalse();
    }

    @Test
    void aPartialRecord_isIncomplete_andYieldsNoName() throws Exception {
        byte[] hello = clientHello("api.example.com");
        assertThat(ClientHello.incomplete(hello, 40)).isTrue();
        assertThat(ClientHello.serverName(hello, 40)).isEmpty();
    }

    @Test
    void notTls_orGarbage_yieldsNothing() {
        byte[] http = "GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(ClientHello.serverName(http, http.length)).isEmpty();
        assertThat(ClientHello.incomplete(http, http.length)).isFalse();
        byte[] garbage = new byte[64];
        Arrays.fill(garbage, (byte) 0xFF);
        garbage[0] = 0x16;
        garbage[5] = 0x01;
        assertThat(ClientHello.serverName(garbage, garbage.length)).isEmpty();
    }
}
