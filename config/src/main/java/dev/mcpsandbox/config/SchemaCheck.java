package dev.mcpsandbox.config;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.NonValidationKeyword;
import com.networknt.schema.path.NodePath;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/**
 * Checks a configuration against the shipped {@code config.schema.json}, the one list of keys, types and
 * ranges. Each violation becomes a {@link ConfigProblem} naming its key path, with a message said the
 * way an operator fixes it; a schema node's {@code errorMessage} (the keyword VS Code shows too) words
 * what a bare pattern cannot.
 */
final class SchemaCheck {
    /** Where the schema sits in the jar (the config pom copies it there from the repository's top level). */
    static final String RESOURCE = "/dev/mcpsandbox/config/config.schema.json";
    private static final String ERROR_MESSAGE = "errorMessage";

    private final JsonNode schemaNode;
    private final Schema schema;

    private SchemaCheck(JsonNode schemaNode) {
        this.schemaNode = schemaNode;
        // errorMessage is ours, not the draft's: known to the dialect, so it is neither validated nor warned about.
        Dialect dialect = Dialect.builder(Dialects.getDraft202012())
                .keyword(new NonValidationKeyword(ERROR_MESSAGE)).build();
        this.schema = SchemaRegistry.withDialect(dialect).getSchema(schemaNode);
    }

    static SchemaCheck shipped() {
        try (InputStream in = SchemaCheck.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the jar");
            }
            return new SchemaCheck(Binding.JSON.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    JsonNode schemaNode() {
        return schemaNode.deepCopy();
    }

    /**
     * The problems of {@code root}, one per key path. Each value found wrong is removed from {@code root}, so
     * what remains binds and the rules across keys can still be checked: the operator hears of everything at once.
     */
    List<ConfigProblem> check(JsonNode root) {
        Map<String, ConfigProblem> problems = new LinkedHashMap<>();
        List<List<Object>> wrong = new ArrayList<>();
        for (Error e : schema.validate(root)) {
            List<Object> location = location(e);
            String key = keyPath(location);
            if (!problems.containsKey(key)) {
                problems.put(key, new ConfigProblem(key, message(e)));
                wrong.add(location);
            }
        }
        prune(root, wrong);
        return List.copyOf(problems.values());
    }

    /** The instance location as names and indexes; an unknown or ill-named key is located at itself. */
    private static List<Object> location(Error e) {
        List<Object> location = elements(e.getInstanceLocation());
        if (e.getProperty() != null && namesAKey(e.getKeyword())) {
            location.add(e.getProperty());
        }
        return location;
    }

    private static boolean namesAKey(String keyword) {
        return Set.of("additionalProperties", "unevaluatedProperties", "propertyNames").contains(keyword);
    }

    private static List<Object> elements(NodePath path) {
        List<Object> elements = new ArrayList<>();
        for (int i = 0; i < path.getNameCount(); i++) {
            elements.add(path.getElement(i));
        }
        return elements;
    }

    private static String keyPath(List<Object> location) {
        if (location.isEmpty()) {
            return "(top level)";
        }
        StringBuilder key = new StringBuilder();
        for (Object element : location) {
            if (element instanceof Integer index) {
                key.append('[').append(index).append(']');
            } else {
                key.append(key.isEmpty() ? "" : ".").append(element);
            }
        }
        return key.toString();
    }

    private String message(Error e) {
        List<Object> keywordAt = elements(e.getSchemaLocation().getFragment());
        JsonNode owner = schemaNode.at(pointer(keywordAt.subList(0, Math.max(0, keywordAt.size() - 1))));
        JsonNode value = e.getInstanceNode();
        String got = ", got " + value;
        String custom = owner.path(ERROR_MESSAGE).asText(null);
        return switch (e.getKeyword()) {
            case "additionalProperties", "unevaluatedProperties" ->
                    "unknown key; known keys here: " + String.join(", ", knownKeys(owner));
            case "propertyNames" -> e.getSchemaNode().path(ERROR_MESSAGE).asText(e.getMessage());
            case "enum" -> "must be one of " + StreamSupport.stream(owner.path("enum").spliterator(), false)
                    .map(JsonNode::asText).collect(Collectors.joining(", ")) + got;
            case "type" -> typeMessage(owner, value, custom);
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" ->
                    custom != null ? custom + got : rangeMessage(owner) + got;
            default -> (custom != null ? custom : e.getMessage()) + got;
        };
    }

    private static String typeMessage(JsonNode owner, JsonNode value, String custom) {
        return switch (owner.path("type").asText()) {
            case "object" -> "must be a JSON object, got " + value.getNodeType().name().toLowerCase();
            case "array" -> "must be an array" + ("string".equals(owner.path("items").path("type").asText())
                    ? " of strings" : "") + ", got " + value;
            case "boolean" -> "must be true or false, got " + value;
            case "integer", "number" -> (custom != null ? custom : rangeMessage(owner)) + ", got " + value;
            default -> "must be a " + owner.path("type").asText() + ", got " + value;
        };
    }

    private static String rangeMessage(JsonNode owner) {
        String kind = "integer".equals(owner.path("type").asText()) ? "a whole number" : "a number";
        if (owner.has("minimum") && owner.has("maximum")) {
            return "must be " + kind + " from " + owner.get("minimum") + " to " + owner.get("maximum");
        }
        return "must be " + kind + (owner.has("minimum") ? " of at least " + owner.get("minimum") : "");
    }

    /** The keys a schema object allows: its own properties and those of the schemas it takes in with allOf. */
    private SortedSet<String> knownKeys(JsonNode owner) {
        SortedSet<String> keys = new TreeSet<>();
        owner.path("properties").fieldNames().forEachRemaining(keys::add);
        for (JsonNode part : owner.path("allOf")) {
            JsonNode resolved = part.has("$ref") ? schemaNode.at(part.get("$ref").asText().substring(1)) : part;
            keys.addAll(knownKeys(resolved));
        }
        return keys;
    }

    private static JsonPointer pointer(List<Object> elements) {
        StringBuilder pointer = new StringBuilder();
        for (Object element : elements) {
            pointer.append('/').append(element.toString().replace("~", "~0").replace("/", "~1"));
        }
        return JsonPointer.compile(pointer.toString());
    }

    /** Removes each wrong value; array items go last and from the highest index, so no index shifts under another. */
    private static void prune(JsonNode root, List<List<Object>> wrong) {
        Map<ArrayNode, SortedSet<Integer>> items = new IdentityHashMap<>();
        for (List<Object> location : wrong) {
            if (location.isEmpty()) {
                continue;
            }
            JsonNode parent = root.at(pointer(location.subList(0, location.size() - 1)));
            Object last = location.get(location.size() - 1);
            if (parent instanceof ObjectNode object) {
                object.remove(last.toString());
            } else if (parent instanceof ArrayNode array && last instanceof Integer index) {
                items.computeIfAbsent(array, a -> new TreeSet<>(Comparator.reverseOrder())).add(index);
            }
        }
        items.forEach((array, indexes) -> indexes.forEach(array::remove));
    }
}
