package dev.mcpsandbox.tools.discovery;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.tools.ToolName;
import dev.mcpsandbox.tools.registry.ToolDescriptor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Tool descriptors for the discovery tests, with schemas written as JSON the way upstream servers send them. */
final class Fixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    static Map<String, Object> schema(String json) {
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static ToolDescriptor tool(String qualified, String title, String description, String inputSchema) {
        return tool(qualified, title, description, schema(inputSchema), null, false, false);
    }

    static ToolDescriptor tool(String qualified, String title, String description, Map<String, Object> inputSchema,
                               String outputSchema, boolean readOnly, boolean destructive) {
        ToolName name = ToolName.parse(qualified).orElseThrow();
        return new ToolDescriptor(name, title, description, inputSchema,
                Optional.ofNullable(outputSchema).map(Fixtures::schema), readOnly, destructive);
    }

    static ToolDescriptor getSum() {
        return tool("everything.get-sum", "Get Sum Tool", "Returns the sum of two numbers", schema("""
                {"type":"object","properties":{"a":{"type":"number","description":"First number"},
                 "b":{"type":"number","description":"Second number"}},"required":["a","b"]}"""), null, true, false);
    }

    static ToolDescriptor echo() {
        return tool("everything.echo", null, "Echoes back the input string", """
                {"type":"object","properties":{"message":{"type":"string","description":"Message to echo"}},
                 "required":["message"]}""");
    }

    static ToolDescriptor structuredContent() {
        return tool("everything.get-structured-content", "Get Structured Content Tool",
                "Returns structured content along with an output schema for client data validation", schema("""
                {"type":"object","properties":{"location":{"type":"string","enum":["New York","Chicago","Los Angeles"],
                 "description":"Choose city"}},"required":["location"]}"""), """
                {"type":"object","properties":{"temperature":{"type":"number","description":"Temperature in celsius"},
                 "conditions":{"type":"string","description":"Weather conditions description"},
                 "humidity":{"type":"number","description":"Humidity percentage"}},
                 "required":["temperature","conditions","humidity"]}""", true, false);
    }

    static ToolDescriptor createEntities() {
        return tool("memory.create_entities", null, "Create multiple new entities in the knowledge graph", schema("""
                {"type":"object","properties":{"entities":{"type":"array","items":{"type":"object","properties":{
                 "name":{"type":"string","description":"The name of the entity"},
                 "entityType":{"type":"string","description":"The type of the entity"},
                 "observations":{"type":"array","items":{"type":"string"}}},
                 "required":["name","entityType","observations"]}}},"required":["entities"]}"""), null, false, false);
    }

    static ToolDescriptor deleteEntities() {
        return tool("memory.delete_entities", null, "Delete multiple entities and their associated relations", schema("""
                {"type":"object","properties":{"entityNames":{"type":"array","items":{"type":"string"},
                 "description":"An array of entity names to delete"}},"required":["entityNames"]}"""), null, false, true);
    }

    static ToolDescriptor searchNodes() {
        return tool("memory.search_nodes", null, "Search for nodes in the knowledge graph based on a query", """
                {"type":"object","properties":{"query":{"type":"string","description":"The search query to match"}},
                 "required":["query"]}""");
    }

    /** A tool with argument names Python cannot take as keywords, and one that collides with **kwargs. */
    static ToolDescriptor keywordArguments() {
        return tool("odd.weird-tool", "Weird", "Takes awkward argument names.", """
                {"type":"object","properties":{
                  "class":{"type":"string","description":"The class"},
                  "from":{"type":"integer"},
                  "my-arg":{"type":"number","description":"Hyphenated"},
                  "kwargs":{"type":"boolean"},
                  "plain":{"type":"string"}},
                 "required":["class","my-arg","plain"]}""");
    }

    static List<ToolDescriptor> realistic() {
        return List.of(getSum(), echo(), structuredContent(), createEntities(), deleteEntities(), searchNodes());
    }

