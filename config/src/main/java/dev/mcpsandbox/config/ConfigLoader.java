package dev.mcpsandbox.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.core.json.JsonReadFeature;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the JSON configuration. Every key is optional; unknown keys are errors (a typo such as
 * {@code "memoryMB"} must not silently fall back to a default). Every problem is collected, each
 * naming its key path, and reported in one {@link InvalidConfigException}.
 */
public final class ConfigLoader {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
            .build();

    private final List<ConfigProblem> problems = new ArrayList<>();

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

    public static ServerConfig parse(String json, String source) throws InvalidConfigException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException(source, List.of(new ConfigProblem("(file)",
                    "not valid JSON at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage())));
        }
        if (root == null || root.isMissingNode()) {
            return ServerConfig.defaults();
        }
        ConfigLoader loader = new ConfigLoader();
        ServerConfig config = loader.read(root);
        if (!loader.problems.isEmpty()) {
            throw new InvalidConfigException(source, loader.problems);
        }
        return config;
    }

    private ServerConfig read(JsonNode root) {
        ServerConfig d = ServerConfig.defaults();
        if (!expectObject(root, "(top level)")) {
            return d;
        }
        knownKeys(root, "", Set.of("mcpServers", "tools", "limits", "backend", "pool", "languages", "execution",
                "output", "audit", "docker", "$schema"));
        return new ServerConfig(
                upstreams(root.path("mcpServers")),
                toolRules(root.path("tools")),
                limits(root.path("limits")),
                backend(root.path("backend"), d.backend()),
                root.has("pool") ? pool(root.path("pool")) : d.pool(),
                languages(root.path("languages")),
                execution(root.path("execution"), d.execution()),
                output(root.path("output")),
                audit(root.path("audit")),
                docker(root.path("docker")));
    }

    private Map<String, UpstreamServer> upstreams(JsonNode node) {
        Map<String, UpstreamServer> servers = new LinkedHashMap<>();
        if (node.isMissingNode() || !expectObject(node, "mcpServers")) {
            return servers;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = "mcpServers." + e.getKey();
            JsonNode s = e.getValue();
            if (!e.getKey().matches("[A-Za-z0-9_-]{1,64}")) {
                problem(key, "server names may hold only letters, digits, '_' and '-' (1-64 characters)");
            }
            if (!expectObject(s, key)) {
                continue;
            }
            // "type" and "disabled" appear in other clients' files; accept them rather than reject a copied block.
            knownKeys(s, key, Set.of("command", "args", "env", "url", "headers", "type", "disabled"));
            if (s.path("disabled").asBoolean(false)) {
                continue;
            }
            if (s.has("command") == s.has("url")) {
                problem(key, "give either \"command\" (a stdio server) or \"url\" (a Streamable HTTP server)");
                continue;
            }
            if (s.has("command")) {
                String command = string(s.path("command"), key + ".command", "");
                if (command.isBlank()) {
                    problem(key + ".command", "must be a non-empty string");
                }
                servers.put(e.getKey(), new UpstreamServer.Stdio(e.getKey(), command,
                        strings(s.path("args"), key + ".args"), stringMap(s.path("env"), key + ".env")));
            } else {
                String url = string(s.path("url"), key + ".url", "");
                try {
                    URI uri = new URI(url);
                    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                        problem(key + ".url", "must be an http:// or https:// URL, got \"" + url + "\"");
                        continue;
                    }
                    servers.put(e.getKey(), new UpstreamServer.Http(e.getKey(), uri,
                            stringMap(s.path("headers"), key + ".headers")));
                } catch (URISyntaxException ex) {
                    problem(key + ".url", "not a URL: " + ex.getMessage());
                }
            }
        }
        return servers;
    }

    private ToolRulesConfig toolRules(JsonNode node) {
        if (node.isMissingNode() || !expectObject(node, "tools")) {
            return ToolRulesConfig.NOTHING_ALLOWED;
        }
        knownKeys(node, "tools", Set.of("allow", "deny", "confirm", "budget"));
        return new ToolRulesConfig(patterns(node.path("allow"), "tools.allow"),
                patterns(node.path("deny"), "tools.deny"), patterns(node.path("confirm"), "tools.confirm"),
                toolBudget(node.path("budget")));
    }

