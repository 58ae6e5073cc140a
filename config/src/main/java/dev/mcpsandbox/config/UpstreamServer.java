package dev.mcpsandbox.config;

import java.net.URI;
import java.util.List;
import java.util.Map;

/** One entry of the {@code mcpServers} block, in the Claude Desktop format. */
public sealed interface UpstreamServer permits UpstreamServer.Stdio, UpstreamServer.Http {

    String name();

    record Stdio(String name, String command, List<String> args, Map<String, String> env) implements UpstreamServer {
        public Stdio {
            args = List.copyOf(args);
            env = Map.copyOf(env);
        }
    }

    record Http(String name, URI url, Map<String, String> headers) implements UpstreamServer {
        public Http {
            headers = Map.copyOf(headers);
        }
    }
}
