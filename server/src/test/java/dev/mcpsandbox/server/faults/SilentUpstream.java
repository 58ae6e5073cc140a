package dev.mcpsandbox.server.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A stdio MCP server, a few lines of host Python, with one read-only tool {@code wait} that never answers: it
 * initializes and lists its tool like any server, then swallows every {@code tools/call}. Whatever the test
 * does to it meanwhile (kill it, or let the call time out) is the fault. Each start writes its pid to
 * {@code <dir>/<name>.pid} so a test can find the process the server started.
 */
final class SilentUpstream {
    private static final String SCRIPT = """
            import json, os, sys
            pidfile = sys.argv[1]
            with open(pidfile + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.rename(pidfile + ".tmp", pidfile)
            def answer(id, result):
                sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": id, "result": result}) + "\\n")
                sys.stdout.flush()
            for line in sys.stdin:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                method, id = msg.get("method"), msg.get("id")
                if id is None:
                    continue
                if method == "initialize":
                    answer(id, {"protocolVersion": msg["params"]["protocolVersion"], "capabilities": {"tools": {}},
                                "serverInfo": {"name": "silent", "version": "1"}})
                elif method == "tools/list":
                    answer(id, {"tools": [{"name": "wait", "description": "never answers",
                                           "inputSchema": {"type": "object"},
                                           "annotations": {"readOnlyHint": True}}]})
                elif method == "ping":
                    answer(id, {})
                # tools/call: no answer, ever
            """;

    private final Path dir;

    private SilentUpstream(Path dir) {
        this.dir = dir;
    }

    static SilentUpstream in(Path dir) throws IOException {
        Path script = dir.resolve("silent_upstream.py");
        Files.writeString(script, SCRIPT);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new SilentUpstream(dir);
    }

    /** The {@code mcpServers} entry that starts one under this name. */
    String serverEntry(String name) {
        return "{\"command\":\"/usr/bin/python3\",\"args\":[\"" + dir.resolve("silent_upstream.py") + "\",\""
                + pidFile(name) + "\"]}";
    }

    Path pidFile(String name) {
        return dir.resolve(name + ".pid");
    }

    /** The pid of the instance now running under this name. */
    long pid(String name) throws IOException {
        return Long.parseLong(Files.readString(pidFile(name)).trim());
    }

    static boolean isOne(String commandLine) {
        return commandLine.contains("silent_upstream.py");
    }
}
