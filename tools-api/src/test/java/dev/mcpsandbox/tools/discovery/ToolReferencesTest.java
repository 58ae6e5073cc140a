package dev.mcpsandbox.tools.discovery;

import dev.mcpsandbox.tools.ToolName;
import dev.mcpsandbox.tools.registry.ToolDescriptor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ToolReferencesTest {
    private static final List<ToolDescriptor> KNOWN = List.of(
            tool("everything", "get-sum"), tool("memory", "read_graph"), tool("my-srv", "do.it"));

    private static ToolDescriptor tool(String server, String name) {
        return new ToolDescriptor(new ToolName(server, name), name, "", Map.of("type", "object"), Optional.empty(),
                false, false);
    }

    @Test
    void mapsPythonIdentifiersBackToRealNames() {
        var refs = ToolReferences.find("python", "x = 1\ns = tools.everything.get_sum(a=1, b=2)\n", KNOWN);
        assertThat(refs).singleElement().satisfies(r -> {
            assertThat(r.name()).isEqualTo("everything.get-sum");
            assertThat(r.tool()).isPresent();
            assertThat(r.line()).isEqualTo(2);
        });
    }

    @Test
    void findsCallByNameIndexAndCommandForms() {
        assertThat(ToolReferences.find("javascript", "await tools.call('memory.read_graph', {})", KNOWN))
                .extracting(ToolReferences.Reference::name).containsExactly("memory.read_graph");
        assertThat(ToolReferences.find("python", "tools['my-srv']['do.it']()", KNOWN))
                .extracting(ToolReferences.Reference::name).containsExactly("my-srv.do.it");
        assertThat(ToolReferences.find("bash", "echo hi\nout=$(tool everything.get-sum '{\"a\":1}')\n", KNOWN))
                .extracting(ToolReferences.Reference::name).containsExactly("everything.get-sum");
    }

    @Test
    void reportsUnknownNamesAsWritten() {
        assertThat(ToolReferences.find("python", "tools.nosuch.thing()", KNOWN))
                .singleElement().satisfies(r -> {
                    assertThat(r.name()).isEqualTo("nosuch.thing");
                    assertThat(r.tool()).isEmpty();
                });
    }

    @Test
    void ignoresGuestApiMembersAndPlainText() {
        assertThat(ToolReferences.find("python", "tools.result({'a': 1})\ntools.list()\n# tool x.y in a comment", KNOWN))
                .isEmpty();
    }
}
