package dev.mcpsandbox.tools.discovery;

import dev.mcpsandbox.tools.registry.ToolDescriptor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static dev.mcpsandbox.tools.discovery.Fixtures.tool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

class ToolSearchTest {
    private static final List<ToolDescriptor> TOOLS = Fixtures.realistic();

    private static List<String> names(List<ToolSearch.Match> matches) {
        return matches.stream().map(m -> m.tool().name().qualified()).toList();
    }

    @Test
    void findsGetSumBySubword() {
        assertThat(names(ToolSearch.search(TOOLS, "sum", 10))).first().isEqualTo("everything.get-sum");
        assertThat(names(ToolSearch.search(TOOLS, "SUM", 10))).first().isEqualTo("everything.get-sum");
        assertThat(names(ToolSearch.search(TOOLS, "su", 10))).first().isEqualTo("everything.get-sum");
        assertThat(names(ToolSearch.search(TOOLS, "getSum", 10))).first().isEqualTo("everything.get-sum");
        assertThat(names(ToolSearch.search(TOOLS, "get_sum", 10))).first().isEqualTo("everything.get-sum");
        assertThat(names(ToolSearch.search(TOOLS, "everything.get-sum", 10))).first().isEqualTo("everything.get-sum");
    }

    @Test
    void splitsCamelSnakeKebabAndDottedNames() {
        assertThat(ToolSearch.words("getHTTPStatus")).containsExactly("get", "http", "status");
        assertThat(ToolSearch.words("create_entities")).containsExactly("create", "entities");
        assertThat(ToolSearch.words("everything.get-sum")).containsExactly("everything", "get", "sum");
        assertThat(ToolSearch.words("entityNames2x")).containsExactly("entity", "names2x");
        assertThat(ToolSearch.words("  ")).isEmpty();
    }

    @Test
    void findsSnakeCaseNamesByCamelCaseQueryAndByPrefix() {
        assertThat(names(ToolSearch.search(TOOLS, "createEntities", 1))).containsExactly("memory.create_entities");
        assertThat(names(ToolSearch.search(TOOLS, "entit", 10)))
                .startsWith("memory.create_entities", "memory.delete_entities");
    }

    @Test
    void namesOutrankDescriptions() {
        ToolDescriptor named = tool("files.read-file", null, "Returns the contents of a path.", "{}");
        ToolDescriptor described = tool("files.stat", null, "Describes a file without reading it.", "{}");
        ToolDescriptor titled = tool("files.head", "Read the first lines", "Returns the first lines.", "{}");
        List<ToolSearch.Match> matches = ToolSearch.search(List.of(described, titled, named), "read", 10);
        assertThat(names(matches)).containsExactly("files.read-file", "files.head", "files.stat");
        assertThat(matches.get(0).score()).isGreaterThan(matches.get(1).score());
        assertThat(matches.get(1).score()).isGreaterThan(matches.get(2).score());
    }

    @Test
    void toolsMatchingMoreWordsComeFirst() {
        assertThat(names(ToolSearch.search(TOOLS, "delete entities", 10))).first().isEqualTo("memory.delete_entities");
        assertThat(names(ToolSearch.search(TOOLS, "search the knowledge graph", 10))).first().isEqualTo("memory.search_nodes");
    }

    @Test
    void serverNameFindsItsTools() {
        assertThat(names(ToolSearch.search(TOOLS, "memory", 10)))
                .containsExactly("memory.create_entities", "memory.delete_entities", "memory.search_nodes");
    }

    @Test
    void unmatchedQueryFindsNothing() {
        assertThat(ToolSearch.search(TOOLS, "kubernetes", 10)).isEmpty();
        assertThat(ToolSearch.search(TOOLS, "!!!", 10)).isEmpty();
        assertThat(ToolSearch.search(List.of(), "sum", 10)).isEmpty();
    }

    @Test
    void emptyQueryListsAllInNameOrder() {
        List<String> expected = TOOLS.stream().map(t -> t.name().qualified()).sorted().toList();
        for (String query : new String[] {"", "  ", "*", null}) {
            List<ToolSearch.Match> all = ToolSearch.search(TOOLS, query, 0);
            assertThat(names(all)).as("query %s", query).containsExactlyElementsOf(expected);
            assertThat(all).allSatisfy(m -> assertThat(m.score()).isZero());
        }
        assertThat(names(ToolSearch.search(TOOLS, "", 2))).containsExactlyElementsOf(expected.subList(0, 2));
    }

    @Test
    void orderIsDeterministicWithTiesBrokenByName() {
        List<ToolDescriptor> twins = List.of(
                tool("b.twin", null, "Same words.", "{}"),
                tool("a.twin", null, "Same words.", "{}"),
                tool("c.twin", null, "Same words.", "{}"));
        List<String> first = names(ToolSearch.search(twins, "twin", 10));
        assertThat(first).containsExactly("a.twin", "b.twin", "c.twin");
        List<ToolDescriptor> shuffled = new ArrayList<>(Fixtures.realistic());
        List<String> reference = names(ToolSearch.search(shuffled, "entities graph", 10));
        for (int seed = 0; seed < 5; seed++) {
            Collections.shuffle(shuffled, new Random(seed));
            assertThat(names(ToolSearch.search(shuffled, "entities graph", 10))).isEqualTo(reference);
        }
    }

    @Test
    void limitCutsTheList() {
        assertThat(ToolSearch.search(TOOLS, "memory", 2)).hasSize(2);
        assertThat(ToolSearch.search(TOOLS, "memory", -1)).hasSize(3);
    }

    @Test
    void survivesMissingTextAndNullEntries() {
        List<ToolDescriptor> tools = new ArrayList<>(Fixtures.hostile());
        tools.add(null);
        assertThat(names(ToolSearch.search(tools, "recursive tree", 3))).first().isEqualTo("hostile.recursive");
        assertThat(ToolSearch.search(tools, "", 0)).hasSize(tools.size() - 1);
        assertThatNullPointerException().isThrownBy(() -> ToolSearch.search(null, "x", 1));
    }
}
