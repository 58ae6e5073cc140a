package dev.mcpsandbox.tools.registry;

import dev.mcpsandbox.tools.ToolName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The registry over in-process tool sources (the kind built-in tools use); no processes. */
class ToolRegistryTest {

    @Test
    void listsFindsAndCallsToolsAcrossSources() throws Exception {
        var a = new StaticSource("a", "x", "y");
        var b = new StaticSource("b", "z");
        try (ToolRegistry r = ToolRegistry.of(List.of(a, b))) {
            assertThat(r.tools()).extracting(d -> d.name().qualified()).containsExactly("a.x", "a.y", "b.z");
            assertThat(r.find(new ToolName("b", "z"))).isPresent();
            assertThat(r.find(new ToolName("b", "x"))).isEmpty();
            assertThat(r.find(new ToolName("nope", "x"))).isEmpty();
            assertThat(r.serverNames()).containsExactly("a", "b");
            assertThat(r.servers()).extracting(ServerStatus::server).containsExactly("a", "b");
            assertThat(r.status("a").available()).isTrue();

            UpstreamResult res = r.call(new ToolName("a", "y"), Map.of("k", 1), Duration.ofSeconds(1));
            assertThat(res.value()).isEqualTo(Map.of("tool", "y", "args", Map.of("k", 1)));
        }
        assertThat(a.closed).isTrue();
        assertThat(b.closed).isTrue();
    }

    @Test
    void unknownServerOrToolIsAnIllegalArgument() {
        try (ToolRegistry r = ToolRegistry.of(List.of(new StaticSource("a", "x")))) {
            assertThatThrownBy(() -> r.call(new ToolName("a", "nope"), Map.of(), Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");
            assertThatThrownBy(() -> r.call(new ToolName("b", "x"), Map.of(), Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> r.status("b")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void callsToAnUnavailableServerReachTheSourceWhichRefuses() {
        var a = new StaticSource("a", "x");
        a.available = false;
        try (ToolRegistry r = ToolRegistry.of(List.of(a))) {
            assertThat(r.tools()).isEmpty();
            assertThatThrownBy(() -> r.call(new ToolName("a", "x"), Map.of(), Duration.ofSeconds(1)))
                    .isInstanceOf(ToolUnavailableException.class).hasMessageContaining("'a' is unavailable");
        }
    }

    @Test
    void toolChangesOfAnySourceReachTheListeners() {
        var a = new StaticSource("a", "x");
        var b = new StaticSource("b", "z");
        try (ToolRegistry r = ToolRegistry.of(List.of(a, b))) {
            AtomicInteger changes = new AtomicInteger();
            r.onToolsChanged(changes::incrementAndGet);
            r.onToolsChanged(() -> {
                throw new IllegalStateException("a broken listener does not stop the others");
            });
            b.setTools("z", "w");
            a.setTools();
            assertThat(changes).hasValue(2);
            assertThat(r.tools()).extracting(d -> d.name().qualified()).containsExactly("b.z", "b.w");
        }
    }

    @Test
    void twoSourcesWithOneNameAreRejected() {
        assertThatThrownBy(() -> ToolRegistry.of(List.of(new StaticSource("a"), new StaticSource("a"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"a\"");
    }

    /** A source with fixed tools that answers every call with its name and arguments. */
    private static final class StaticSource implements ToolSource {
        private final String name;
        private final List<Consumer<List<ToolDescriptor>>> listeners = new CopyOnWriteArrayList<>();
        private volatile List<ToolDescriptor> tools;
        volatile boolean available = true;
        volatile boolean closed;

        StaticSource(String name, String... tools) {
            this.name = name;
            this.tools = descriptors(tools);
        }

        void setTools(String... names) {
            tools = descriptors(names);
            listeners.forEach(l -> l.accept(tools));
        }

        private List<ToolDescriptor> descriptors(String... names) {
            return java.util.Arrays.stream(names).map(t -> new ToolDescriptor(new ToolName(name, t), t, "",
                    Map.of("type", "object"), Optional.empty(), true, false)).toList();
        }

        @Override
        public String server() {
            return name;
        }

        @Override
        public ServerStatus status() {
            return new ServerStatus(name, available ? ServerStatus.State.AVAILABLE : ServerStatus.State.UNAVAILABLE,
                    available ? "in process" : "switched off", Optional.of(Instant.EPOCH));
        }

        @Override
        public List<ToolDescriptor> tools() {
            return available ? tools : List.of();
        }

        @Override
        public UpstreamResult call(String tool, Map<String, Object> arguments, Duration timeout,
                                   CallCancellation cancellation) throws ToolUnavailableException {
            if (!available) {
                throw new ToolUnavailableException("server '" + name + "' is unavailable: switched off");
            }
            return new UpstreamResult(Map.of("tool", tool, "args", arguments), "", false, 0);
        }

        @Override
        public void onToolsChanged(Consumer<List<ToolDescriptor>> listener) {
            listeners.add(listener);
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
