package dev.mcpsandbox.config;

import java.util.Map;

/** The whole configuration, immutable. Every key of the file is optional; see {@link ConfigLoader}. */
public record ServerConfig(Map<String, UpstreamServer> mcpServers, ToolRulesConfig tools, LimitsConfig limits,
                           BackendKind backend, PoolConfig pool, SessionsConfig sessions,
                           Map<String, LanguageConfig> languages,
                           ExecutionConfig execution, OutputConfig output, AuditConfig audit,
                           DockerConfig docker) {
    public ServerConfig {
        // Configuration order is kept: start-up logs and discovery list servers as the operator wrote them.
        mcpServers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(mcpServers));
        languages = Map.copyOf(languages);
    }

    public static ServerConfig defaults() {
        return new ServerConfig(Map.of(), ToolRulesConfig.NOTHING_ALLOWED, LimitsConfig.DEFAULTS, BackendKind.BUBBLEWRAP,
                PoolConfig.DEFAULTS, SessionsConfig.DEFAULTS, Map.of(), ExecutionConfig.defaults(), OutputConfig.DEFAULTS, AuditConfig.NONE,
                DockerConfig.DEFAULTS);
    }

    public LanguageConfig language(String id) {
        return languages.getOrDefault(id, LanguageConfig.DEFAULT);
    }
}
