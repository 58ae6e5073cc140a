package dev.mcpsandbox.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules across keys, which a schema cannot say well; each broken rule becomes a problem naming its key.
 * A key already reported (its value was refused and dropped) is not judged again: its fallback would only
 * bring a second, misleading problem.
 */
final class ConfigRules {
    private final List<ConfigProblem> problems;

    ConfigRules(List<ConfigProblem> problems) {
        this.problems = problems;
    }

    /** A server has either a command (stdio) or a url (Streamable HTTP); a disabled one is skipped. */
    Map<String, UpstreamServer> upstreams(Map<String, ServerEntry> entries) {
        Map<String, UpstreamServer> servers = new LinkedHashMap<>();
        entries.forEach((name, s) -> {
            String key = "mcpServers." + name;
            if (s.disabled() || reported(key)) {
                return;
            }
            if ((s.command() == null) == (s.url() == null)) {
                problems.add(new ConfigProblem(key,
                        "give either \"command\" (a stdio server) or \"url\" (a Streamable HTTP server)"));
            } else if (s.command() != null) {
                servers.put(name, new UpstreamServer.Stdio(name, s.command(), s.args(), s.env()));
            } else {
                try {
                    servers.put(name, new UpstreamServer.Http(name, new URI(s.url()), s.headers()));
                } catch (URISyntaxException e) {
                    problems.add(new ConfigProblem(key + ".url", "not a URL: " + e.getMessage()));
                }
            }
        });
        return servers;
    }

    /**
     * A default above its maximum is an error when the file sets that maximum, and raises the built-in maximum
     * with it when the file does not.
     */
    LimitsConfig limits(ResourceLimits defaults, ResourceLimits maxima, Set<String> maximaGiven) {
        for (ResourceLimits.Key k : ResourceLimits.Key.values()) {
            if (defaults.get(k) <= maxima.get(k) || reported("limits." + k.jsonName())
                    || reported("limits.max." + k.jsonName())) {
                continue;
            }
            if (maximaGiven.contains(k.jsonName())) {
                problems.add(new ConfigProblem("limits." + k.jsonName(), "default " + defaults.get(k)
                        + " is above limits.max." + k.jsonName() + " (" + maxima.get(k) + ")"));
            } else {
                maxima = maxima.with(k, defaults.get(k));
            }
        }
        return new LimitsConfig(defaults, maxima);
    }

    /**
     * Every allow and deny pattern must read as a host: an empty label, {@code *} alone or a URL would either
     * match nothing the operator meant or everything.
     */
    NetworkConfig network(NetworkConfig network) {
        for (String list : List.of("allow", "deny")) {
            List<String> patterns = list.equals("allow") ? network.allow() : network.deny();
            for (int i = 0; i < patterns.size(); i++) {
                String key = "network." + list + "[" + i + "]";
                if (reported(key)) {
                    continue;
                }
                try {
                    HostPattern.parse(patterns.get(i));
                } catch (IllegalArgumentException e) {
                    problems.add(new ConfigProblem(key, e.getMessage()));
                }
            }
        }
        return network;
    }

    /** Whether {@code key} or a key inside it already has a problem. */
    private boolean reported(String key) {
        return problems.stream().map(ConfigProblem::keyPath)
                .anyMatch(p -> p.equals(key) || p.startsWith(key + ".") || p.startsWith(key + "["));
    }
}
