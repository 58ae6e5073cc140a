package dev.mcpsandbox.config;

import java.util.Map;

/** The whole configuration, immutable. Every key of the file is optional; see {@link ConfigLoader}. */
public record ServerConfig(Map<String, UpstreamServer> mcpServers, ToolRulesConfig tools, LimitsConfig limits,
                           BackendKind backend, PoolConfig pool, SessionsConfig sessions,
                           Map<String, LanguageConfig> languages,
                           ExecutionConfig execution, OutputConfig output, AuditConfig audit,
                           DockerConfig docker, NetworkConfig network, PackagesConfig packages,
                           ForkServerConfig forkServer) {
    public ServerConfig {
        // Configuration order is kept: start-up logs and discovery list servers as the operator wrote them.
        mcpServers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(mcpServers));
        languages = Map.copyOf(languages);
    }

    public static ServerConfig defaults() {
        return new ServerConfig(Map.of(), ToolRulesConfig.NOTHING_ALLOWED, LimitsConfig.DEFAULTS, BackendKind.BUBBLEWRAP,
                PoolConfig.DEFAULTS, SessionsConfig.DEFAULTS, Map.of(), ExecutionConfig.defaults(), OutputConfig.DEFAULTS,
                AuditConfig.NONE, DockerConfig.DEFAULTS, NetworkConfig.NONE, PackagesConfig.NONE, ForkServerConfig.DEFAULTS);
    }

    /** This configuration with {@code forkServer} in place of its own. */
    public ServerConfig withForkServer(ForkServerConfig forkServer) {
        return new ServerConfig(mcpServers, tools, limits, backend, pool, sessions, languages, execution, output, audit,
                docker, network, packages, forkServer);
    }

    /** A configuration with the default sessions, without network and packages (as before they existed). */
    public ServerConfig(Map<String, UpstreamServer> mcpServers, ToolRulesConfig tools, LimitsConfig limits,
                        BackendKind backend, PoolConfig pool, Map<String, LanguageConfig> languages,
                        ExecutionConfig execution, OutputConfig output, AuditConfig audit, DockerConfig docker) {
        this(mcpServers, tools, limits, backend, pool, SessionsConfig.DEFAULTS, languages, execution, output, audit,
                docker, NetworkConfig.NONE, PackagesConfig.NONE, ForkServerConfig.DEFAULTS);
    }

    public LanguageConfig language(String id) {
        return languages.getOrDefault(id, LanguageConfig.DEFAULT);
    }
}
