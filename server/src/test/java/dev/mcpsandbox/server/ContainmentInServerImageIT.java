package dev.mcpsandbox.server;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The containment probes ({@link AbstractContainmentIT}) against the server's container image in mode (a): the
 * Java SDK's client starts {@code docker run -i --rm} with exactly README's mode (a) options, which turn Docker's
 * seccomp profile and its masking of /proc off so that bubblewrap can work inside. Everything that a probe plants
 * or opens "where the server runs" is planted or opened inside that container, beside the server's JVM, through
 * {@code docker exec}: the secret files (in the container's /tmp and the server's installation directory), the
 * loopback listener of the network probes (the container has a network namespace of its own, so a listener on the
 * host's 127.0.0.1 would prove nothing), and the files that must not appear. Host-side probes (host uid of the
 * sandbox's processes, background processes left over) keep looking at this host's /proc: the container's
 * processes are host processes.
 *
 * <p>Besides the suite, the promises that mode (a)'s relaxations put at stake: the code cannot see or signal the
 * server's JVM, which runs as the same uid 65534; it cannot read the unmasked root-only /proc files nor write
 * /proc/sys; it runs under the project's seccomp filter although the container has none; and it has no capability.
 */
class ContainmentInServerImageIT extends AbstractContainmentIT {
    private ServerImage image;
    private final String container = "mcp-sandbox-containment-" + letters(12);
    /** The server's JVM, the container's first process, as this host numbers it. */
    private long jvmHostPid;

    @Override
    protected String configJson() {
        return "{\"output\": {\"redactSecrets\": false}}";
    }

    @Override
    protected SandboxServer startServer(String configJson, Map<String, String> env) throws Exception {
        image = ServerImage.build("mcp-sandbox/server-it-containment");
        List<String> options = new ArrayList<>(List.of("--name", container));
        options.addAll(ServerImage.MODE_A);
        options.addAll(List.of("-e", "MCP_SANDBOX_CONFIG_JSON=" + configJson));
        env.forEach((name, value) -> options.addAll(List.of("-e", name + "=" + value)));
        SandboxServer server = SandboxServer.builder().launcher(image.run(options, List.of())).env(image.env()).start();
        jvmHostPid = Long.parseLong(image.docker(List.of("docker", "inspect", "--format", "{{.State.Pid}}",
                container)).strip());
        assertThat(cmdline(jvmHostPid).orElse("")).as("the container's first process is the server's JVM")
                .contains("java").contains("mcp-sandbox.jar");
        return server;
    }

    // ---------------------------------------------------------------- the suite, inside the container

    @Override
    protected List<Path> plantWhereServerRuns(String secret) throws Exception {
        List<Path> planted = new ArrayList<>();
        // /tmp holds the server's work root, written by the server's uid; /opt/mcp-sandbox is the server's
        // installation, root's (the image has no /root).
        planted.add(plantInContainer("65534", "/tmp", secret));
        planted.add(plantInContainer("0", "/opt/mcp-sandbox", secret));
        for (Path p : planted) {
            assertThat(image.docker(List.of("docker", "exec", "--user", "65534", container, "cat", p.toString())))
                    .as("%s read in the container by the server's uid (positive control)", p).isEqualTo(secret);
        }
        return planted;
    }

    private Path plantInContainer(String user, String parent, String secret) throws Exception {
        String file = image.docker(List.of("docker", "exec", "--user", user, container, "sh", "-c",
                "d=$(mktemp -d \"$1/containment-it-XXXXXX\") && chmod 755 \"$d\" && printf %s \"$2\" > \"$d/planted.txt\""
                        + " && chmod 644 \"$d/planted.txt\" && echo \"$d/planted.txt\"", "plant", parent, secret)).strip();
        return Path.of(file);
    }

    @Override
    protected boolean existsWhereServerRuns(String path) throws Exception {
        ServerImage.Result r = image.exec(List.of("docker", "exec", container, "test", "-e", path));
        assertThat(r.exitCode()).as("test -e %s in the container: %s", path, r.output()).isIn(0, 1);
        return r.exitCode() == 0;
    }

    /** The JVM's environment, read from this host's /proc: the container's processes are host processes. */
    @Override
    protected String serverEnvironment() throws Exception {
        return new String(Files.readAllBytes(Path.of("/proc", Long.toString(jvmHostPid), "environ")),
                StandardCharsets.UTF_8).replace('\0', '\n');
    }

    @Override
    protected LoopbackListener openLoopbackListenerWhereServerRuns() throws Exception {
        return new ContainerListener();
    }

    /**
     * A listener on the container's 127.0.0.1, the loopback the server shares: a Python process started by
     * {@code docker exec} beside the JVM, which prints its port and a line per connection it accepts, and exits when
     * its stdin closes.
     */
    private final class ContainerListener implements LoopbackListener {
        private static final String SCRIPT = """
                import os, socket, sys, threading
                def end_with_stdin():
                    sys.stdin.read()
                    os._exit(0)
                threading.Thread(target=end_with_stdin, daemon=True).start()
                s = socket.socket()
                s.bind(('127.0.0.1', 0))
                s.listen(16)
                print('PORT', s.getsockname()[1], flush=True)
                while True:
                    c, _ = s.accept()
                    print('ACCEPTED', flush=True)
                    c.close()
                """;
        private final Process process;
        private final int port;
        private final AtomicInteger connections = new AtomicInteger();

        ContainerListener() throws Exception {
            process = image.start(List.of("docker", "exec", "-i", container, "python3", "-c", SCRIPT));
            BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            String first = CompletableFuture.supplyAsync(() -> {
                try {
                    return lines.readLine();
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }).get(60, TimeUnit.SECONDS);
            assertThat(first).as("the listener's first line").startsWith("PORT ");
            port = Integer.parseInt(first.substring("PORT ".length()).strip());
            Thread counter = new Thread(() -> {
                try {
                    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                        if (line.equals("ACCEPTED")) {
                            connections.incrementAndGet();
                        }
                    }
                } catch (java.io.IOException closed) {
                    // the listener is gone
                }
            }, "container-listener");
            counter.setDaemon(true);
            counter.start();
        }

        @Override
        public int port() {
            return port;
        }

        @Override
        public void connectFromBesideTheServer() throws Exception {
            image.docker(List.of("docker", "exec", container, "python3", "-c",
                    "import socket; socket.create_connection(('127.0.0.1', " + port + "), 5).close()"));
        }

        @Override
        public int connections() {
            return connections.get();
        }

        @Override
        public void reset() {
            connections.set(0);
        }

        @Override
        public void close() throws Exception {
            process.getOutputStream().close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    // ---------------------------------------------------------------- what mode (a) puts at stake

    @Test
    void codeCannotSeeOrSignalTheServerJvmThatRunsAsTheSameUid() throws Exception {
        // Positive control: the JVM runs as uid 65534, as the code does, and a process of that uid beside it in the
        // container (not in a sandbox) sees it as pid 1, reads its environment and may signal it. Only the sandbox's
        // namespaces stand between the code and the JVM.
        assertThat(statusField(jvmHostPid, "Uid")).as("the JVM's uids").isEqualTo("65534\t65534\t65534\t65534");
        assertThat(image.docker(List.of("docker", "exec", container, "python3", "-c", """
                import os
                os.kill(1, 0)
                print(open('/proc/1/cmdline', 'rb').read().replace(b'\\0', b' ').decode())
                print(open('/proc/1/environ', 'rb').read().replace(b'\\0', b' ').decode())
                """))).as("the JVM seen beside it").contains("mcp-sandbox.jar").contains(CANARY);

        Map<String, Object> r = run("python", """
                import os
                for p in sorted(int(p) for p in os.listdir('/proc') if p.isdigit()):
                    try:
                        cmd = open('/proc/' + str(p) + '/cmdline', 'rb').read().replace(b'\\0', b' ').decode()
                    except OSError as e:
                        cmd = 'unreadable ' + type(e).__name__
                    print('SEEN', p, cmd)
                JVM_HOST_PID = %d
                try:
                    os.kill(JVM_HOST_PID, 0)
                    print('SIGNALLED', JVM_HOST_PID)
                except OSError as e:
                    print('NO-SUCH', JVM_HOST_PID, type(e).__name__)
                print('UID', os.getuid())
                """.formatted(jvmHostPid), 10);
        String out = (String) r.get("stdout");
        assertThat(r.get("exitCode")).as("stderr: %s", r.get("stderr")).isEqualTo(0);
        assertThat(out).as("the probe runs as the JVM's uid").contains("UID 65534");
        assertThat(out).as("processes the code sees").contains("SEEN 1 ").doesNotContain("java")
                .doesNotContain("mcp-sandbox.jar");
        assertThat(out).as("signalling the JVM's host pid").contains("NO-SUCH " + jvmHostPid + " ProcessLookupError")
                .doesNotContain("SIGNALLED");
        assertThat(ProcessHandle.of(jvmHostPid).map(ProcessHandle::isAlive)).as("the JVM after the probe").hasValue(true);
    }

    @Test
    void codeCannotReadTheRootOnlyProcFilesDockerWouldMask_norWriteProcSys() throws Exception {
        // Docker masks these root-only files (binds /dev/null over them) and makes /proc/sys read-only; mode (a)'s
        // systempaths=unconfined lifts that. Which exist depends on the kernel (this project's CI kernel has no
        // /proc/kcore), but at least one must, or the probe would prove nothing.
        List<String> present = new ArrayList<>();
        for (String path : List.of("/proc/kcore", "/proc/timer_list")) {
            if (existsWhereServerRuns(path)) {
                present.add(path);
            }
        }
        assertThat(present).as("root-only files Docker masks that this kernel has").isNotEmpty();
        // Positive control: in the container no mount covers them or /proc/sys: the masks are really off.
        String mounts = image.docker(List.of("docker", "exec", container, "cat", "/proc/self/mountinfo"));
        for (String path : present) {
            assertThat(mounts).as("the container's mounts").doesNotContain(" " + path + " ");
        }
        assertThat(mounts).as("the container's mounts").doesNotContain(" /proc/sys ");
        String corePattern = Files.readString(Path.of("/proc/sys/kernel/core_pattern"));
        String marker = "containment-" + letters(8);

        StringBuilder code = new StringBuilder("""
                def probe(label, action):
                    try:
                        print(label, 'DONE', action())
                    except OSError as e:
                        print(label, 'DENIED', type(e).__name__)
                def write(path, text):
                    with open(path, 'w') as f:
                        return f.write(text)
                probe('OSTYPE', lambda: open('/proc/sys/kernel/ostype').read().strip())
                probe('CORE-PATTERN', lambda: write('/proc/sys/kernel/core_pattern', '|/tmp/%s'))
                probe('HOSTNAME', lambda: write('/proc/sys/kernel/hostname', '%s'))
                probe('DROP-CACHES', lambda: write('/proc/sys/vm/drop_caches', '3'))
                """.formatted(marker, marker));
        for (String path : present) {
            code.append("probe('READ ").append(path).append("', lambda: len(open('").append(path)
                    .append("', 'rb').read(4096)))\n");
        }
        Map<String, Object> r = run("python", code.toString(), 10);
        String out = (String) r.get("stdout");
        assertThat(r.get("exitCode")).as("stderr: %s", r.get("stderr")).isEqualTo(0);
        assertThat(out).as("reading /proc/sys (positive control: it is there)").contains("OSTYPE DONE Linux");
        List<String> denied = new ArrayList<>(List.of("CORE-PATTERN", "HOSTNAME", "DROP-CACHES"));
        present.forEach(path -> denied.add("READ " + path));
        for (String label : denied) {
            assertThat(out).as(label).contains(label + " DENIED PermissionError").doesNotContain(label + " DONE");
        }
        assertThat(Files.readString(Path.of("/proc/sys/kernel/core_pattern"))).as("the host's core_pattern")
                .isEqualTo(corePattern).doesNotContain(marker);
    }

    @Test
    void codeRunsUnderTheProjectsSeccompFilterWhereTheContainerHasNone() throws Exception {
        // Positive control: seccomp=unconfined leaves the server's JVM without any filter, without capabilities and
        // with no_new_privs; beside it, a process of the same uid may create a user namespace and use the kernel
        // keyring, two things Docker's default profile refuses.
        assertThat(statusField(jvmHostPid, "Seccomp")).as("the JVM's Seccomp (0 = none)").isEqualTo("0");
        assertThat(statusField(jvmHostPid, "NoNewPrivs")).as("the JVM's NoNewPrivs").isEqualTo("1");
        for (String cap : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
            assertThat(statusField(jvmHostPid, cap)).as("the JVM's " + cap).isEqualTo("0000000000000000");
        }
        String syscalls = """
                import ctypes, os, platform
                libc = ctypes.CDLL(None, use_errno=True)
                status = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines() if ':' in l)
                print('SECCOMP', status['Seccomp'].strip())
                print('CAPS', status['CapEff'].strip(), status['CapBnd'].strip())
                def report(name, rc):
                    print(name, 'ALLOWED' if rc >= 0 else 'ERRNO ' + str(ctypes.get_errno()))
                pid = os.fork()
                if pid == 0:
                    os._exit(0 if libc.unshare(0x10000000) == 0 else ctypes.get_errno())
                _, st = os.waitpid(pid, 0)
                print('UNSHARE-USER', 'ALLOWED' if os.WEXITSTATUS(st) == 0 else 'ERRNO ' + str(os.WEXITSTATUS(st)))
                # keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, create)
                KEYCTL = {'x86_64': 250, 'aarch64': 219}[platform.machine()]
                report('KEYCTL', libc.syscall(KEYCTL, 0, -2, 1))
                """;
        String beside = image.docker(List.of("docker", "exec", container, "python3", "-c", syscalls));
        assertThat(beside).as("beside the JVM, outside a sandbox").contains("SECCOMP 0")
                .contains("UNSHARE-USER ALLOWED").contains("KEYCTL ALLOWED");

        Map<String, Object> r = run("python", syscalls, 10);
        String out = (String) r.get("stdout");
        assertThat(r.get("exitCode")).as("stderr: %s", r.get("stderr")).isEqualTo(0);
        assertThat(out).as("in the sandbox").contains("SECCOMP 2").contains("CAPS 0000000000000000 0000000000000000")
                .contains("UNSHARE-USER ERRNO 1").contains("KEYCTL ERRNO 1");
    }

    private static String statusField(long pid, String key) throws Exception {
        Map<String, String> fields = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        assertThat(fields).as("/proc/%d/status", pid).containsKey(key);
        return fields.get(key);
    }
}
