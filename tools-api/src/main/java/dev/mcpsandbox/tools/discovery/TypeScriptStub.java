package dev.mcpsandbox.tools.discovery;

import dev.mcpsandbox.tools.ToolName;
import dev.mcpsandbox.tools.registry.ToolDescriptor;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.mcpsandbox.tools.discovery.StubGenerator.MAX_PARAMETERS;
import static dev.mcpsandbox.tools.discovery.StubGenerator.byServer;
import static dev.mcpsandbox.tools.discovery.StubGenerator.flags;
import static dev.mcpsandbox.tools.discovery.StubGenerator.oneLine;
import static dev.mcpsandbox.tools.discovery.StubGenerator.outputSchema;
import static dev.mcpsandbox.tools.discovery.StubGenerator.requiredFirst;
import static dev.mcpsandbox.tools.discovery.StubGenerator.summary;

/**
 * The TypeScript declaration file ({@code .d.ts}) of {@link StubGenerator}: an interface per tool's
 * arguments (and result, when it has an output schema) and one {@code tools} object declaring them all.
 */
final class TypeScriptStub {
    private static final int TS_WIDTH = 100;
    /** Global TypeScript library types whose names our {@code …Args}/{@code …Result} names could hit. */
    private static final Set<String> TS_GLOBAL_NAMES = Set.of(
            "IteratorResult", "IteratorYieldResult", "IteratorReturnResult", "PromiseFulfilledResult",
            "PromiseRejectedResult", "PromiseSettledResult", "XPathResult", "SpeechRecognitionResult",
            "ReadableStreamReadResult", "ReadableStreamReadDoneResult", "ReadableStreamReadValueResult");

    private TypeScriptStub() {
    }

    /** The TypeScript declaration file for these tools. */
    static String typescript(List<ToolDescriptor> tools) {
        StringBuilder types = new StringBuilder();
        StringBuilder object = new StringBuilder();
        Set<String> typeNames = new HashSet<>(TS_GLOBAL_NAMES);
        Set<String> servers = new HashSet<>();
        for (Map.Entry<String, List<ToolDescriptor>> server : byServer(tools).entrySet()) {
            String name = server.getKey();
            String id = ToolName.identifier(name);
            String problem = CallSnippet.GUEST_API_MEMBERS.contains(id) ? "its identifier " + id + " clashes with tools." + id
                    : CallSnippet.JS_UNSAFE_MEMBERS.contains(id) ? "its identifier " + id + " cannot be a property"
                    : !servers.add(id) ? "its identifier " + id + " is taken by another server" : null;
            if (problem != null) {
                object.append("  // ").append(SourceText.commentText("Server " + name + ": " + problem
                        + "; call its tools by name:")).append('\n');
                for (ToolDescriptor t : server.getValue()) {
                    object.append("  //   ").append(SourceText.commentText("await tools.call("
                            + SourceText.quote(t.name().qualified()) + ", {...})")).append('\n');
                }
                continue;
            }
            object.append("  ").append(tsMember(id)).append(": {\n");
            Set<String> methods = new HashSet<>();
            for (ToolDescriptor tool : server.getValue()) {
                String toolId = ToolName.identifier(tool.name().tool());
                String call = "await tools.call(" + SourceText.quote(tool.name().qualified()) + ", {...})";
                if (CallSnippet.JS_UNSAFE_MEMBERS.contains(toolId)) {
                    object.append("    // ").append(SourceText.commentText(toolId + " cannot be a property: call it as " + call)).append('\n');
                    continue;
                }
                if (!methods.add(toolId)) {
                    object.append("    // ").append(SourceText.commentText(toolId + " is taken by another tool: call it as " + call)).append('\n');
                    continue;
                }
                typescriptTool(types, object, tool, toolId, typeNames);
            }
            object.append("  };\n");
        }
        StringBuilder out = new StringBuilder();
        out.append("""
                // Typed declarations of the MCP tools this code may call through `tools` (generated; do not edit).
                //
                // await tools.<server>.<tool>({ ...arguments }) calls a tool and resolves to its value: its
                // structured content, or else its text (parsed as JSON when it is JSON). await tools.call(
                // "server.tool", { ... }) does the same by the tool's real name. await tools.result(value)
                // hands a JSON value back to the client. A refused or failing call rejects with an error that
                // names the reason.
                //
                // Names: <server> and <tool> are the real names with every character other than an ASCII
                // letter, digit or underscore turned into "_", and "_" put before a leading digit
                // (everything.get-sum -> tools.everything.get_sum). Argument names are the real names, quoted
                // where they are not identifiers. A server or tool that cannot be written as
                // tools.<server>.<tool> (a clash with call/result, two names with one identifier) is listed
                // in a comment: reach it with tools.call("server.tool", { ... }).
                """);
        out.append(types);
        out.append("\ndeclare const tools: {\n");
        out.append(object);
        out.append("""
                  /** Calls the tool with this qualified name ("server.tool", as the server names it). */
                  call(name: string, args?: object): Promise<unknown>;
                  /** Hands a JSON value back to the client (the `result` of execute_code); the last call wins. */
                  result(value: unknown): Promise<void>;
                };
                """);
        return out.toString();
    }

