package dev.mcpsandbox.server.operations;

import java.util.Locale;

/** Why the HTTP front door turned a request away (the {@code reason} label of {@code mcp_sandbox_http_refused_total}). */
public enum HttpRefusal {
    UNAUTHORIZED, FORBIDDEN_HOST, FORBIDDEN_ORIGIN, BODY_TOO_LARGE, RATE_LIMITED, TOO_MANY_CONCURRENT, SHUTTING_DOWN;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
