package dev.mcpsandbox.sandbox.backend.bubblewrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A root server's fork-server template gets its user namespace's uid and gid maps from the server, which may map
 * more than one host uid into it (bwrap, run as the template's uid, may map only that one): the template's own uid
 * as the sandbox's 65534, as bwrap would, and a block of host uids its children run as, one each (each child maps
 * its 65534 to one of them, see fork_template.py). Run with {@code --userns-block-fd 5 --info-fd 6}, bwrap writes
 * no map itself: it reports its child's pid on fd 6 (the template's stdout: the JSON comes before anything the
 * template says) and holds the child back until a byte arrives on fd 5 (the template's stdin). The child has run
 * nothing of the sandbox before that byte; when the maps cannot be written the caller kills bwrap instead.
 */
final class TemplateIdMaps {
    /** Where the template's namespace names the children's uids from: 0 stays unmapped, 65534 is the template's. */
    static final int FIRST_CHILD_ID = 1;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** bwrap's info is a few hundred bytes; anything longer is not it. */
    private static final int INFO_LIMIT = 4096;

    private TemplateIdMaps() {
    }

    /**
     * Writes the maps of the namespace bwrap made and lets its child go on.
     *
     * @param bwrap       the template's process, started by {@link BubblewrapBackend#TEMPLATE_WRAPPER_WITH_HOST_MAPS}
     * @param templateUid the host uid bwrap runs as
     * @param children    the host uids the template's children run as
     * @throws IOException when bwrap reported no child within {@code within}, or a map could not be written
     */
    static void write(Process bwrap, int templateUid, HostIdentity.Block children, Duration within, Executor io)
            throws IOException, InterruptedException {
        long pid = childPid(bwrap, within, io);
        String map = mapOf(templateUid, children);
        Path proc = Path.of("/proc", Long.toString(pid));
        // setgroups first: the children's namespaces inherit "deny", and nothing in the template needs groups
        write(proc.resolve("setgroups"), "deny");
        write(proc.resolve("uid_map"), map);
        write(proc.resolve("gid_map"), map);
        OutputStream release = bwrap.getOutputStream();
        release.write('m');
        release.flush();
    }

    /** The template's map (the same for gids: every sandbox's gid is its uid). */
    static String mapOf(int templateUid, HostIdentity.Block children) {
        return BwrapArguments.SANDBOX_UID + " " + templateUid + " 1\n"
                + FIRST_CHILD_ID + " " + children.first() + " " + children.size() + "\n";
    }

    /** A map is taken in one write(2), or not at all. */
    private static void write(Path file, String content) throws IOException {
        Files.write(file, content.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
    }

    private static long childPid(Process bwrap, Duration within, Executor io) throws IOException, InterruptedException {
        CompletableFuture<String> info = CompletableFuture.supplyAsync(() -> readInfo(bwrap.getInputStream()), io);
        try {
            JsonNode pid = JSON.readTree(info.get(within.toMillis(), TimeUnit.MILLISECONDS)).path("child-pid");
            if (!pid.canConvertToLong() || pid.asLong() <= 1) {
                throw new IOException("bwrap reported no child pid");
            }
            return pid.asLong();
        } catch (ExecutionException e) {
            throw new IOException("bwrap reported no child: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("bwrap reported no child within " + within.toSeconds() + " s");
        }
    }

    /** bwrap's info JSON, read a byte at a time so that nothing the template says after it is taken. */
    private static String readInfo(InputStream in) {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        try {
            for (int b = 0; b != '\n' || !json.toString(StandardCharsets.US_ASCII).endsWith("\n}\n"); ) {
                b = in.read();
                if (b < 0 || json.size() >= INFO_LIMIT) {
                    throw new IllegalStateException("bwrap ended before its info: " + json.toString(StandardCharsets.US_ASCII));
                }
                json.write(b);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return json.toString(StandardCharsets.US_ASCII);
    }
}
