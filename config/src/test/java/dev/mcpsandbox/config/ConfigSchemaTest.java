package dev.mcpsandbox.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped schema against the records, the documentation and the JSON Schema standard. */
class ConfigSchemaTest {
    private static final JsonNode SCHEMA = SchemaCheck.shipped().schemaNode();

    @Test
    void theJarCarriesTheRepositorysSchemaNotASecondCopy() throws Exception {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(SchemaCheck.RESOURCE)) {
            assertThat(in).isNotNull();
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo(Files.readString(Path.of("..", "config.schema.json")));
        }
    }

    @Test
    void schemaIsValidDraft202012() {
        var meta = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
        assertThat(meta.validate(SCHEMA)).isEmpty();
    }

    @Test
    void schemaNamesEveryRecordComponentAndNothingElse() {
        List<String> drift = new ArrayList<>();
        compare(SCHEMA, ServerConfig.class, "", drift);
        assertThat(drift).isEmpty();
    }

    @Test
    void schemaDefaultsAreTheRecordsDefaults() {
        List<String> drift = new ArrayList<>();
        ServerConfig d = ServerConfig.defaults();
        compareDefaults(property(SCHEMA, "tools"), d.tools(), "tools", drift);
        compareDefaults(property(SCHEMA, "limits"), d.limits().defaults(), "limits", drift);
        compareDefaults(property(property(SCHEMA, "limits"), "max"), d.limits().maxima(), "limits.max", drift);
        compareDefaults(property(SCHEMA, "execution"), d.execution(), "execution", drift);
        compareDefaults(property(SCHEMA, "output"), d.output(), "output", drift);
        compareDefaults(property(SCHEMA, "sessions"), d.sessions(), "sessions", drift);
        compareDefaults(property(SCHEMA, "forkServer"), d.forkServer(), "forkServer", drift);
        compareDefaults(property(SCHEMA, "docker"), d.docker(), "docker", drift);
        compareDefaults(resolve(property(SCHEMA, "languages").get("additionalProperties")), LanguageConfig.DEFAULT,
                "languages.*", drift);
        compareDefaults(resolve(property(SCHEMA, "mcpServers").get("additionalProperties")), ServerEntry.NONE,
                "mcpServers.*", drift);
        assertThat(drift).isEmpty();
        assertThat(property(SCHEMA, "backend").get("default").asText()).isEqualTo(d.backend().jsonName());
        assertThat(Binding.JSON.convertValue(property(SCHEMA, "pool").get("default"), Map.class))
                .isEqualTo(d.pool().sizes());
    }

    @Test
    void acceptsEveryConfigurationExampleOfTheReadme() throws Exception {
        Set<String> topLevel = new TreeSet<>();
        SCHEMA.get("properties").fieldNames().forEachRemaining(topLevel::add);
        Matcher block = Pattern.compile("```json\\n(.*?)```", Pattern.DOTALL)
                .matcher(Files.readString(Path.of("..", "README.md")));
        int examples = 0;
        while (block.find()) {
            JsonNode example = Binding.JSON.readTree(block.group(1));
            List<String> keys = new ArrayList<>();
            example.fieldNames().forEachRemaining(keys::add);
            if (example.isObject() && topLevel.containsAll(keys)) {
                ConfigLoader.parse(block.group(1), "README example " + (examples + 1));
                examples++;
            }
        }
        // Claude Desktop's own file (it is a valid configuration too), code mode, backends, configuration.
        assertThat(examples).isGreaterThanOrEqualTo(4);
    }

    @Test
    void acceptsTheDesignExampleVerbatim() throws Exception {
        ServerConfig config = ConfigLoader.parse("""
                {
                  "mcpServers": { "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] },
                                  "remote": { "url": "http://127.0.0.1:9000/mcp" } },
                  "tools":   { "allow": ["memory.*"], "deny": ["*.delete_*"], "confirm": ["memory.create_entities"] },
                  "limits":  { "timeoutSeconds": 30, "memoryMb": 512, "processes": 64, "outputBytes": 1048576,
                               "fileSizeMb": 16, "toolCalls": 200 },
                  "backend": "bubblewrap",
                  "pool":    { "python": 2, "javascript": 1 },
                  "languages": { "python": { "command": ["/usr/bin/python3"] } }
                }
                """, "DESIGN.md");
        assertThat(config.mcpServers()).containsOnlyKeys("memory", "remote");
        assertThat(config.pool().sizes()).isEqualTo(Map.of("python", 2, "javascript", 1));
    }

    /** Each component of {@code record} is a key of {@code schema}, and each key of it a component. */
    private static void compare(JsonNode schema, Class<?> record, String path, List<String> drift) {
        Set<String> keys = keys(schema);
        Set<String> components = new TreeSet<>();
        for (RecordComponent c : record.getRecordComponents()) {
            components.add(c.getName());
            String key = path.isEmpty() ? c.getName() : path + "." + c.getName();
            if (!keys.contains(c.getName())) {
                drift.add(key + ": a component of " + record.getSimpleName() + " the schema does not name");
                continue;
            }
            JsonNode sub = resolve(property(schema, c.getName()));
            Type type = fileShape(record, c);
            if (type instanceof Class<?> k && k.isRecord()) {
                compare(sub, k, key, drift);
            } else if (type instanceof ParameterizedType p && p.getRawType() == Map.class
                    && p.getActualTypeArguments()[1] instanceof Class<?> v && v.isRecord()) {
                compare(resolve(sub.get("additionalProperties")), v, key + ".*", drift);
            }
        }
        if (record == ResourceLimits.class && path.equals("limits")) {
            components.add("max");
            compare(resolve(property(schema, "max")), ResourceLimits.class, "limits.max", drift);
        }
        if (record == ServerConfig.class) {
            components.add("$schema");
        }
        keys.stream().filter(k -> !components.contains(k))
                .forEach(k -> drift.add(path + "." + k + ": a key no component of " + record.getSimpleName() + " holds"));
    }

    /** The type a component has in the file where it differs from the record's. */
    private static Type fileShape(Class<?> record, RecordComponent c) {
        if (record == ServerConfig.class && c.getName().equals("mcpServers")) {
            return new ParameterizedType() {
                public Type[] getActualTypeArguments() {
                    return new Type[]{String.class, ServerEntry.class};
                }

                public Type getRawType() {
                    return Map.class;
                }

                public Type getOwnerType() {
                    return null;
                }
            };
        }
        if (c.getType() == LimitsConfig.class) {
            return ResourceLimits.class;
        }
        return c.getType() == PoolConfig.class ? Map.class : c.getGenericType();
    }

    private static void compareDefaults(JsonNode schema, Object defaults, String path, List<String> drift) {
        compareDefaults(schema, Binding.JSON.<JsonNode>valueToTree(defaults), path, drift);
    }

    /** Each default the schema documents against the record's own value at the same key. */
    private static void compareDefaults(JsonNode schema, JsonNode values, String path, List<String> drift) {
        schema.path("properties").fields().forEachRemaining(e -> {
            JsonNode sub = e.getValue().has("default") ? e.getValue() : resolve(e.getValue());
            JsonNode documented = sub.get("default");
            JsonNode actual = values.get(e.getKey());
            if (documented != null && actual != null && !sameValue(documented, actual)) {
                drift.add(path + "." + e.getKey() + ": schema says " + documented + ", the record " + actual);
            }
            if (documented == null && actual != null && actual.isObject() && sub.has("properties")) {
                compareDefaults(sub, actual, path + "." + e.getKey(), drift);
            }
        });
    }

    private static boolean sameValue(JsonNode a, JsonNode b) {
        return a.isNumber() && b.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) == 0 : a.equals(b);
    }

    private static Set<String> keys(JsonNode schema) {
        Set<String> keys = new TreeSet<>();
        schema.path("properties").fieldNames().forEachRemaining(keys::add);
        schema.path("allOf").forEach(part -> keys.addAll(keys(resolve(part))));
        return keys;
    }

    private static JsonNode property(JsonNode schema, String name) {
        JsonNode own = schema.path("properties").get(name);
        if (own != null && (own.has("type") || own.has("$ref") || own.has("enum") || own.has("allOf"))) {
            return own;
        }
        for (JsonNode part : schema.path("allOf")) {
            JsonNode inherited = resolve(part).path("properties").get(name);
            if (inherited != null) {
                return inherited;
            }
        }
        return own;
    }

    private static JsonNode resolve(JsonNode schema) {
        return schema.has("$ref") ? SCHEMA.at(schema.get("$ref").asText().substring(1)) : schema;
    }
}
