package dev.mcpsandbox.tools.discovery;

import dev.mcpsandbox.tools.registry.ToolDescriptor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.mcpsandbox.tools.discovery.Fixtures.tool;
import static org.assertj.core.api.Assertions.assertThat;

class StubGeneratorTest {

    static ToolDescriptor typed() {
        return tool("types.all-kinds", "All kinds", "Every JSON Schema type once.", Fixtures.schema("""
                {"type":"object","properties":{
                  "text":{"type":"string","description":"Some text"},
                  "count":{"type":"integer"},
                  "ratio":{"type":"number"},
                  "flag":{"type":"boolean"},
                  "tags":{"type":"array","items":{"type":"string"}},
                  "anything":{"type":"array"},
                  "options":{"type":"object"},
                  "mode":{"type":"string","enum":["fast","slow"]},
                  "level":{"enum":[1,2,3]},
                  "maybe":{"type":["string","null"]},
                  "either":{"anyOf":[{"type":"string"},{"type":"integer"}]},
                  "nullableNumber":{"type":"number","nullable":true},
                  "limit":{"type":"integer","default":10,"description":"Most results"}},
                 "required":["text","count","ratio","flag","tags","anything","options","mode","level","maybe","either",
                  "nullableNumber"]}"""), "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}}}", true, false);
    }

    private static List<ToolDescriptor> everything() {
        List<ToolDescriptor> tools = new ArrayList<>(Fixtures.realistic());
        tools.add(Fixtures.keywordArguments());
        tools.add(typed());
        tools.addAll(Fixtures.hostile());
        return tools;
    }

    @Test
    void pythonStubMapsSchemaTypes() {
        String stub = StubGenerator.python(List.of(typed()));
        assertThat(stub).contains("class types:\n")
                .contains("    @staticmethod\n    def all_kinds(\n        *,\n")
                .contains("        text: str,\n")
                .contains("        count: int,\n")
                .contains("        ratio: float,\n")
                .contains("        flag: bool,\n")
                .contains("        tags: list[str],\n")
                .contains("        anything: list[Any],\n")
                .contains("        options: dict[str, Any],\n")
                .contains("        mode: Literal[\"fast\", \"slow\"],\n")
                .contains("        level: Literal[1, 2, 3],\n")
                .contains("        maybe: Optional[str],\n")
                .contains("        either: Union[str, int],\n")
                .contains("        nullableNumber: Optional[float],\n")
                .contains("        limit: Optional[int] = None,\n")
                .contains("    ) -> dict[str, Any]:\n")
                .contains("            text (str): Some text\n")
                .contains("            limit (int, optional): Most results. Default: 10.\n")
                .contains("            ok (bool, optional)\n")
                .contains("Tool: types.all-kinds (read-only)");
    }

    @Test
    void pythonStubHasDocstringsWithNameArgumentsAndFlags() {
        String stub = StubGenerator.python(Fixtures.realistic());
        assertThat(stub).contains("""
                    @staticmethod
                    def get_sum(*, a: float, b: float) -> Any:
                        \"""Get Sum Tool

                        Returns the sum of two numbers

                        Tool: everything.get-sum (read-only)

                        Args:
                            a (float): First number
                            b (float): Second number
                        \"""
                        ...
                """);
        assertThat(stub).contains("Tool: memory.delete_entities (destructive)")
                .contains("entities (list[{name: str, entityType: str, observations: list[str]}])")
                .contains("def call(name: str, args: Optional[dict[str, Any]] = None) -> Any:")
                .contains("def result(value: Any) -> None:")
                .contains("from __future__ import annotations");
    }

    @Test
    void pythonKeywordArgumentsAreHandled() {
        String stub = StubGenerator.python(List.of(Fixtures.keywordArguments(),
                tool("srv.import", null, "Keyword tool.", "{}"), tool("class.x", null, "", "{}")));
        assertThat(stub).contains("def weird_tool(*, plain: str, kwargs: Optional[bool] = None, **kwargs_: Any) -> Any:")
                .contains("class (str): The class. Pass it as **{\"class\": ...}.")
                .contains("my-arg (float): Hyphenated. Pass it as **{\"my-arg\": ...}.")
                .contains("from (int, optional): Pass it as **{\"from\": ...}.")
                .contains("# import is a Python keyword: call it as tools.call(\"srv.import\", {...})")
                .contains("# Server class: its identifier class is a Python keyword; call its tools by name:")
                .doesNotContain("def import")
                .doesNotContain("class class")
                .contains("pass it as **{\"class\": ...}, or use tools.call()");
    }

