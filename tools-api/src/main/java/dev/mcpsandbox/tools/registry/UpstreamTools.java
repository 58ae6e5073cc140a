package dev.mcpsandbox.tools.registry;

import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The tool list of one upstream source and who is told when it changes. The list is replaced under
 * the source's lock and read without it; listeners are notified outside the lock.
 */
final class UpstreamTools {

    private static final Logger log = LoggerFactory.getLogger(UpstreamTools.class);

    private final String server;
    private final List<Consumer<List<ToolDescriptor>>> listeners = new CopyOnWriteArrayList<>();
    private volatile List<ToolDescriptor> tools = List.of();

    UpstreamTools(String server) {
        this.server = server;
    }

    List<ToolDescriptor> get() {
        return tools;
    }

    /** Replaces the list; true when it differs from the one before. */
    boolean replace(List<ToolDescriptor> list) {
        if (list.equals(tools)) {
            return false;
        }
        tools = List.copyOf(list);
        return true;
    }

    /** The server's tools as descriptors; those whose names cannot be used are left out, with a warning. */
    List<ToolDescriptor> map(List<McpSchema.Tool> listed) {
        List<String> rejected = new ArrayList<>();
        List<ToolDescriptor> mapped = UpstreamMapping.descriptors(server, listed, rejected);
        if (!rejected.isEmpty()) {
            log.warn("{}: left out tools whose names are unusable: {}", server, rejected);
        }
        return mapped;
    }

    void onChanged(Consumer<List<ToolDescriptor>> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    void notifyListeners(List<ToolDescriptor> list) {
        for (Consumer<List<ToolDescriptor>> l : listeners) {
            try {
                l.accept(list);
            } catch (RuntimeException e) {
                log.warn("{}: tools-changed listener failed", server, e);
            }
        }
    }
}
