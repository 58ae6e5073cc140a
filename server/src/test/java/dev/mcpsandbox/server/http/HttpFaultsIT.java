package dev.mcpsandbox.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpSyncClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** HTTP mode under faults and load: oversized bodies, slow clients, shutdown, wrong messages, busy clients. */
class HttpFaultsIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @org.junit.jupiter.api.BeforeEach
    void onlyInTheBubblewrapPass() {
        // The transport does not depend on the backend: not again when -Dit.test reaches the container executions.
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("sandbox.backend", "bubblewrap").equals("bubblewrap"));
    }

    @Test
    void aClientThatSendsAWholeOversizedBody_readsThe413() throws Exception {
        try (HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0")) {
            byte[] body = new byte[5 * 1024 * 1024];
            java.util.Arrays.fill(body, (byte) ' ');
            try (Socket socket = new Socket(server.uri().getHost(), server.uri().getPort())) {
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + server.uri().getPort() + "\r\n"
                        + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body); // the whole body, as an ordinary client does, before reading the answer
                out.flush();
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).startsWith("HTTP/1.1 413").contains("larger than");
            }
            assertThat(HTTP.send(HttpRequest.newBuilder(server.uri("/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void slowHeaderClients_areClosedAfterTheDefaultHeaderTimeout_andPastThePerAddressLimitAtOnce() throws Exception {
        // Defaults: headers within 10 s, 64 connections per address.
        try (HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0")) {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 70; i++) {
                    Socket s = new Socket(server.uri().getHost(), server.uri().getPort());
                    s.setSoTimeout(10);
                    s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
                    sockets.add(s);
                }
                long start = System.nanoTime();
                List<Long> closedAfterMillis = new ArrayList<>(Collections.nCopies(sockets.size(), -1L));
                // One header byte a second from each, for at most 30 s.
                long lastByte = 0;
                while (closedAfterMillis.contains(-1L) && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
                    boolean sendByte = System.nanoTime() - lastByte > TimeUnit.SECONDS.toNanos(1);
                    lastByte = sendByte ? System.nanoTime() : lastByte;
                    for (int i = 0; i < sockets.size(); i++) {
                        if (closedAfterMillis.get(i) < 0 && closed(sockets.get(i), sendByte)) {
                            closedAfterMillis.set(i, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                        }
                    }
                }
                assertThat(closedAfterMillis).as("ms until each slow connection was closed (-1: never)")
                        .doesNotContain(-1L);
                long quick = closedAfterMillis.stream().filter(ms -> ms < 3000).count();
                long afterTimeout = closedAfterMillis.stream().filter(ms -> ms >= 8000).count();
                assertThat(quick).as("closed at once, past 64 per address: %s", closedAfterMillis).isEqualTo(6);
                assertThat(afterTimeout).as("closed by the 10 s header timeout, not before: %s", closedAfterMillis)
                        .isEqualTo(64);
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(server.uri("/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
        }
    }

    /** True when the server has closed the connection (end of stream or reset); writes a byte first if asked. */
    private static boolean closed(Socket socket, boolean sendByte) {
        try {
            if (sendByte) {
                socket.getOutputStream().write('X');
                socket.getOutputStream().flush();
            }
            return socket.getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void healthz_answers503Stopping_throughTheGracePeriod() throws Exception {
        HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            McpSyncClient client = server.streamableClient(Optional.empty());
            CompletableFuture<Map<String, Object>> call = CompletableFuture.supplyAsync(
                    () -> HttpTransportIT.execute(client, "import time; time.sleep(8); print('done')"), pool);
            awaitInFlight(server);
            server.terminate();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            String health = "";
            while (System.nanoTime() < deadline && !health.startsWith("HTTP/1.1 503")) {
                // A new connection each time, as a load balancer's probe makes (a pooled one hides a closed port).
                try (Socket socket = new Socket(server.uri().getHost(), server.uri().getPort())) {
                    socket.setSoTimeout(10_000);
                    socket.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    health = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (ConnectException e) {
                    throw new AssertionError("/healthz refused the connection while the server was stopping", e);
                }
                Thread.sleep(100);
            }
            assertThat(health).startsWith("HTTP/1.1 503");
            assertThat(JSON.readTree(health.substring(health.indexOf("\r\n\r\n") + 4)).path("status").asText())
                    .isEqualTo("stopping");
            assertThat(call.get(60, TimeUnit.SECONDS).get("stdout")).isEqualTo("done\n");
            assertThat(server.awaitExit(Duration.ofSeconds(30))).isTrue();
        } finally {
            pool.shutdownNow();
            server.close();
        }
    }

    @Test
    void argumentsSentAsAString_getInvalidParams() throws Exception {
        try (HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0")) {
            Map<String, String> session = session(server);
            HttpResponse<String> r = HttpTransportIT.post(server.uri("/mcp"), "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":"
                    + "\"tools/call\",\"params\":{\"name\":\"execute_code\",\"arguments\":\"{\\\"language\\\":\\\"python\\\"}\"}}",
                    session);
            JsonNode answer = JSON.readTree(dataOf(r.body()));
            assertThat(answer.path("id").asInt()).as(r.body()).isEqualTo(5);
            assertThat(answer.path("error").path("code").asInt()).as(r.body()).isEqualTo(-32602);
            assertThat(answer.path("error").path("message").asText()).contains("\"arguments\" must be a JSON object");
        }
    }

    @Test
    void aBatch_isAnsweredWithAnInvalidRequestErrorForEachOfItsRequests() throws Exception {
        try (HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0")) {
            Map<String, String> session = session(server);
            HttpResponse<String> r = HttpTransportIT.post(server.uri("/mcp"), "[{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
                    + "\"tools/list\"},{\"jsonrpc\":\"2.0\",\"id\":\"eight\",\"method\":\"ping\"}]", session);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            assertThat(r.body()).doesNotContain("stackTrace");
            JsonNode answer = JSON.readTree(r.body());
            assertThat(answer.isArray()).as(r.body()).isTrue();
            assertThat(answer.findValuesAsText("id")).containsExactly("7", "eight");
            for (JsonNode error : answer) {
                assertThat(error.path("error").path("code").asInt()).isEqualTo(-32600);
                assertThat(error.path("error").path("message").asText()).contains("batches are not supported");
            }
        }
    }

    @Test
    void eightClientsWithOneCallInFlightEach_areNeverRefusedAsTooManyConcurrent() throws Exception {
        int clients = 8;
        int callsEach = 25;
        // Keep-alive pings every second: each client answers them with POSTs while its call runs.
        try (HttpServerProcess server = HttpServerProcess.start(Map.of(), "--http", "127.0.0.1:0",
                "--rate-limit", "10000", "--rate-burst", "10000", "--keep-alive-seconds", "1")) {
            List<McpSyncClient> sessions = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                sessions.add(server.streamableClient(Optional.empty()));
            }
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            AtomicInteger refused = new AtomicInteger();
            List<String> errors = Collections.synchronizedList(new ArrayList<>());
            try {
                List<CompletableFuture<Void>> loops = new ArrayList<>();
                for (McpSyncClient c : sessions) {
                    loops.add(CompletableFuture.runAsync(() -> {
                        for (int n = 0; n < callsEach; n++) {
                            try {
                                HttpTransportIT.execute(c, "print(" + n + ")");
                            } catch (RuntimeException e) {
                                refused.incrementAndGet();
                                errors.add(String.valueOf(e.getMessage()));
                            }
                        }
                    }, pool));
                }
                CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
                sessions.forEach(c -> {
                    try {
                        c.close();
                    } catch (RuntimeException ignored) {
                        // closing
                    }
                });
            }
            assertThat(refused.get()).as("calls refused of %d; first errors: %s", clients * callsEach,
                    errors.subList(0, Math.min(3, errors.size()))).isZero();
        }
    }

    private static Map<String, String> session(HttpServerProcess server) throws Exception {
        HttpResponse<String> init = HttpTransportIT.post(server.uri("/mcp"), HttpTransportIT.INITIALIZE, Map.of());
        assertThat(init.statusCode()).isEqualTo(200);
        Map<String, String> session = Map.of("Mcp-Session-Id", init.headers().firstValue("Mcp-Session-Id").orElseThrow());
        assertThat(HttpTransportIT.post(server.uri("/mcp"), "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                session).statusCode()).isEqualTo(202);
        return session;
    }

    /** The JSON of an answer, whether it came as a JSON body or as the data of an SSE event. */
    private static String dataOf(String body) {
        StringBuilder data = new StringBuilder();
        body.lines().filter(l -> l.startsWith("data:")).forEach(l -> data.append(l.substring(5)));
        return data.length() > 0 ? data.toString() : body;
    }

    private static void awaitInFlight(HttpServerProcess server) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(server.uri("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200 && r.body().contains("mcp_sandbox_executions_in_flight 1\n")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the execution never showed as in flight");
    }
}