    /** Schemas and names meant to break generators: recursion, broken references, wrong kinds, huge text. */
    static List<ToolDescriptor> hostile() {
        List<ToolDescriptor> out = new ArrayList<>();
        out.add(tool("hostile.recursive", null, "A tree.", """
                {"type":"object","$defs":{"Node":{"type":"object","properties":{"value":{"type":"string"},
                 "children":{"type":"array","items":{"$ref":"#/$defs/Node"}}}}},
                 "properties":{"root":{"$ref":"#/$defs/Node"},"self":{"$ref":"#"},"loop":{"$ref":"#/$defs/A"},
                  "broken":{"$ref":"#/$defs/Missing"},"remote":{"$ref":"https://example.com/schema.json"}},
                 "required":["root","self","broken"]}"""));
        out.add(tool("hostile.one-of", null, "Alternatives.", """
                {"type":"object","properties":{
                  "either":{"oneOf":[{"type":"string"},{"type":"integer"}]},
                  "maybe":{"anyOf":[{"type":"string"},{"type":"null"}]},
                  "both":{"allOf":[{"type":"object","properties":{"x":{"type":"number"}}},{"properties":{"y":{"type":"string"}}}]},
                  "mixed":{"type":["string","null","array"],"items":{"enum":[1,"two",true,null,2.5]}},
                  "objectEnum":{"enum":[{"a":1},[1]]},
                  "constant":{"const":"fixed"},
                  "open":{"type":"object","additionalProperties":{"type":"integer"}},
                  "tuple":{"type":"array","items":[{"type":"string"}]},
                  "weirdType":{"type":"datetime"},
                  "empty":{},
                  "boolSchema":true},
                 "required":["either","both"]}"""));
        out.add(tool("hostile.missing", null, null, "{}"));
        out.add(tool("hostile.not-a-map", "", "", """
                {"type":7,"properties":"oops","required":"a"}"""));
        out.add(tool("hostile.wrong-kinds", null, "Values of the wrong kind everywhere.", """
                {"type":"object","properties":{"a":5,"b":null,"c":[1,2],"d":{"type":["string",3]},
                 "e":{"enum":"x"},"f":{"items":"y","type":"array"},"g":{"anyOf":"z"},"h":{"description":7}},
                 "required":["a",1,null,"zz"]}"""));
        Map<String, Object> selfContaining = new LinkedHashMap<>();
        selfContaining.put("type", "object");
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("me", selfContaining);
        selfContaining.put("properties", props);
        selfContaining.put("default", selfContaining);
        Map<String, Object> input = new HashMap<>();
        input.put("type", "object");
        input.put("properties", props);
        input.put("required", List.of("me"));
        out.add(tool("hostile.java-cycle", null, "A map that contains itself.", input, null, false, false));
        String huge = ("Lorem ipsum \"\"\" dolor */ sit \\ amet, \u2028 consectetur\n").repeat(2000);
        out.add(tool("hostile.huge", "Title with \"\"\" and */ and\nnewline", huge, schema("""
                {"type":"object","properties":{"text":{"type":"string","description":%s}},"required":["text"]}"""
                .formatted(quote(huge))), "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}", true, true));
        out.add(tool("hostile.name\"\"\" */ \n'x", null, "A name with quotes, comment ends and a line break.",
                """
                {"type":"object","properties":{"\\"\\"\\"":{"type":"string","enum":["a\\"\\"\\"b","*/","\\n",""]},
                 "ends-with-quote\\"":{"type":"string","description":"ends with a quote\\""}},"required":["\\"\\"\\""]}"""));
        out.add(tool("hostile.import", null, "A tool whose identifier is a Python keyword.", "{\"type\":\"object\"}"));
        out.add(tool("hostile.new", null, "A tool whose identifier is a TypeScript construct-signature keyword.", "{}"));
        out.add(tool("hostile.2fa", null, "Leading digit.", "{}"));
        out.add(tool("hostile.get-sum", null, "Collides with get_sum.", "{}"));
        out.add(tool("hostile.get_sum", null, "Collides with get-sum.", "{}"));
        out.add(tool("call.anything", null, "A server whose identifier clashes with tools.call.", "{}"));
        out.add(tool("class.x", null, "A server whose identifier is a Python keyword.", "{}"));
        out.add(tool("a-b.x", null, "Collides with a_b.", "{}"));
        out.add(tool("a_b.x", null, "Collides with a-b.", "{}"));
        return out;
    }

    static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
