package dev.mcpsandbox.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the environment adds to the configuration, for containers and secrets: a few keys set by variables of their
 * own (over the file's), and {@code ${NAME}} in the {@code env} and {@code headers} values of {@code mcpServers}
 * replaced by the variable's value, so tokens stay out of the file. Works on the JSON tree before the schema check,
 * so a bad value is reported under its key like one written in the file.
 */
final class EnvironmentOverlay {
    /** Whole configuration as JSON, instead of a file. */
    static final String CONFIG_JSON = "MCP_SANDBOX_CONFIG_JSON";

    /** Variables that set one key each: variable, key path, whether the value is a number. */
    record Key(String variable, List<String> path, boolean integer) {
    }

    static final List<Key> KEYS = List.of(
            new Key("MCP_SANDBOX_BACKEND", List.of("backend"), false),
            new Key("MCP_SANDBOX_DOCKER_HOST", List.of("docker", "host"), false),
            new Key("MCP_SANDBOX_DOCKER_IMAGE", List.of("docker", "image"), false),
            new Key("MCP_SANDBOX_WORK_ROOT", List.of("execution", "workRoot"), false),
            new Key("MCP_SANDBOX_AUDIT_FILE", List.of("audit", "file"), false),
            new Key("MCP_SANDBOX_TIMEOUT_SECONDS", List.of("limits", "timeoutSeconds"), true),
            new Key("MCP_SANDBOX_MEMORY_MB", List.of("limits", "memoryMb"), true));

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private EnvironmentOverlay() {
    }

    /** Whether {@code env} sets any key (a variable of {@link #KEYS}, present and not empty). */
    static boolean setsAnyKey(Map<String, String> env) {
        return KEYS.stream().map(k -> env.get(k.variable())).anyMatch(v -> v != null && !v.isBlank());
    }

    /** Sets the keys named by variables that are present (and not empty) in {@code env}. */
    static void applyKeys(ObjectNode root, Map<String, String> env) {
        for (Key key : KEYS) {
            String value = env.get(key.variable());
            if (value == null || value.isBlank()) {
                continue;
            }
            ObjectNode parent = root;
            for (String name : key.path().subList(0, key.path().size() - 1)) {
                JsonNode child = parent.get(name);
                parent = child instanceof ObjectNode o ? o : parent.putObject(name);
            }
            String last = key.path().get(key.path().size() - 1);
            String v = value.strip();
            if (key.integer() && v.matches("-?\\d{1,9}")) {
                parent.put(last, Integer.parseInt(v));
            } else {
                parent.put(last, v);
            }
        }
    }

    /** Replaces {@code ${NAME}} in every {@code mcpServers.*.env} and {@code .headers} value; an unset one is a problem. */
    static void expandReferences(ObjectNode root, Map<String, String> env, List<ConfigProblem> problems) {
        JsonNode servers = root.get("mcpServers");
        if (!(servers instanceof ObjectNode all)) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> server = it.next();
            for (String block : List.of("env", "headers")) {
                if (server.getValue().get(block) instanceof ObjectNode values) {
                    for (Iterator<Map.Entry<String, JsonNode>> v = values.fields(); v.hasNext(); ) {
                        Map.Entry<String, JsonNode> entry = v.next();
                        if (entry.getValue().isTextual()) {
                            String keyPath = "mcpServers." + server.getKey() + "." + block + "." + entry.getKey();
                            entry.setValue(TextNode.valueOf(expand(entry.getValue().asText(), env, keyPath, problems)));
                        }
                    }
                }
            }
        }
    }

    private static String expand(String text, Map<String, String> env, String keyPath, List<ConfigProblem> problems) {
        Matcher m = REFERENCE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.get(m.group(1));
            if (value == null) {
                problems.add(new ConfigProblem(keyPath, "refers to ${" + m.group(1) + "}, which is not set in the"
                        + " server's environment"));
                value = "";
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
