package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;

import java.util.List;
import java.util.Map;

/**
 * One tool's wire contract, from two records: the arguments it takes and the result it gives. Both published
 * schemas are written from the records, incoming arguments are checked against the input schema by the JSON
 * Schema validator the MCP SDK ships (networknt) and then bound to the arguments record, and a result record
 * becomes the structured content. Nothing else declares a field.
 *
 * @param <A> the arguments record
 * @param <R> the result record
 */
public final class ToolContract<A, R> {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new Jdk8Module())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(Dialects.getDraft202012());

    private final Class<A> arguments;
    private final Map<String, Object> inputSchema;
    private final Map<String, Object> outputSchema;
    /** Compiled at the first call, not at start-up, where the five tools' schemas cost 20-30 ms before initialize. */
    private volatile Schema validator;

    private ToolContract(Class<A> arguments, Class<R> result, Map<String, String> facts) {
        this.arguments = arguments;
        this.inputSchema = new SchemaWriter(SchemaWriter.Direction.ARGUMENTS, facts, JSON).object(arguments);
        this.outputSchema = new SchemaWriter(SchemaWriter.Direction.RESULT, facts, JSON).object(result);
    }

    private Schema validator() {
        Schema compiled = validator;
        if (compiled == null) {
            synchronized (this) {
                compiled = validator;
                if (compiled == null) {
                    compiled = SCHEMAS.getSchema(JSON.valueToTree(inputSchema));
                    validator = compiled;
                }
            }
        }
        return compiled;
    }

    /** @param facts values for the {@code {placeholders}} in the records' descriptions */
    public static <A, R> ToolContract<A, R> of(Class<A> arguments, Class<R> result, Map<String, String> facts) {
        return new ToolContract<>(arguments, result, facts);
    }

    public Map<String, Object> inputSchema() {
        return inputSchema;
    }

    public Map<String, Object> outputSchema() {
        return outputSchema;
    }

    /** How reading a call's arguments went. */
    public sealed interface Parsed<A> {
    }

    public record Valid<A>(A arguments) implements Parsed<A> {
    }

    /** Each problem names the argument and says what to send instead. */
    public record Invalid<A>(List<String> problems) implements Parsed<A> {
        public Invalid {
            problems = List.copyOf(problems);
        }

        public String message() {
            return String.join("; ", problems);
        }
    }

    /** Checks the arguments as sent (null: none) against the input schema, then binds them. */
    public Parsed<A> parse(Map<String, Object> sent) {
        JsonNode tree = JSON.valueToTree(sent == null ? Map.of() : sent);
        List<Error> errors = validator().validate(tree);
        if (!errors.isEmpty()) {
            return new Invalid<>(ArgumentProblems.describe(errors, inputSchema));
        }
        try {
            return new Valid<>(JSON.treeToValue(tree, arguments));
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            return new Invalid<>(List.of(ArgumentProblems.describe(e)));
        }
    }

    /** The result as the structured content the SDK sends (and checks against the output schema). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> structured(R result) {
        return JSON.convertValue(result, Map.class);
    }

    /** A JSON value as the plain maps and lists a result carries. */
    public static Object plain(JsonNode value) {
        return JSON.convertValue(value, Object.class);
    }
}