    @Test
    void typescriptStubQuotesNonIdentifierProperties() {
        String stub = StubGenerator.typescript(List.of(Fixtures.keywordArguments()));
        assertThat(stub).contains("interface OddWeirdToolArgs {\n")
                .contains("  class: string;\n")
                .contains("  \"my-arg\": number;\n")
                .contains("  from?: number;\n")
                .contains("    weird_tool(args: OddWeirdToolArgs): Promise<unknown>;\n");
    }

    @Test
    void typescriptStubDeclaresToolsWithInterfacesAndOutputTypes() {
        String stub = StubGenerator.typescript(Fixtures.realistic());
        assertThat(stub).contains("""
                /** Arguments of everything.get-sum. */
                interface EverythingGetSumArgs {
                  /** First number */
                  a: number;
                  /** Second number */
                  b: number;
                }
                """)
                .contains("declare const tools: {\n  everything: {\n")
                .contains("    get_sum(args: EverythingGetSumArgs): Promise<unknown>;\n")
                .contains("interface EverythingGetStructuredContentResult {\n")
                .contains("  location: \"New York\" | \"Chicago\" | \"Los Angeles\";\n")
                .contains("get_structured_content(args: EverythingGetStructuredContentArgs): Promise<EverythingGetStructuredContentResult>;")
                .contains("  entities: { name: string; entityType: string; observations: string[] }[];\n")
                .contains("  call(name: string, args?: object): Promise<unknown>;\n")
                .contains("  result(value: unknown): Promise<void>;\n")
                .endsWith("};\n");
        String typed = StubGenerator.typescript(List.of(typed()));
        assertThat(typed).contains("  maybe: string | null;\n")
                .contains("  level: 1 | 2 | 3;\n")
                .contains("  nullableNumber: number | null;\n")
                .contains("  options: { [key: string]: unknown };\n")
                .contains("  anything: unknown[];\n")
                .contains("  /**\n   * Most results\n   * @default 10\n   */\n  limit?: number;\n")
                .contains("  limit?: number;\n");
    }

    @Test
    void stubsSurviveHostileSchemas() {
        List<ToolDescriptor> tools = everything();
        String python = StubGenerator.python(tools);
        String ts = StubGenerator.typescript(tools);

        // recursion and broken references fall back to Any / unknown
        assertThat(python).contains("def recursive(\n        *,\n        root: dict[str, Any],\n        self: dict[str, Any],\n        broken: Any,\n");
        assertThat(ts).contains("  root: { value?: string; children?: unknown[] };\n").contains("  broken: unknown;\n");
        // oneOf / allOf / type arrays / enums that no Literal can hold
        assertThat(python).contains("either: Union[str, int],").contains("objectEnum: Any = None,")
                .contains("mixed: Optional[Union[str, list[Any]]] = None,");
        assertThat(ts).contains("  both: ({ x?: number } & { y?: string });\n")
                .contains("  mixed?: string | null | (1 | \"two\" | true | null | 2.5)[];\n")
                .contains("  open?: { [key: string]: number };\n");
        // missing or wrongly typed pieces
        assertThat(python).contains("def missing() -> Any:").contains("def not_a_map() -> Any:")
                .contains("def wrong_kinds(\n        *,\n        a: Any,\n        zz: Any,\n");
        assertThat(ts).contains("missing(args?: HostileMissingArgs): Promise<unknown>;")
                .contains("interface HostileWrongKindsArgs {\n  a: unknown;\n  zz: unknown;\n");
        // a Java map that contains itself is cut at a bounded depth
        assertThat(python).contains("def java_cycle(*, me: dict[str, Any]) -> Any:");
        assertThat(ts).contains("  me: { me?: { me?: { me?: { [key: string]: unknown } } } };\n");
        // huge descriptions are cut
        assertThat(python).contains("[truncated, ").hasSizeLessThan(200_000);
        assertThat(ts).contains("[truncated, ").hasSizeLessThan(200_000);
        // hostile text cannot close a docstring or comment early
        assertThat(python).doesNotContain("Lorem ipsum \"\"\"").contains("Lorem ipsum \\\"\\\"\" dolor");
        assertThat(ts).contains("dolor *\\/ sit");
        for (String line : ts.split("\n")) {
            if (line.strip().startsWith("*") || line.strip().startsWith("/**") || line.strip().startsWith("//")) {
                String body = line.strip().endsWith("*/") ? line.strip().substring(0, line.strip().length() - 2) : line;
                assertThat(body).as(line).doesNotContain("*/");
            }
        }
        // names that collide or cannot be written are listed with a tools.call hint
        assertThat(python).contains("# get_sum is taken by another tool: call it as tools.call(\"hostile.get_sum\", {...})")
                .contains("# Server call: its identifier call clashes with tools.call; call its tools by name:")
                .contains("# Server a_b: its identifier a_b is taken by another server; call its tools by name:")
                .contains("def _2fa() -> Any:");
        assertThat(ts).contains("    \"new\"(args?: HostileNewArgs): Promise<unknown>;\n")
                .contains("    import(args?: HostileImportArgs): Promise<unknown>;\n")
                .contains("  // Server call: its identifier call clashes with tools.call; call its tools by name:\n")
                .contains("type HostileHugeResult = string[];");
        assertThat(StructureCheck.unbalanced(ts)).isNull();
    }

