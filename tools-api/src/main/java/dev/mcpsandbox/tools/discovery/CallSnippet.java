package dev.mcpsandbox.tools.discovery;

import dev.mcpsandbox.tools.ToolName;
import dev.mcpsandbox.tools.registry.ToolDescriptor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A ready-to-paste call of one tool in a sandbox language, with example arguments built from its input
 * schema: every required argument, valued by its schema's {@code default}, else its first
 * {@code examples} entry (or {@code example}), else its {@code const}, else its first {@code enum}
 * value, else a placeholder for its type ({@code "..."}, {@code 0}, {@code false}, {@code []},
 * {@code {}}; {@code null} when the schema says nothing). Optional arguments are left out.
 *
 * <ul>
 *   <li>Python: {@code result = tools.everything.get_sum(a=0, b=0)}; when a name cannot be written
 *       that way (an argument that is not a Python identifier or is a keyword, a server or tool whose
 *       identifier is a keyword or clashes with {@code tools.call}/{@code tools.result}):
 *       {@code result = tools.call("everything.get-sum", {"a": 0, "b": 0})}.</li>
 *   <li>JavaScript: {@code const result = await tools.everything.get_sum({"a": 0, "b": 0});} (or
 *       {@code tools.call(...)} for a server that clashes with the API).</li>
 *   <li>Every other language: {@code tool everything.get-sum '{"a": 0, "b": 0}'}, for a POSIX
 *       shell.</li>
 * </ul>
 * The argument object is always valid JSON (in Python, {@code True}/{@code False}/{@code None} take
 * the place of JSON's literals).
 */
public final class CallSnippet {
    /** Members of the guest {@code tools} object besides the servers; a server with such an identifier is reached by name. */
    static final Set<String> GUEST_API_MEMBERS = Set.of("call", "result");
    /** Names that a plain JavaScript object cannot hold as its own property. */
    static final Set<String> JS_UNSAFE_MEMBERS = Set.of("__proto__");

    private static final int MAX_PLACEHOLDER_DEPTH = 8;

    private CallSnippet() {
    }

    /**
     * The call in the language with this id ({@code python}, {@code javascript} and their aliases
     * {@code py}, {@code python3}, {@code js}, {@code node}, {@code nodejs}); any other id (or null)
     * gets the {@code tool} command form.
     */
    public static String forLanguage(ToolDescriptor tool, String languageId) {
        Objects.requireNonNull(tool, "tool");
        String language = languageId == null ? "" : languageId.strip().toLowerCase(Locale.ROOT);
        Map<String, Object> args = examples(tool);
        return switch (language) {
            case "python", "python3", "py" -> python(tool.name(), args);
            case "javascript", "js", "node", "nodejs" -> javascript(tool.name(), args);
            default -> shell(tool.name(), args);
        };
    }

    /**
     * The example arguments: the tool's required arguments in schema order, each with the value
     * described above. Values are plain maps, lists, strings, numbers, booleans or null.
     */
    public static Map<String, Object> exampleArguments(ToolDescriptor tool) {
        Objects.requireNonNull(tool, "tool");
        return Collections.unmodifiableMap(examples(tool));
    }

    /** The example arguments in a {@link LinkedHashMap}, which {@link Literals} writes in its order. */
    private static LinkedHashMap<String, Object> examples(ToolDescriptor tool) {
        Object root = tool.inputSchema();
        LinkedHashMap<String, Object> args = new LinkedHashMap<>();
        for (Schemas.Property p : Schemas.properties(root, root)) {
            if (p.required()) {
                args.put(p.name(), placeholder(p.schema(), root, 0));
            }
        }
        return args;
    }

    /** Can {@code tools.<server>.<tool>} be written in Python for this name? */
    static boolean pythonAttributePath(ToolName name) {
        String server = ToolName.identifier(name.server());
        String tool = ToolName.identifier(name.tool());
        return SourceText.isPythonName(server) && SourceText.isPythonName(tool) && !GUEST_API_MEMBERS.contains(server);
    }

    /** Can {@code tools.<server>.<tool>} be written in JavaScript for this name? */
    static boolean javascriptAttributePath(ToolName name) {
        String server = ToolName.identifier(name.server());
        String tool = ToolName.identifier(name.tool());
        return !GUEST_API_MEMBERS.contains(server) && !JS_UNSAFE_MEMBERS.contains(server) && !JS_UNSAFE_MEMBERS.contains(tool);
    }

    private static String python(ToolName name, Map<String, Object> args) {
        boolean keywords = pythonAttributePath(name) && args.keySet().stream().allMatch(SourceText::isPythonName);
        if (!keywords) {
            return "result = tools.call(" + SourceText.quote(name.qualified()) + ", "
                    + Literals.write(args, Literals.Style.PYTHON) + ")";
        }
        StringBuilder b = new StringBuilder("result = tools.")
                .append(ToolName.identifier(name.server())).append('.')
                .append(ToolName.identifier(name.tool())).append('(');
        boolean first = true;
        for (Map.Entry<String, Object> e : args.entrySet()) {
            b.append(first ? "" : ", ").append(e.getKey()).append('=')
                    .append(Literals.write(e.getValue(), Literals.Style.PYTHON));
            first = false;
        }
        return b.append(')').toString();
    }

    private static String javascript(ToolName name, Map<String, Object> args) {
        String json = Literals.write(args, Literals.Style.JSON);
        if (!javascriptAttributePath(name)) {
            return "const result = await tools.call(" + SourceText.quote(name.qualified()) + ", " + json + ");";
        }
        return "const result = await tools." + ToolName.identifier(name.server()) + "."
                + ToolName.identifier(name.tool()) + "(" + json + ");";
    }

    private static String shell(ToolName name, Map<String, Object> args) {
        return "tool " + SourceText.shellWord(name.qualified()) + " "
                + SourceText.shellWord(Literals.write(args, Literals.Style.JSON));
    }

    /** The example value for one argument schema. */
    static Object placeholder(Object schema, Object root, int depth) {
        Map<?, ?> m = Schemas.deref(schema, root);
        if (m == null || depth > MAX_PLACEHOLDER_DEPTH) {
            return null;
        }
        if (Schemas.has(m, "default") && Literals.small(Schemas.get(m, "default"))) {
            return Schemas.get(m, "default");
        }
        List<?> examples = Schemas.list(m, "examples");
        if (examples != null && !examples.isEmpty() && Literals.small(examples.get(0))) {
            return examples.get(0);
        }
        if (Schemas.has(m, "example") && Literals.small(Schemas.get(m, "example"))) {
            return Schemas.get(m, "example");
        }
        if (Schemas.has(m, "const") && Literals.small(Schemas.get(m, "const"))) {
            return Schemas.get(m, "const");
        }
        List<?> values = Schemas.list(m, "enum");
        if (values != null && !values.isEmpty() && Literals.small(values.get(0))) {
            return values.get(0);
        }
        List<String> types = Schemas.types(m);
        for (String type : types) {
            switch (type) {
                case "string":
                    return "...";
                case "integer":
                case "number":
                    return 0;
                case "boolean":
                    return false;
                case "array":
                    return Literals.EMPTY_LIST;
                case "object":
                    return Literals.EMPTY_MAP;
                default:
                    break;
            }
        }
        if (!types.isEmpty()) {
            return null;
        }
        List<Object> alternatives = Schemas.alternatives(m);
        for (Object branch : alternatives) {
            Object value = placeholder(branch, root, depth + 1);
            if (value != null) {
                return value;
            }
        }
        List<?> allOf = Schemas.list(m, "allOf");
        if (allOf != null && !allOf.isEmpty()) {
            return placeholder(allOf.get(0), root, depth + 1);
        }
        if (Schemas.has(m, "properties") || Schemas.has(m, "additionalProperties")) {
            return Literals.EMPTY_MAP;
        }
        if (Schemas.has(m, "items") || Schemas.has(m, "prefixItems")) {
            return Literals.EMPTY_LIST;
        }
        return null;
    }
}