    private static void typescriptTool(StringBuilder types, StringBuilder object, ToolDescriptor tool, String toolId,
                                       Set<String> typeNames) {
        String base = SourceText.pascal(ToolName.identifier(tool.name().server())) + SourceText.pascal(toolId);
        String qualified = tool.name().qualified();
        Map<String, Object> input = tool.inputSchema();
        List<Schemas.Property> properties = requiredFirst(Schemas.properties(input, input));
        String argsName = unique(base + "Args", typeNames);
        types.append('\n');
        jsDoc(types, "", List.of("Arguments of " + qualified + "."));
        interfaceBody(types, argsName, properties, input);

        String resultType = TypeScriptTypes.UNKNOWN;
        Optional<Map<String, Object>> output = outputSchema(tool);
        if (output.isPresent()) {
            Map<String, Object> o = output.get();
            String resultName = unique(base + "Result", typeNames);
            List<Schemas.Property> fields = Schemas.properties(o, o);
            String alias = new TypeScriptTypes(o).type(o);
            types.append('\n');
            jsDoc(types, "", List.of("Value of " + qualified + " (from its output schema)."));
            if (!fields.isEmpty() && alias.startsWith("{")) {
                interfaceBody(types, resultName, fields, o);
            } else {
                types.append("type ").append(resultName).append(" = ").append(alias).append(";\n");
            }
            resultType = resultName;
        }

        List<String> doc = new ArrayList<>(summary(tool, TS_WIDTH - 7));
        doc.add("");
        doc.add("Tool: " + qualified + flags(tool));
        jsDoc(object, "    ", doc);
        boolean optionalArgs = properties.stream().noneMatch(Schemas.Property::required);
        object.append("    ").append(toolId.equals("new") ? SourceText.quote(toolId) : toolId)
                .append("(args").append(optionalArgs ? "?" : "").append(": ").append(argsName)
                .append("): Promise<").append(resultType).append(">;\n");
    }

    private static void interfaceBody(StringBuilder out, String name, List<Schemas.Property> properties, Object root) {
        TypeScriptTypes types = new TypeScriptTypes(root);
        out.append("interface ").append(name).append(" {\n");
        int shown = Math.min(properties.size(), MAX_PARAMETERS);
        for (Schemas.Property p : properties.subList(0, shown)) {
            List<String> doc = new ArrayList<>();
            String description = Schemas.description(p.schema(), root);
            if (description != null) {
                doc.addAll(SourceText.wrap(oneLine(description, SourceText.MAX_ARGUMENT_DESCRIPTION), TS_WIDTH - 5));
            }
            Map<?, ?> schema = Schemas.deref(p.schema(), root);
            if (Schemas.has(schema, "default") && Literals.small(Schemas.get(schema, "default"))) {
                doc.add("@default " + Literals.write(Schemas.get(schema, "default"), Literals.Style.JSON));
            }
            if (!doc.isEmpty()) {
                jsDoc(out, "  ", doc);
            }
            out.append("  ").append(TypeScriptTypes.propertyName(p.name())).append(p.required() ? "" : "?")
                    .append(": ").append(types.type(p.schema())).append(";\n");
        }
        if (properties.size() > shown) {
            out.append("  // ").append(properties.size() - shown).append(" more properties are not listed.\n");
            out.append("  [key: string]: unknown;\n");
        }
        out.append("}\n");
    }

    private static void jsDoc(StringBuilder out, String indent, List<String> lines) {
        if (lines.size() == 1) {
            out.append(indent).append("/** ").append(SourceText.commentText(lines.get(0))).append(" */\n");
            return;
        }
        out.append(indent).append("/**\n");
        for (String line : lines) {
            String text = SourceText.commentText(line);
            out.append(indent).append(text.isEmpty() ? " *" : " * " + text).append('\n');
        }
        out.append(indent).append(" */\n");
    }

    private static String tsMember(String id) {
        return id.equals("new") ? SourceText.quote(id) : id;
    }

    private static String unique(String name, Set<String> taken) {
        String candidate = name;
        for (int i = 2; !taken.add(candidate); i++) {
            candidate = name + i;
        }
        return candidate;
    }
}