    private ToolBudgetConfig toolBudget(JsonNode node) {
        ToolBudgetConfig d = ToolBudgetConfig.DEFAULTS;
        if (node.isMissingNode() || !expectObject(node, "tools.budget")) {
            return d;
        }
        knownKeys(node, "tools.budget", Set.of("argumentBytes", "resultBytes", "toolSeconds", "callTimeoutSeconds"));
        return new ToolBudgetConfig(
                wholeNumber(node.path("argumentBytes"), "tools.budget.argumentBytes", d.argumentBytes(),
                        ToolBudgetConfig.MAX_BYTES),
                wholeNumber(node.path("resultBytes"), "tools.budget.resultBytes", d.resultBytes(),
                        ToolBudgetConfig.MAX_BYTES),
                integer(node.path("toolSeconds"), "tools.budget.toolSeconds", d.toolSeconds(), 1,
                        ToolBudgetConfig.MAX_SECONDS),
                integer(node.path("callTimeoutSeconds"), "tools.budget.callTimeoutSeconds", d.callTimeoutSeconds(), 1,
                        ToolBudgetConfig.MAX_SECONDS));
    }

    /** Like {@link #integer} for byte counts, which may pass 2 GiB; zero is refused (it would block every call). */
    private long wholeNumber(JsonNode node, String key, long fallback, long max) {
        if (node.isMissingNode()) {
            return fallback;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 1 || node.asLong() > max) {
            problem(key, "must be a whole number from 1 to " + max + ", got " + node);
            return fallback;
        }
        return node.asLong();
    }

    private List<String> patterns(JsonNode node, String key) {
        List<String> list = strings(node, key);
        for (int i = 0; i < list.size(); i++) {
            if (!list.get(i).matches("[A-Za-z0-9_*?-]+\\.[A-Za-z0-9_.*?/-]+")) {
                problem(key + "[" + i + "]", "a pattern is \"server.tool\" with * and ? as wildcards, got \""
                        + list.get(i) + "\"");
            }
        }
        return list;
    }

    private LimitsConfig limits(JsonNode node) {
        if (node.isMissingNode() || !expectObject(node, "limits")) {
            return LimitsConfig.DEFAULTS;
        }
        Set<String> names = new java.util.HashSet<>();
        for (ResourceLimits.Key k : ResourceLimits.Key.values()) {
            names.add(k.jsonName());
        }
        Set<String> withMax = new java.util.HashSet<>(names);
        withMax.add("max");
        knownKeys(node, "limits", withMax);
        JsonNode maxNode = node.path("max");
        if (!maxNode.isMissingNode() && expectObject(maxNode, "limits.max")) {
            knownKeys(maxNode, "limits.max", names);
        }
        ResourceLimits maxima = limitValues(maxNode, "limits.max", ResourceLimits.DEFAULT_MAXIMA);
        // A default above the built-in maximum raises the maximum with it unless the file sets one.
        ResourceLimits defaults = limitValues(node, "limits", ResourceLimits.DEFAULTS);
        for (ResourceLimits.Key k : ResourceLimits.Key.values()) {
            if (defaults.get(k) > maxima.get(k)) {
                if (maxNode.has(k.jsonName())) {
                    problem("limits." + k.jsonName(), "default " + defaults.get(k) + " is above limits.max."
                            + k.jsonName() + " (" + maxima.get(k) + ")");
                } else {
                    maxima = maxima.with(k, defaults.get(k));
                }
            }
        }
        return new LimitsConfig(defaults, maxima);
    }

