package dev.mcpsandbox.server.startup;

import dev.mcpsandbox.server.contract.EndSessionArguments;
import dev.mcpsandbox.server.contract.EndSessionResult;
import dev.mcpsandbox.server.contract.ToolContract;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.util.Map;

/**
 * Loads and initialises, on a thread of its own, the libraries the start-up path reaches later (logging, Jackson,
 * the JSON Schema validators, the MCP SDK's wire types, Reactor) while the main thread reads the configuration,
 * starts the backend and finds the toolchains. Most of a start is class loading and static
 * initialisation, one class after another on one thread, and the machine has a second core. The main thread does
 * the same work where it needs it (a class is initialised once, by whichever thread comes first, the other waits
 * for it), so nothing depends on this thread having run or finished; it does only what has no effect outside the
 * JVM. Spring Boot's BackgroundPreinitializer does the same for its own start.
 */
public final class ClassWarmUp {
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"warm-up\",\"version\":\"0\"}}}";

    private ClassWarmUp() {
    }

    /** Starts the warm-up and returns at once. */
    public static void start() {
        Thread thread = new Thread(ClassWarmUp::run, "class-warm-up");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Logging first (the main thread reads the configuration meanwhile, and logs first when it starts the backend),
     * then in the order the main thread needs them: the tool contracts' schema writer and validator, the SDK's JSON
     * mapper and wire types, Reactor.
     */
    private static void run() {
        try {
            LoggerFactory.getILoggerFactory();
            ToolContract.of(EndSessionArguments.class, EndSessionResult.class, Map.of()).parse(Map.of("session", "s"));
            McpJsonMapper mapper = McpJsonDefaults.getMapper();
            McpSchema.deserializeJsonRpcMessage(mapper, INITIALIZE);
            mapper.writeValueAsString(new McpSchema.JSONRPCResponse("2.0", 0, new McpSchema.InitializeResult(
                    "2025-06-18", McpSchema.ServerCapabilities.builder().tools(true).logging().build(),
                    new McpSchema.Implementation("warm-up", "0"), ""), null));
            McpJsonDefaults.getSchemaValidator().validateSchema(Map.of("type", "object"));
            Mono.just(1).map(i -> i + 1).flatMap(Mono::just).block();
        } catch (Exception | LinkageError e) {
            // Only a warm-up: the start-up path does the same work itself and reports what fails there.
        }
    }
}
