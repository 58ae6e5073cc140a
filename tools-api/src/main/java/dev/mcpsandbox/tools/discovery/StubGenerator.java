package dev.mcpsandbox.tools.discovery;

import dev.mcpsandbox.tools.ToolName;
import dev.mcpsandbox.tools.registry.ToolDescriptor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Typed stubs of the callable tools, for a model to read (as MCP resources) before it writes code:
 * a Python module ({@code .pyi}-style, and valid Python) and a TypeScript declaration file
 * ({@code .d.ts}) describing the guest {@code tools} object.
 *
 * <p>Both are deterministic (servers and tools sorted by name) and survive any schema: what a type
 * cannot express becomes {@code Any} / {@code unknown}, text is escaped for the place it goes and
 * long descriptions are cut. Names follow {@link ToolName#identifier(String)}. Where a name cannot be
 * written at all, the stub says so in a comment and points to {@code tools.call("server.tool", ...)}:
 * a server whose identifier clashes with {@code call}/{@code result} (or, in Python, is a keyword), a
 * tool whose identifier is a Python keyword (Python only), and the second of two names that map to the
 * same identifier. In Python, arguments whose names are not identifiers or are keywords ({@code class},
 * {@code from}, {@code my-arg}) are not parameters: the signature gets {@code **kwargs} and the
 * docstring says to pass them as {@code **{"class": ...}}, so the real name is what goes on the wire.
 * No name is ever renamed. In TypeScript such names are simply quoted.
 */
public final class StubGenerator {
    private static final int MAX_PARAMETERS = 100;
    private static final int PY_WIDTH = 88;
    private static final int TS_WIDTH = 100;
    /** Global TypeScript library types whose names our {@code …Args}/{@code …Result} names could hit. */
    private static final Set<String> TS_GLOBAL_NAMES = Set.of(
            "IteratorResult", "IteratorYieldResult", "IteratorReturnResult", "PromiseFulfilledResult",
            "PromiseRejectedResult", "PromiseSettledResult", "XPathResult", "SpeechRecognitionResult",
            "ReadableStreamReadResult", "ReadableStreamReadDoneResult", "ReadableStreamReadValueResult");

    private StubGenerator() {
    }

    // ------------------------------------------------------------------------------------------ Python

    /** The Python stub module for these tools. */
    public static String python(List<ToolDescriptor> tools) {
        StringBuilder out = new StringBuilder();
        out.append("""
                \"""Typed stubs of the MCP tools this code may call through `tools` (generated; do not edit).

                tools.<server>.<tool>(name=value, ...) calls a tool and returns its value: its structured
                content, or else its text (parsed as JSON when it is JSON). tools.call("server.tool", {...})
                does the same by the tool's real name. tools.result(value) hands a JSON value back to the
                client. A refused or failing call raises an exception that names the reason.

                Names: <server> and <tool> are the real names with every character other than an ASCII
                letter, digit or underscore turned into "_", and "_" put before a leading digit
                (everything.get-sum -> tools.everything.get_sum).

                Arguments are keyword-only. Optional ones are shown as `= None`: leave them out to not send
                them. An argument whose name is not a Python identifier or is a keyword (class, from,
                my-arg) is not a parameter here; its method takes **kwargs instead and its docstring lists
                it: pass it as **{"class": ...}, or use tools.call(). The real name is what is sent; names
                are never changed. A server or tool that cannot be written as tools.<server>.<tool> (a
                keyword, a clash with call/result, two names with one identifier) is listed in a comment:
                reach it with tools.call("server.tool", {...}).
                \"""
                from __future__ import annotations

                from typing import Any, Literal, Optional, Union


                def call(name: str, args: Optional[dict[str, Any]] = None) -> Any:
                    \"""Calls the tool with this qualified name (\"server.tool\", as the server names it).\"""
                    ...


                def result(value: Any) -> None:
                    \"""Hands a JSON value back to the client (the `result` of execute_code); the last call wins.\"""
                    ...
                """);
        Set<String> classes = new HashSet<>();
        for (Map.Entry<String, List<ToolDescriptor>> server : byServer(tools).entrySet()) {
            String name = server.getKey();
            String id = ToolName.identifier(name);
            String problem = !SourceText.isPythonName(id) ? "its identifier " + id + " is a Python keyword"
                    : CallSnippet.GUEST_API_MEMBERS.contains(id) ? "its identifier " + id + " clashes with tools." + id
                    : !classes.add(id) ? "its identifier " + id + " is taken by another server" : null;
            out.append("\n\n");
            if (problem != null) {
                out.append(pyComment("Server " + name + ": " + problem + "; call its tools by name:", ""));
                for (ToolDescriptor t : server.getValue()) {
                    out.append(pyComment("  tools.call(" + SourceText.quote(t.name().qualified()) + ", {...})", ""));
                }
                continue;
            }
            out.append("class ").append(id).append(":\n");
            out.append("    \"\"\"").append(SourceText.docstringLine("Tools of the MCP server " + name + "."))
                    .append("\"\"\"\n");
            Set<String> methods = new HashSet<>();
            for (ToolDescriptor tool : server.getValue()) {
                String toolId = ToolName.identifier(tool.name().tool());
                String qualified = SourceText.quote(tool.name().qualified());
                out.append('\n');
                if (!SourceText.isPythonName(toolId)) {
                    out.append(pyComment(toolId + " is a Python keyword: call it as tools.call(" + qualified + ", {...})", "    "));
                } else if (!methods.add(toolId)) {
                    out.append(pyComment(toolId + " is taken by another tool: call it as tools.call(" + qualified
                            + ", {...})", "    "));
                } else {
                    pythonMethod(out, tool, toolId);
                }
            }
        }
        return out.toString();
    }

    private static void pythonMethod(StringBuilder out, ToolDescriptor tool, String methodName) {
        Map<String, Object> input = tool.inputSchema();
        PythonTypes types = new PythonTypes(input);
        List<Schemas.Property> properties = requiredFirst(Schemas.properties(input, input));
        List<Schemas.Property> named = new ArrayList<>();
        List<Schemas.Property> unnamed = new ArrayList<>();
        for (Schemas.Property p : properties) {
            (SourceText.isPythonName(p.name()) && named.size() < MAX_PARAMETERS ? named : unnamed).add(p);
        }
        List<String> parameters = new ArrayList<>();
        for (Schemas.Property p : named) {
            parameters.add(p.required()
                    ? p.name() + ": " + types.hint(p.schema())
                    : p.name() + ": " + types.optionalHint(p.schema()) + " = None");
        }
        if (!unnamed.isEmpty()) {
            String kwargs = "kwargs";
            Set<String> taken = new HashSet<>();
            named.forEach(p -> taken.add(p.name()));
            while (taken.contains(kwargs)) {
                kwargs = kwargs + "_";
            }
            parameters.add("**" + kwargs + ": Any");
        }
        if (!named.isEmpty()) {
            parameters.add(0, "*");
        }
        Optional<Map<String, Object>> output = outputSchema(tool);
        String returns = output.map(o -> new PythonTypes(o).hint(o)).orElse(PythonTypes.ANY);

        out.append("    @staticmethod\n");
        String oneLine = "    def " + methodName + "(" + String.join(", ", parameters) + ") -> " + returns + ":";
        if (oneLine.length() <= PY_WIDTH) {
            out.append(oneLine).append('\n');
        } else {
            out.append("    def ").append(methodName).append("(\n");
            for (String parameter : parameters) {
                out.append("        ").append(parameter).append(",\n");
            }
            out.append("    ) -> ").append(returns).append(":\n");
        }

        List<String> doc = new ArrayList<>(summary(tool, PY_WIDTH - 8));
        doc.add("");
        doc.add("Tool: " + tool.name().qualified() + flags(tool));
        if (!properties.isEmpty()) {
            doc.add("");
            doc.add("Args:");
            for (Schemas.Property p : named) {
                argumentDoc(doc, p, input, types.describe(p.schema()), null);
            }
            for (Schemas.Property p : unnamed) {
                argumentDoc(doc, p, input, types.describe(p.schema()),
                        "Pass it as **{" + SourceText.quote(p.name()) + ": ...}.");
            }
        }
        output.ifPresent(o -> {
            List<Schemas.Property> fields = Schemas.properties(o, o);
            if (!fields.isEmpty()) {
                doc.add("");
                doc.add("Returns:");
                PythonTypes outputTypes = new PythonTypes(o);
                for (Schemas.Property p : fields.subList(0, Math.min(fields.size(), MAX_PARAMETERS))) {
                    argumentDoc(doc, p, o, outputTypes.describe(p.schema()), null);
                }
            }
        });
        out.append("        \"\"\"").append(SourceText.docstringLine(doc.get(0))).append('\n');
        for (String line : doc.subList(1, doc.size())) {
            out.append(line.isEmpty() ? "" : "        " + SourceText.docstringLine(line)).append('\n');
        }
        out.append("        \"\"\"\n");
        out.append("        ...\n");
    }

    /** One entry of an Args/Returns section: {@code name (type[, optional]): description Default: x. note}. */
    private static void argumentDoc(List<String> doc, Schemas.Property p, Object root, String type, String note) {
        List<String> details = new ArrayList<>();
        String description = Schemas.description(p.schema(), root);
        if (description != null) {
            details.add(oneLine(description, SourceText.MAX_ARGUMENT_DESCRIPTION));
        }
        Map<?, ?> schema = Schemas.deref(p.schema(), root);
        if (Schemas.has(schema, "default") && Literals.small(Schemas.get(schema, "default"))) {
            details.add("Default: " + Literals.write(Schemas.get(schema, "default"), Literals.Style.PYTHON) + ".");
        }
        if (note != null) {
            details.add(note);
        }
        String text = oneLine(p.name(), SourceText.MAX_SHORT) + " (" + type + (p.required() ? "" : ", optional") + ")"
                + (details.isEmpty() ? "" : ": " + sentences(details));
        List<String> lines = SourceText.wrap(text, PY_WIDTH - 12);
        for (int i = 0; i < lines.size(); i++) {
            doc.add((i == 0 ? "    " : "        ") + lines.get(i));
        }
    }

    /** Texts joined by spaces, each but the last given a full stop when it ends without punctuation. */
    private static String sentences(List<String> texts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            b.append(i == 0 ? "" : " ").append(t);
            if (i + 1 < texts.size() && !t.isEmpty() && ".!?:;".indexOf(t.charAt(t.length() - 1)) < 0) {
                b.append('.');
            }
        }
        return b.toString();
    }

    private static String pyComment(String text, String indent) {
        return indent + "# " + SourceText.commentText(text) + "\n";
    }

    // -------------------------------------------------------------------------------------- TypeScript

    /** The TypeScript declaration file for these tools. */
    public static String typescript(List<ToolDescriptor> tools) {
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

    // ---------------------------------------------------------------------------------------- shared

    /** The tools grouped by server, servers and tools sorted by name, null entries and repeated names dropped. */
    private static Map<String, List<ToolDescriptor>> byServer(List<ToolDescriptor> tools) {
        Objects.requireNonNull(tools, "tools");
        List<ToolDescriptor> sorted = new ArrayList<>();
        for (ToolDescriptor t : tools) {
            if (t != null) {
                sorted.add(t);
            }
        }
        sorted.sort(Comparator.comparing((ToolDescriptor t) -> t.name().server()).thenComparing(t -> t.name().tool()));
        Map<String, List<ToolDescriptor>> out = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (ToolDescriptor t : sorted) {
            if (seen.add(t.name().qualified())) {
                out.computeIfAbsent(t.name().server(), s -> new ArrayList<>()).add(t);
            }
        }
        return out;
    }

    private static List<Schemas.Property> requiredFirst(List<Schemas.Property> properties) {
        List<Schemas.Property> out = new ArrayList<>(properties.size());
        properties.stream().filter(Schemas.Property::required).forEach(out::add);
        properties.stream().filter(p -> !p.required()).forEach(out::add);
        return out;
    }

    private static Optional<Map<String, Object>> outputSchema(ToolDescriptor tool) {
        Optional<Map<String, Object>> output = tool.outputSchema();
        return output == null ? Optional.empty() : output;
    }

    /** Title (one line) and description (wrapped, cut when huge); the tool name when there is neither. */
    private static List<String> summary(ToolDescriptor tool, int width) {
        List<String> lines = new ArrayList<>();
        String title = tool.title();
        if (title != null && !title.isBlank() && !title.strip().equals(tool.name().tool())
                && !title.strip().equals(tool.name().qualified())) {
            lines.add(oneLine(tool.title(), SourceText.MAX_SHORT));
        }
        List<String> description = SourceText.wrap(SourceText.truncate(tool.description(), SourceText.MAX_DESCRIPTION), width);
        if (!description.isEmpty()) {
            if (!lines.isEmpty()) {
                lines.add("");
            }
            lines.addAll(description);
        }
        if (lines.isEmpty()) {
            lines.add(tool.name().qualified());
        }
        return lines;
    }

    private static String flags(ToolDescriptor tool) {
        List<String> flags = new ArrayList<>();
        if (tool.readOnly()) {
            flags.add("read-only");
        }
        if (tool.destructive()) {
            flags.add("destructive");
        }
        return flags.isEmpty() ? "" : " (" + String.join(", ", flags) + ")";
    }

    /** Whitespace runs (line breaks included) collapsed to one space, cut to {@code max}. */
    private static String oneLine(String text, int max) {
        return SourceText.truncate(text.strip().replaceAll("\\s+", " "), max);
    }
}