    private ResourceLimits limitValues(JsonNode node, String key, ResourceLimits base) {
        ResourceLimits limits = base;
        if (node.isMissingNode()) {
            return limits;
        }
        for (ResourceLimits.Key k : ResourceLimits.Key.values()) {
            JsonNode v = node.path(k.jsonName());
            if (v.isMissingNode()) {
                continue;
            }
            String path = key + "." + k.jsonName();
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                problem(path, "must be a whole number, got " + v);
            } else if (v.asLong() < k.minimum()) {
                problem(path, "must be at least " + k.minimum() + ", got " + v.asLong());
            } else if (k != ResourceLimits.Key.OUTPUT_BYTES && v.asLong() > Integer.MAX_VALUE) {
                problem(path, "is too large: " + v.asLong());
            } else {
                limits = limits.with(k, v.asLong());
            }
        }
        return limits;
    }

    private BackendKind backend(JsonNode node, BackendKind fallback) {
        if (node.isMissingNode()) {
            return fallback;
        }
        String name = string(node, "backend", fallback.jsonName());
        Optional<BackendKind> kind = BackendKind.fromJson(name);
        if (kind.isEmpty()) {
            problem("backend", "unknown backend \"" + name + "\"; known: bubblewrap, docker, gvisor");
            return fallback;
        }
        return kind.get();
    }

    private PoolConfig pool(JsonNode node) {
        if (node.isMissingNode() || !expectObject(node, "pool")) {
            return PoolConfig.NONE;
        }
        Map<String, Integer> sizes = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            if (!v.isInt() || v.asInt() < 0 || v.asInt() > 64) {
                problem("pool." + e.getKey(), "must be a whole number from 0 to 64, got " + v);
            } else {
                sizes.put(e.getKey(), v.asInt());
            }
        });
        return new PoolConfig(sizes);
    }

    private Map<String, LanguageConfig> languages(JsonNode node) {
        Map<String, LanguageConfig> languages = new LinkedHashMap<>();
        if (node.isMissingNode() || !expectObject(node, "languages")) {
            return languages;
        }
        node.fields().forEachRemaining(e -> {
            String key = "languages." + e.getKey();
            JsonNode l = e.getValue();
            if (!expectObject(l, key)) {
                return;
            }
            knownKeys(l, key, Set.of("enabled", "command", "extraReadOnlyPaths"));
            List<String> command = strings(l.path("command"), key + ".command");
            for (int i = 0; i < command.size(); i++) {
                if (i == 0 && !command.get(0).startsWith("/")) {
                    problem(key + ".command[0]", "must be an absolute path, got \"" + command.get(0) + "\"");
                }
            }
            List<String> extra = strings(l.path("extraReadOnlyPaths"), key + ".extraReadOnlyPaths");
            for (int i = 0; i < extra.size(); i++) {
                if (!extra.get(i).startsWith("/") || extra.get(i).contains("..")) {
                    problem(key + ".extraReadOnlyPaths[" + i + "]", "must be an absolute path without '..'");
                }
            }
            languages.put(e.getKey(), new LanguageConfig(bool(l.path("enabled"), key + ".enabled", true), command, extra));
        });
        return languages;
    }

    private ExecutionConfig execution(JsonNode node, ExecutionConfig d) {
        if (node.isMissingNode() || !expectObject(node, "execution")) {
            return d;
        }
        knownKeys(node, "execution", Set.of("maxConcurrent", "queueSize", "maxCodeBytes", "maxInputFilesBytes",
                "workRoot", "sandboxUidBase", "compileTimeoutSeconds", "buildCacheMb"));
        Optional<Path> workRoot = Optional.empty();
        if (node.has("workRoot")) {
            String p = string(node.path("workRoot"), "execution.workRoot", "");
            if (!p.startsWith("/")) {
                problem("execution.workRoot", "must be an absolute path, got \"" + p + "\"");
            } else {
                workRoot = Optional.of(Path.of(p));
            }
        }
        return new ExecutionConfig(
                integer(node.path("maxConcurrent"), "execution.maxConcurrent", d.maxConcurrent(), 1, 1024),
                integer(node.path("queueSize"), "execution.queueSize", d.queueSize(), 0, 100_000),
                integer(node.path("maxCodeBytes"), "execution.maxCodeBytes", d.maxCodeBytes(), 16, 64 << 20),
                integer(node.path("maxInputFilesBytes"), "execution.maxInputFilesBytes", d.maxInputFilesBytes(), 0, 512 << 20),
                workRoot,
                integer(node.path("sandboxUidBase"), "execution.sandboxUidBase", d.sandboxUidBase(), 1000, 2_000_000_000),
                integer(node.path("compileTimeoutSeconds"), "execution.compileTimeoutSeconds", d.compileTimeoutSeconds(),
                        1, 3600),
                integer(node.path("buildCacheMb"), "execution.buildCacheMb", d.buildCacheMb(), 0, 1 << 20));
    }

    private OutputConfig output(JsonNode node) {
        OutputConfig d = OutputConfig.DEFAULTS;
        if (node.isMissingNode() || !expectObject(node, "output")) {
            return d;
        }
        knownKeys(node, "output", Set.of("redactSecrets", "maxFiles", "inlineBytesEach", "inlineBytesTotal"));
        return new OutputConfig(
                bool(node.path("redactSecrets"), "output.redactSecrets", d.redactSecrets()),
                integer(node.path("maxFiles"), "output.maxFiles", d.maxFiles(), 0, 10_000),
                integer(node.path("inlineBytesEach"), "output.inlineBytesEach", (int) d.inlineBytesEach(), 0, 256 << 20),
                integer(node.path("inlineBytesTotal"), "output.inlineBytesTotal", (int) d.inlineBytesTotal(), 0, 1 << 30));
    }

    /** Image references as Docker accepts them: [registry/]name[:tag][@digest], lower-case name components. */
    private static final java.util.regex.Pattern IMAGE = java.util.regex.Pattern.compile(
            "[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
                    + "(?:@sha256:[a-f0-9]{64})?");

    private DockerConfig docker(JsonNode node) {
        DockerConfig d = DockerConfig.DEFAULTS;
        if (node.isMissingNode() || !expectObject(node, "docker")) {
            return d;
        }
        knownKeys(node, "docker", Set.of("host", "image", "images", "gvisorRuntime", "cpus"));
        String host = node.has("host") ? string(node.path("host"), "docker.host", d.host()) : d.host();
        if (!host.matches("unix:///.+|tcp://[^/]+")) {
            problem("docker.host", "must be unix:///path/to/docker.sock or tcp://host:port, got \"" + host + "\"");
        }
        String image = node.has("image") ? image(node.path("image"), "docker.image", d.image()) : d.image();
        Map<String, String> images = new LinkedHashMap<>();
        JsonNode imagesNode = node.path("images");
        if (!imagesNode.isMissingNode() && expectObject(imagesNode, "docker.images")) {
            imagesNode.fields().forEachRemaining(e -> images.put(e.getKey(),
                    image(e.getValue(), "docker.images." + e.getKey(), image)));
        }
        String runtime = node.has("gvisorRuntime")
                ? string(node.path("gvisorRuntime"), "docker.gvisorRuntime", d.gvisorRuntime()) : d.gvisorRuntime();
        if (!runtime.matches("[A-Za-z0-9_.-]+")) {
            problem("docker.gvisorRuntime", "must be a runtime name as registered in the engine's daemon.json, got \""
                    + runtime + "\"");
        }
        double cpus = d.cpus();
        JsonNode cpusNode = node.path("cpus");
        if (!cpusNode.isMissingNode()) {
            if (!cpusNode.isNumber() || cpusNode.asDouble() < 0.01 || cpusNode.asDouble() > 1024) {
                problem("docker.cpus", "must be a number of cores from 0.01 to 1024, got " + cpusNode);
            } else {
                cpus = cpusNode.asDouble();
            }
        }
        return new DockerConfig(host, image, images, runtime, cpus);
    }

    private String image(JsonNode node, String key, String fallback) {
        String name = string(node, key, fallback);
        if (!IMAGE.matcher(name).matches()) {
            problem(key, "not an image reference (name[:tag], lower case), got \"" + name + "\"");
            return fallback;
        }
        return name;
    }

    private AuditConfig audit(JsonNode node) {
        if (node.isMissingNode() || !expectObject(node, "audit")) {
            return AuditConfig.NONE;
        }
        knownKeys(node, "audit", Set.of("file"));
        if (!node.has("file")) {
            return AuditConfig.NONE;
        }
        String file = string(node.path("file"), "audit.file", "");
        if (!file.startsWith("/")) {
            problem("audit.file", "must be an absolute path, got \"" + file + "\"");
            return AuditConfig.NONE;
        }
        return new AuditConfig(Optional.of(Path.of(file)));
    }

    // --- small typed readers; each records a problem and returns the fallback on a wrong type ---

    private boolean expectObject(JsonNode node, String key) {
        if (!node.isObject()) {
            problem(key, "must be a JSON object, got " + node.getNodeType().name().toLowerCase());
            return false;
        }
        return true;
    }

    private void knownKeys(JsonNode node, String prefix, Set<String> known) {
        node.fieldNames().forEachRemaining(name -> {
            if (!known.contains(name)) {
                problem(prefix.isEmpty() ? name : prefix + "." + name,
                        "unknown key; known keys here: " + String.join(", ", new java.util.TreeSet<>(known)));
            }
        });
    }

    private String string(JsonNode node, String key, String fallback) {
        if (!node.isTextual()) {
            problem(key, "must be a string, got " + node);
            return fallback;
        }
        return node.asText();
    }

    private boolean bool(JsonNode node, String key, boolean fallback) {
        if (node.isMissingNode()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            problem(key, "must be true or false, got " + node);
            return fallback;
        }
        return node.asBoolean();
    }

    private int integer(JsonNode node, String key, int fallback, int min, int max) {
        if (node.isMissingNode()) {
            return fallback;
        }
        if (!node.isInt() || node.asInt() < min || node.asInt() > max) {
            problem(key, "must be a whole number from " + min + " to " + max + ", got " + node);
            return fallback;
        }
        return node.asInt();
    }

    private List<String> strings(JsonNode node, String key) {
        List<String> list = new ArrayList<>();
        if (node.isMissingNode()) {
            return list;
        }
        if (!node.isArray()) {
            problem(key, "must be an array of strings, got " + node);
            return list;
        }
        for (int i = 0; i < node.size(); i++) {
            if (node.get(i).isTextual()) {
                list.add(node.get(i).asText());
            } else {
                problem(key + "[" + i + "]", "must be a string, got " + node.get(i));
            }
        }
        return list;
    }

    private Map<String, String> stringMap(JsonNode node, String key) {
        Map<String, String> map = new LinkedHashMap<>();
        if (node.isMissingNode() || !expectObject(node, key)) {
            return map;
        }
        node.fields().forEachRemaining(e -> {
            if (e.getValue().isTextual()) {
                map.put(e.getKey(), e.getValue().asText());
            } else {
                problem(key + "." + e.getKey(), "must be a string, got " + e.getValue());
            }
        });
        return map;
    }

    private void problem(String key, String message) {
        problems.add(new ConfigProblem(key, message));
    }
}
