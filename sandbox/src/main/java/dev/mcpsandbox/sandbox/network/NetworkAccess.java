package dev.mcpsandbox.sandbox.network;

import dev.mcpsandbox.config.NetworkConfig;
import dev.mcpsandbox.config.PackagesConfig;
import dev.mcpsandbox.config.ServerConfig;
import dev.mcpsandbox.sandbox.backend.SandboxBackend;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The network of calls that ask for it ({@code network: true}): whether it can be granted here, what a
 * sandbox needs for it (the relay on its loopback, proxy variables, package indexes, a seccomp filter that
 * allows TCP sockets), and the proxy session of each run. Built once per server from the configuration and
 * the backend; with an empty {@code network.allow} it grants nothing and changes nothing.
 */
public final class NetworkAccess {
    /** The proxy's socket in a sandbox's bridge directory, seen inside as /run/mcp/proxy.sock. */
    public static final String PROXY_SOCKET = "proxy.sock";
    /** Where the relay listens inside each sandbox's own network namespace. */
    static final int RELAY_PORT = 3128;
    static final String PROXY_URL = "http://127.0.0.1:" + RELAY_PORT;
    private static final String GUEST_DIR = "network";
    /** What the javascript language adds to memoryMb for V8's reservations (JavaScriptLanguage.addressSpaceMb). */
    private static final long NODE_ADDRESS_SPACE_MB = 2048;
    private static final String GUEST_PATH = "/opt/mcp-sandbox/" + GUEST_DIR;
    /** The relay's interpreter; bubblewrap sandboxes see the host's /usr. */
    static final String RELAY_PYTHON = "/usr/bin/python3";

    private final NetworkConfig config;
    private final PackagesConfig packages;
    private final EgressPolicy policy;
    private final Optional<String> unavailable;

    private NetworkAccess(NetworkConfig config, PackagesConfig packages, EgressPolicy policy,
                          Optional<String> unavailable) {
        this.config = config;
        this.packages = packages;
        this.policy = policy;
        this.unavailable = unavailable;
    }

    /** Installs the relay and the fetch preload into the backend's guest directory when the network is on. */
    public static NetworkAccess prepare(ServerConfig config, SandboxBackend backend, EgressPolicy.Resolver resolver)
            throws SandboxException {
        NetworkConfig network = config.network();
        Optional<String> unavailable = Optional.empty();
        if (!network.enabled()) {
            unavailable = Optional.of("the operator allows no network here (network.allow in the server's"
                    + " configuration is empty)");
        } else if (!backend.supportsNetworkRelay()) {
            unavailable = Optional.of("the " + backend.name() + " backend cannot give sandboxes the network yet;"
                    + " the bubblewrap backend can");
        } else if (!Files.isExecutable(Path.of(RELAY_PYTHON))) {
            unavailable = Optional.of("the network relay needs " + RELAY_PYTHON + ", which is missing");
        }
        if (unavailable.isEmpty()) {
            backend.installGuestFile(GUEST_DIR + "/relay.py", resource("relay.py"), false);
            backend.installGuestFile(GUEST_DIR + "/fetch-proxy.js", resource("fetch-proxy.js"), false);
        }
        return new NetworkAccess(network, config.packages(), new EgressPolicy(network, resolver), unavailable);
    }

    /** Why a call cannot have the network here; empty when it can. */
    public Optional<String> unavailable() {
        return unavailable;
    }

    /** True when a call may ask for the network and {@code languageId}'s package manager has somewhere to install from. */
    public boolean installs(String languageId) {
        if (unavailable.isPresent()) {
            return false;
        }
        return switch (languageId) {
            case "python" -> packages.python().configured();
            case "javascript", "typescript" -> packages.javascript().configured();
            default -> false;
        };
    }

    /** The patterns the operator allows, for list_languages. */
    public List<String> allowed() {
        return unavailable.isPresent() ? List.of() : config.allow();
    }

    /**
     * {@code spec} with the network: the relay starts before the code (and before the runtime reads its go
     * line), clients find it through the usual proxy variables, and package managers find the operator's indexes.
     */
    public SandboxSpec grant(SandboxSpec spec) {
        Map<String, String> env = new LinkedHashMap<>(spec.environment());
        for (String name : List.of("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "npm_config_proxy",
                "npm_config_https_proxy")) {
            env.put(name, PROXY_URL);
        }
        // fetch parses HTTP with llhttp in WebAssembly, whose trap-handler mode reserves more address space than the
        // sandbox's rlimit leaves ("Cannot allocate Wasm memory"); explicit bounds checks need none.
        env.put("NODE_OPTIONS", "--disable-wasm-trap-handler --require " + GUEST_PATH + "/fetch-proxy.js");
        // pip --user writes only under /workspace; /usr stays read-only, so Debian's PEP 668 guard protects nothing here.
        env.put("PIP_BREAK_SYSTEM_PACKAGES", "1");
        env.put("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        env.put("PIP_NO_INPUT", "1");
        env.put("MCP_USER_SITE", "1");
        env.put("npm_config_update_notifier", "false");
        env.put("npm_config_audit", "false");
        env.put("npm_config_fund", "false");
        PackagesConfig.Python python = packages.python();
        if (!python.indexUrl().isEmpty()) {
            env.put("PIP_INDEX_URL", python.indexUrl());
        }
        if (!python.extraIndexUrls().isEmpty()) {
            env.put("PIP_EXTRA_INDEX_URL", String.join(" ", python.extraIndexUrls()));
        }
        if (!python.trustedHosts().isEmpty()) {
            env.put("PIP_TRUSTED_HOST", String.join(" ", python.trustedHosts()));
        }
        List<String> readOnly = new ArrayList<>(spec.readOnlyPaths());
        if (!python.findLinks().isEmpty()) {
            env.put("PIP_FIND_LINKS", String.join(" ", python.findLinks()));
            python.findLinks().stream().filter(p -> !readOnly.contains(p)).forEach(readOnly::add);
        }
        if (packages.javascript().configured()) {
            env.put("npm_config_registry", packages.javascript().registry());
        }
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c",
                RELAY_PYTHON + " -I -S " + GUEST_PATH + "/relay.py " + RELAY_PORT + " /run/mcp/" + PROXY_SOCKET
                        + " || { echo 'mcp-sandbox: the network relay did not start' >&2; exit 125; }\nexec \"$@\"\n",
                "relay"));
        command.addAll(spec.command());
        // npm is a Node program, and V8 reserves about 2 GiB of address space up front: from a bash call it would
        // die at start ("Failed to reserve virtual memory for CodeRange") under bash's own cap. The cgroup still
        // holds the call's memory to memoryMb; this only leaves room for that reservation.
        long addressSpaceMb = Math.max(spec.addressSpaceMb(), spec.limits().memoryMb() + NODE_ADDRESS_SPACE_MB);
        return new SandboxSpec(spec.executionId(), command, readOnly, env, spec.limits(), addressSpaceMb, spec.goLine(),
                true);
    }

    /** Opens the proxy of one run at its sandbox's bridge directory; closing it cuts every connection. */
    public EgressSession open(String executionId, Path bridgeDir) throws IOException {
        return EgressSession.open(executionId, bridgeDir.resolve(PROXY_SOCKET), policy, config.maxBytesPerCall(),
                config.maxConnectionsPerCall());
    }

    private static String resource(String name) {
        try (InputStream in = NetworkAccess.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
