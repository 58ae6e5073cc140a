package dev.mcpsandbox.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * The server's logging, set up in code rather than by logback.xml: parsing the XML with Joran cost ~0.2 s of every
 * start (a fifth of the time to {@code initialize}). Every line goes to stderr, since stdout is the MCP channel in
 * stdio mode. {@code MCP_SANDBOX_LOG} sets the level (default INFO), {@code MCP_SANDBOX_SDK_LOG} the MCP SDK's
 * (default WARN); {@code -Dlogback.configurationFile=FILE} still replaces all of it.
 */
public final class StderrLogging extends ContextAwareBase implements Configurator {
    private static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level("MCP_SANDBOX_LOG", Level.INFO));
        root.addAppender(stderr);
        context.getLogger("io.modelcontextprotocol").setLevel(level("MCP_SANDBOX_SDK_LOG", Level.WARN));
        context.getLogger("reactor").setLevel(Level.WARN);
        context.getLogger("org.eclipse.jetty").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    private static Level level(String variable, Level fallback) {
        String value = System.getenv(variable);
        return value == null || value.isBlank() ? fallback : Level.toLevel(value.strip(), fallback);
    }
}
