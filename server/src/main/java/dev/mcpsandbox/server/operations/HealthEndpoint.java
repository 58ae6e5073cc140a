package dev.mcpsandbox.server.operations;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.server.ServerAssembly;
import dev.mcpsandbox.server.ServerVersion;
import dev.mcpsandbox.tools.registry.ServerStatus;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /healthz}: 200 with {@code {status, version, backend, languages, upstreamServers}} while serving,
 * 503 with status {@code stopping} once shutdown began (so a load balancer stops sending work).
 * Needs no token, so it says only what a probe needs: no limits, paths or upstream error details.
 */
public final class HealthEndpoint extends HttpServlet {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final transient ServerAssembly assembly;
    private final transient BooleanSupplier stopping;

    public HealthEndpoint(ServerAssembly assembly, BooleanSupplier stopping) {
        this.assembly = assembly;
        this.stopping = stopping;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        boolean stop = stopping.getAsBoolean();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", stop ? "stopping" : "ok");
        body.put("version", ServerVersion.number());
        body.put("backend", assembly.config().backend().jsonName());
        body.put("languages", assembly.languages().available().stream().map(DetectedLanguage::id).toList());
        // Empty while the upstream servers still connect (they start after the server listens).
        body.put("upstreamServers", assembly.toolLayer().map(t -> t.servers().stream().map(HealthEndpoint::server)
                .toList()).orElse(List.of()));
        response.setStatus(stop ? HttpServletResponse.SC_SERVICE_UNAVAILABLE : HttpServletResponse.SC_OK);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.getWriter().write(JSON.writeValueAsString(body));
    }

    private static Map<String, Object> server(ServerStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.server());
        m.put("state", s.state().name().toLowerCase(Locale.ROOT));
        return m;
    }
}
