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
    static final int MAX_PARAMETERS = 100;

    private StubGenerator() {
    }

    /** The Python stub module for these tools. */
    public static String python(List<ToolDescriptor> tools) {
        return PythonStub.python(tools);
    }

    /** The TypeScript declaration file for these tools. */
    public static String typescript(List<ToolDescriptor> tools) {
        return TypeScriptStub.typescript(tools);
    }

    // ------------------------------------------------------------------- shared by both languages

    /** The tools grouped by server, servers and tools sorted by name, null entries and repeated names dropped. */
    static Map<String, List<ToolDescriptor>> byServer(List<ToolDescriptor> tools) {
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

    static List<Schemas.Property> requiredFirst(List<Schemas.Property> properties) {
        List<Schemas.Property> out = new ArrayList<>(properties.size());
        properties.stream().filter(Schemas.Property::required).forEach(out::add);
        properties.stream().filter(p -> !p.required()).forEach(out::add);
        return out;
    }

    static Optional<Map<String, Object>> outputSchema(ToolDescriptor tool) {
        Optional<Map<String, Object>> output = tool.outputSchema();
        return output == null ? Optional.empty() : output;
    }

    /** Title (one line) and description (wrapped, cut when huge); the tool name when there is neither. */
    static List<String> summary(ToolDescriptor tool, int width) {
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

    static String flags(ToolDescriptor tool) {
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
    static String oneLine(String text, int max) {
        return SourceText.truncate(text.strip().replaceAll("\\s+", " "), max);
    }
}
