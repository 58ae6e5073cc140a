package dev.mcpsandbox.config;

import java.util.List;
import java.util.Map;

/**
 * One entry of {@code mcpServers} as the Claude Desktop format writes it; {@link ConfigRules} turns it into an
 * {@link UpstreamServer}. {@code type} is accepted (other clients write it) and ignored.
 */
record ServerEntry(String command, List<String> args, Map<String, String> env, String url,
                   Map<String, String> headers, String type, boolean disabled) {
    static final ServerEntry NONE = new ServerEntry(null, List.of(), Map.of(), null, Map.of(), null, false);
}
