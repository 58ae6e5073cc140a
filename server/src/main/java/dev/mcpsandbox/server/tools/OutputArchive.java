package dev.mcpsandbox.server.tools;

import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceResult;
import io.modelcontextprotocol.spec.McpSchema.ResourceTemplate;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The whole stdout or stderr of recent runs whose text rendering showed only a preview, readable as the resource
 * {@code mcp-sandbox://outputs/<token>/<stream>}. The token is 128 random bits handed only to the caller that ran
 * the code, so one client cannot read another's output by guessing. Bounded by bytes and age: an output pushed
 * out or expired answers "no longer kept".
 */
public final class OutputArchive {
    static final String PREFIX = "mcp-sandbox://outputs/";
    private static final SecureRandom TOKENS = new SecureRandom();

    private final long maxBytes;
    private final Duration keptFor;
    private final LongSupplier nanoTime;
    private final Map<String, Kept> kept = new LinkedHashMap<>();
    private long bytes;

    private record Kept(String text, long bytes, long storedAt) {
    }

    public OutputArchive(long maxBytes, Duration keptFor) {
        this(maxBytes, keptFor, System::nanoTime);
    }

    OutputArchive(long maxBytes, Duration keptFor, LongSupplier nanoTime) {
        this.maxBytes = maxBytes;
        this.keptFor = keptFor;
        this.nanoTime = nanoTime;
    }

    /** Keeps {@code text} (one stream of one run) and returns the URI that reads it. */
    synchronized String keep(String stream, String text) {
        byte[] token = new byte[16];
        TOKENS.nextBytes(token);
        String uri = PREFIX + HexFormat.of().formatHex(token) + "/" + stream;
        long size = text.getBytes(StandardCharsets.UTF_8).length;
        if (size > maxBytes) {
            return uri; // Too big to keep at all: reading it says so, as for an expired one.
        }
        kept.put(uri, new Kept(text, size, nanoTime.getAsLong()));
        bytes += size;
        Iterator<Map.Entry<String, Kept>> oldest = kept.entrySet().iterator();
        while (bytes > maxBytes && oldest.hasNext()) {
            bytes -= oldest.next().getValue().bytes();
            oldest.remove();
        }
        return uri;
    }

    synchronized Optional<String> read(String uri) {
        long now = nanoTime.getAsLong();
        Iterator<Map.Entry<String, Kept>> oldest = kept.entrySet().iterator();
        while (oldest.hasNext()) {
            Map.Entry<String, Kept> e = oldest.next();
            if (now - e.getValue().storedAt() < keptFor.toNanos()) {
                break;
            }
            bytes -= e.getValue().bytes();
            oldest.remove();
        }
        return Optional.ofNullable(kept.get(uri)).map(Kept::text);
    }

    public List<SyncResourceTemplateSpecification> specifications() {
        ResourceTemplate template = ResourceTemplate.builder()
                .uriTemplate(PREFIX + "{token}/{stream}")
                .name("execution-output")
                .title("The whole output of a run")
                .description("stdout or stderr of a recent execute_code run whose result showed only part of it; the"
                        + " link is in that result. Kept for " + keptFor.toMinutes() + " minutes.")
                .mimeType("text/plain")
                .build();
        return List.of(new SyncResourceTemplateSpecification(template, (exchange, request) -> {
            String text = read(request.uri()).orElseThrow(() -> McpError.builder(McpSchema.ErrorCodes.RESOURCE_NOT_FOUND)
                    .message("output " + request.uri() + " is no longer kept (outputs are kept for "
                            + keptFor.toMinutes() + " minutes, " + (maxBytes >> 20) + " MiB in all); run the code again")
                    .build());
            return new ReadResourceResult(List.of(new TextResourceContents(request.uri(), "text/plain", text)));
        }));
    }
}
