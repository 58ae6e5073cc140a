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
 * The Python stub module ({@code .pyi}-style, and valid Python) of {@link StubGenerator}: a class per
 * server with a static method per tool, keyword-only arguments, and docstrings in the Google style.
 */
final class PythonStub {
    private static final int PY_WIDTH = 88;

    private PythonStub() {
    }

    /** The Python stub module for these tools. */
    static String python(List<ToolDescriptor> tools) {
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
}
