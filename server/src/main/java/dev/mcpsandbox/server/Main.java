package dev.mcpsandbox.server;

import dev.mcpsandbox.config.ConfigLoader;
import dev.mcpsandbox.config.InvalidConfigException;
import dev.mcpsandbox.config.ServerConfig;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.server.operations.Metrics;
import dev.mcpsandbox.server.startup.ClassWarmUp;
import dev.mcpsandbox.server.startup.StartupTimeline;
import dev.mcpsandbox.server.startup.Starting;
import dev.mcpsandbox.server.transport.HttpCommandLine;
import dev.mcpsandbox.server.transport.HttpOptions;
import dev.mcpsandbox.server.transport.HttpTransport;
import dev.mcpsandbox.server.transport.ServedFeatures;
import dev.mcpsandbox.server.transport.StdioTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/** The command line. With no options it serves MCP over stdio with the built-in defaults. */
@Command(name = "mcp-sandbox", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "An MCP server that runs code in isolated bubblewrap sandboxes.")
public final class Main implements Callable<Integer> {
    private final StartupTimeline timeline = new StartupTimeline();

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "JSON configuration file (every key optional;"
            + " default: MCP_SANDBOX_CONFIG_JSON, else the built-in defaults).")
    private Path configFile;

    @Option(names = "--check", description = "Check the configuration and the sandbox, print what is enforced, and exit.")
    private boolean checkOnly;

    @Mixin
    private HttpCommandLine http = new HttpCommandLine();

    public static void main(String[] args) {
        // stdout is the MCP channel: keep the real one for the transport and send every stray print to stderr.
        PrintStream protocolOut = System.out;
        System.setOut(System.err);
        Main main = new Main();
        ClassWarmUp.start();
        main.protocolOut = protocolOut;
        // No arguments, nothing to parse: picocli's 170 classes are Java 5 class files, which the class-data
        // archive cannot hold (the JVM loads and verifies them each time, 0.1-0.15 s of a start), so a client that
        // starts the server bare skips them. Anything else goes through picocli.
        int code = args.length == 0 ? main.callUnparsed()
                : new CommandLine(main).setOut(new java.io.PrintWriter(System.err, true)).execute(args);
        if (code != 0 || main.checkOnly) {
            System.exit(code);
        }
    }

    private PrintStream protocolOut = System.out;

    /**
     * Not a static field: logging takes 0.06-0.1 s to start, which the warm-up thread spends while this one reads
     * the configuration (the first class to log is the backend's).
     */
    private static Logger log() {
        return LoggerFactory.getLogger(Main.class);
    }

    /** {@link #call} with every option at its default, ending as picocli would end it (an exception: exit 1). */
    private int callUnparsed() {
        try {
            return call();
        } catch (Exception e) {
            e.printStackTrace();
            return CommandLine.ExitCode.SOFTWARE;
        }
    }

    @Override
    public Integer call() throws Exception {
        timeline.mark("command line");
        ServerConfig config;
        try {
            config = ConfigLoader.load(Optional.ofNullable(configFile), System.getenv());
        } catch (InvalidConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        timeline.mark("configuration");
        Optional<HttpOptions> httpOptions = Optional.empty();
        Optional<String> stray = http.strayOptions();
        if (stray.isPresent()) {
            System.err.println("mcp-sandbox: " + stray.get());
            return 2;
        }
        if (http.enabled()) {
            try {
                httpOptions = Optional.of(http.options(System.getenv()));
            } catch (IllegalArgumentException e) {
                System.err.println("mcp-sandbox: " + e.getMessage().replace("\n", "\nmcp-sandbox: "));
                return 2;
            }
            if (http.tokenFileIsShared()) {
                log().warn("the token file can be read by other users; chmod 600 it");
            }
        }
        ServerAssembly assembly;
        try {
            assembly = ServerAssembly.assemble(config, timeline);
        } catch (SandboxException | IOException e) {
            System.err.println("mcp-sandbox cannot start: " + e.getMessage());
            return 3;
        }
        if (checkOnly) {
            // What a served client would wait for on its first tool call: the runner and the upstream servers.
            try {
                assembly.awaitStarted();
            } catch (Starting.Failed e) {
                System.err.println(e.getMessage());
                assembly.close();
                return 3;
            }
            System.err.println("configuration and sandbox OK");
            assembly.close();
            return 0;
        }
        ServedFeatures features = ServedFeatures.of(assembly, assembly.metrics(), ServerVersion.number());
        if (httpOptions.isPresent()) {
            return serveHttp(features, httpOptions.get());
        }
        // The hook goes in before serving starts: a client can end stdin the moment it does (seen: the process
        // exited before the hook was added, and the pool's containers outlived it).
        AtomicReference<StdioTransport.Serving> serving = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log().info("shutting down");
            Optional.ofNullable(serving.get()).ifPresent(StdioTransport.Serving::close);
            assembly.close();
        }, "shutdown"));
        serving.set(StdioTransport.serve(features, System.in, protocolOut, assembly.inFlightCalls(), timeline, () -> {
            // The client is gone: its calls are cancelled first, so their sandboxes die now rather than when the
            // graceful close stops waiting for them (10 s). Exit from a fresh thread: the shutdown hook closes the
            // server, whose reader thread we are on.
            assembly.inFlightCalls().cancelAll();
            Thread exit = new Thread(() -> System.exit(0), "stdin-closed");
            exit.start();
        }));
        log().info("mcp-sandbox {} serving on stdio", ServerVersion.number());
        // The stdio reader ends at EOF on stdin; then the process exits and the hook cleans up.
        return 0;
    }

    /**
     * Serves until SIGTERM/SIGINT. The shutdown hook drains (see {@link HttpTransport#stop}) and closes the
     * assembly, which kills every sandbox; the JVM exits when the hook returns, whatever threads remain.
     */
    private static int serveHttp(ServedFeatures features, HttpOptions options) throws InterruptedException {
        ServerAssembly assembly = features.assembly();
        // As on stdio, the hook goes in first, so a signal while the listener starts still closes the assembly.
        AtomicReference<HttpTransport> serving = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Optional.ofNullable(serving.get())
                .ifPresentOrElse(transport -> transport.stop(assembly::close), assembly::close), "shutdown"));
        try {
            serving.set(HttpTransport.start(features, options));
        } catch (Exception e) {
            System.err.println("mcp-sandbox cannot listen on " + options.host() + ":" + options.port() + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 4;
        }
        serving.get().awaitStopped();
        return 0;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"mcp-sandbox " + ServerVersion.number()};
        }
    }
}
