package dev.mcpsandbox.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the JSON configuration. Every key is optional; unknown keys are errors (a typo such as
 * {@code "memoryMB"} must not silently fall back to a default). The file is checked against
 * {@code config.schema.json} (which keys exist, their types and ranges), bound into the records (defaults are
 * the records' own), then checked by {@link ConfigRules} (rules across keys). Every problem is collected, each
 * naming its key path, and reported in one {@link InvalidConfigException}. A {@code "$schema"} key, for editors,
 * is accepted and ignored.
 */
public final class ConfigLoader {
    /** Built when a configuration is first checked: 0.05-0.1 s that a start with nothing configured skips. */
    private static final class Shipped {
        static final SchemaCheck SCHEMA = SchemaCheck.shipped();
    }

    private ConfigLoader() {
    }

    public static ServerConfig load(Path file) throws InvalidConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new InvalidConfigException(file.toString(),
                    List.of(new ConfigProblem("(file)", "cannot read " + file + ": " + e.getMessage())));
        }
        return parse(text, file.toString());
    }

    /**
     * The configuration as the server starts with it: the file if one is given, else {@code MCP_SANDBOX_CONFIG_JSON},
     * else the defaults; then the keys set by single variables ({@code MCP_SANDBOX_BACKEND}, ...), and
     * {@code ${NAME}} references in the {@code env} and {@code headers} of {@code mcpServers} replaced from
     * {@code env}.
     */
    public static ServerConfig load(Optional<Path> file, Map<String, String> env) throws InvalidConfigException {
        String json;
        String source;
        if (file.isPresent()) {
            if (env.containsKey(EnvironmentOverlay.CONFIG_JSON)) {
                throw new InvalidConfigException(file.get().toString(), List.of(new ConfigProblem("(file)",
                        "both --config and " + EnvironmentOverlay.CONFIG_JSON + " are given; use one")));
            }
            source = file.get().toString();
            try {
                json = Files.readString(file.get());
            } catch (IOException e) {
                throw new InvalidConfigException(source,
                        List.of(new ConfigProblem("(file)", "cannot read " + source + ": " + e.getMessage())));
            }
        } else if (!env.containsKey(EnvironmentOverlay.CONFIG_JSON) && !EnvironmentOverlay.setsAnyKey(env)) {
            // Nothing configured anywhere: the defaults, before any JSON (Jackson's start, 0.03-0.05 s, then
            // happens beside the server's own start; EnvironmentConfigTest: {} checked and bound gives the same).
            return ServerConfig.defaults();
        } else {
            source = env.containsKey(EnvironmentOverlay.CONFIG_JSON) ? EnvironmentOverlay.CONFIG_JSON : "(defaults)";
            json = env.getOrDefault(EnvironmentOverlay.CONFIG_JSON, "{}");
        }
        return parse(json, source, env);
    }

    /** {@link #parse(String, String)} with the environment's keys and {@code ${NAME}} references applied. */
    public static ServerConfig parse(String json, String source, Map<String, String> env) throws InvalidConfigException {
        return parse(json, source, Optional.of(env));
    }

    public static ServerConfig parse(String json, String source) throws InvalidConfigException {
        return parse(json, source, Optional.empty());
    }

    private static ServerConfig parse(String json, String source, Optional<Map<String, String>> env)
            throws InvalidConfigException {
        JsonNode root;
        try {
            root = Binding.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException(source, List.of(new ConfigProblem("(file)",
                    "not valid JSON at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage())));
        }
        if ((root == null || root.isMissingNode()) && env.isEmpty()) {
            return ServerConfig.defaults();
        }
        if (root == null || root.isMissingNode()) {
            root = Binding.JSON.createObjectNode();
        }
        List<ConfigProblem> expansion = new ArrayList<>();
        if (env.isPresent() && root instanceof ObjectNode tree) {
            EnvironmentOverlay.applyKeys(tree, env.get());
            EnvironmentOverlay.expandReferences(tree, env.get(), expansion);
        }
        if (root instanceof ObjectNode given && given.isEmpty() && expansion.isEmpty()) {
            return ServerConfig.defaults(); // nothing given, nothing to check (EnvironmentConfigTest: {} binds to these)
        }
        List<ConfigProblem> problems = new ArrayList<>(Shipped.SCHEMA.check(root));
        problems.addAll(expansion);
        if (!(root instanceof ObjectNode file)) {
            throw new InvalidConfigException(source, problems);
        }
        ServerConfig config = bind(file, new ConfigRules(problems));
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(source, problems);
        }
        return config;
    }

    /** Each top-level key over its default; a key left out keeps it. */
    private static ServerConfig bind(ObjectNode file, ConfigRules rules) {
        ServerConfig d = ServerConfig.defaults();
        // "limits" holds the defaults and, under "max", the maxima: both are ResourceLimits.
        JsonNode limits = file.has("limits") ? file.get("limits").deepCopy() : null;
        JsonNode maxima = limits instanceof ObjectNode own ? own.remove("max") : null;
        Set<String> maximaGiven = new TreeSet<>();
        if (maxima != null) {
            maxima.fieldNames().forEachRemaining(maximaGiven::add);
        }
        return new ServerConfig(
                rules.upstreams(Binding.each(file.get("mcpServers"), ServerEntry.NONE)),
                Binding.over(file.get("tools"), d.tools()),
                rules.limits(Binding.over(limits, d.limits().defaults()),
                        Binding.over(maxima, d.limits().maxima()), maximaGiven),
                Binding.over(file.get("backend"), d.backend()),
                Binding.instead(file.get("pool"), d.pool()),
                Binding.over(file.get("sessions"), d.sessions()),
                Binding.each(file.get("languages"), LanguageConfig.DEFAULT),
                Binding.over(file.get("execution"), d.execution()),
                Binding.over(file.get("output"), d.output()),
                Binding.over(file.get("audit"), d.audit()),
                Binding.over(file.get("docker"), d.docker()),
                rules.network(Binding.over(file.get("network"), d.network())),
                Binding.over(file.get("packages"), d.packages()),
                Binding.over(file.get("forkServer"), d.forkServer()));
    }
}