    @Test
    void outputIsSortedAndDeterministic() {
        List<ToolDescriptor> tools = everything();
        String python = StubGenerator.python(tools);
        String ts = StubGenerator.typescript(tools);
        for (int seed = 0; seed < 5; seed++) {
            List<ToolDescriptor> shuffled = new ArrayList<>(tools);
            Collections.shuffle(shuffled, new Random(seed));
            assertThat(StubGenerator.python(shuffled)).isEqualTo(python);
            assertThat(StubGenerator.typescript(shuffled)).isEqualTo(ts);
        }
        assertThat(python.indexOf("class everything:")).isLessThan(python.indexOf("class memory:"));
        assertThat(python.indexOf("def echo(")).isLessThan(python.indexOf("def get_sum("));
        assertThat(ts.indexOf("    echo(")).isLessThan(ts.indexOf("    get_sum("));
    }

    @Test
    void veryWideSchemasAreCapped() {
        StringBuilder props = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            props.append(i == 0 ? "" : ",").append("\"p").append(i).append("\":{\"type\":\"integer\"}");
        }
        ToolDescriptor wide = tool("srv.wide", null, "Many arguments.", "{\"type\":\"object\",\"properties\":{" + props + "}}");
        String python = StubGenerator.python(List.of(wide));
        assertThat(python).contains("        p99: Optional[int] = None,\n        **kwargs: Any,\n")
                .doesNotContain("p100: Optional[int] = None")
                .contains("p149 (int, optional): Pass it as **{\"p149\": ...}.");
        String ts = StubGenerator.typescript(List.of(wide));
        assertThat(ts).contains("  p99?: number;\n  // 50 more properties are not listed.\n  [key: string]: unknown;\n}");
    }

    @Test
    void argumentsKeepDeclaredOrderButHashOrderIsSorted() {
        Map<String, Object> declared = new LinkedHashMap<>();
        declared.put("zeta", Map.of("type", "string"));
        declared.put("alpha", Map.of("type", "string"));
        ToolDescriptor ordered = tool("srv.ordered", null, "", Map.of("type", "object", "properties", declared,
                "required", List.of("zeta", "alpha")), null, false, false);
        assertThat(StubGenerator.python(List.of(ordered))).contains("def ordered(*, zeta: str, alpha: str) -> Any:");
        ToolDescriptor hashed = tool("srv.hashed", null, "", Map.of("type", "object", "properties",
                Map.of("zeta", Map.of("type", "string"), "alpha", Map.of("type", "string"), "mid", Map.of("type", "string")),
                "required", List.of("zeta", "alpha", "mid")), null, false, false);
        assertThat(StubGenerator.python(List.of(hashed))).contains("def hashed(*, alpha: str, mid: str, zeta: str) -> Any:");
        assertThat(CallSnippet.forLanguage(hashed, "python")).isEqualTo("result = tools.srv.hashed(alpha=\"...\", mid=\"...\", zeta=\"...\")");
    }

    @Test
    void titleThatRepeatsTheNameIsNotShown() {
        ToolDescriptor t = tool("srv.do-it", "do-it", "Does it.", "{}");
        assertThat(StubGenerator.python(List.of(t))).contains("        \"\"\"Does it.\n");
    }

    @Test
    void emptyToolListGivesTheBareApi() {
        assertThat(StubGenerator.python(List.of())).contains("def call(").contains("def result(").doesNotContain("\nclass ");
        assertThat(StubGenerator.typescript(List.of())).contains("declare const tools: {\n  /** Calls");
    }
}
