package dev.mcpsandbox.sandbox.backend.bubblewrap;

import dev.mcpsandbox.config.ForkServerConfig;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.bubblewrap.fork.ChildUids;
import dev.mcpsandbox.sandbox.backend.bubblewrap.fork.ForkHost;
import dev.mcpsandbox.sandbox.backend.bubblewrap.fork.ForkKey;
import dev.mcpsandbox.sandbox.backend.bubblewrap.fork.ForkServers;
import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;
import dev.mcpsandbox.sandbox.limits.Cgroups;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The bubblewrap side of the fork servers: the directory every template sees as {@code /forks} and the sandbox a
 * template runs in, which is a single-use sandbox's profile with two differences. Nested user namespaces stay
 * allowed and the template's filter allows {@code unshare} and {@code mount} (everything else the strict filter
 * refuses stays refused), because each child takes a user namespace of its own (that is what lets it mount its own
 * /proc, /tmp and workspace without any privilege on the host); the child then drops every capability and stacks
 * the strict filter, which refuses both, before any user code runs. The template itself only runs
 * fork_template.py. A root server also writes the template's uid maps itself (TemplateIdMaps): beside the template's
 * own uid, a block of host uids, one for each live child, which the template (keeping CAP_SETUID and CAP_SETGID in
 * its namespace alone) maps into each child's namespace, so that no two children and never the template share one.
 */
final class TemplateSandboxes {
    /** The template's own filter (see SeccompProgram#forForkTemplateForCurrentArchitecture), in the run directory. */
    static final String SECCOMP = "seccomp-fork-template.bpf";

    /** A template holds its interpreter and preloaded modules; its children are moved into cgroups of their own. */
    private static final ResourceLimits TEMPLATE_LIMITS = new ResourceLimits(0, 1024, 512, 0, 16, 16, 0);

    /**
     * How many children of one template can be alive at once when each runs as a uid of its own (a root server): a
     * fork beyond them takes the cold path. Pool and concurrency settings stay far below it; 64 of the 4096 sandbox
     * uids per template.
     */
    static final int CHILDREN_ALIVE = 64;
    /** bwrap reports its child at once; the maps are a few writes. */
    private static final Duration MAPS_WITHIN = Duration.ofSeconds(10);

    /** What a template's sandbox is made of, from the backend. */
    record Parts(Path runRoot, Path guestDir, Path passwd, Path group, Path seccomp, Cgroups cgroups,
                 HostIdentity identity, boolean diskQuota, Executor io, String owner) {
    }

    private TemplateSandboxes() {
    }

    static ForkServers prepare(Parts parts, ForkServerConfig settings) throws IOException {
        Path forks = parts.runRoot().resolve("forks");
        Files.createDirectories(forks);
        Files.setPosixFilePermissions(forks, PosixFilePermissions.fromString("rwx--x--x"));
        if (parts.diskQuota()) {
            // Each child's quota tmpfs is mounted below forks after its template started; a shared mount is what
            // carries it into the template's mount namespace (bwrap makes its view a slave of it).
            ScratchSpace.run(List.of("/bin/mount", "--bind", forks.toString(), forks.toString()));
            ScratchSpace.run(List.of("/bin/mount", "--make-shared", forks.toString()));
        }
        Path runtime = parts.runRoot().resolve("fork");
        Files.createDirectories(runtime);
        Files.copy(parts.seccomp(), runtime.resolve("seccomp.bpf"), StandardCopyOption.REPLACE_EXISTING);
        ForkHost host = new ForkHost(forks, parts.cgroups(), parts.diskQuota(), parts.io(),
                (name, key, command) -> start(parts, forks, runtime, name, key, command));
        ForkServers servers = ForkServers.prepare(host, settings, runtime, parts.owner());
        try (var files = Files.list(runtime)) {
            for (Path f : files.toList()) {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
            }
        }
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwxr-xr-x"));
        return servers;
    }

    /** Undoes {@link #prepare}'s mount, if it made one, so the run directory can be removed. */
    static void unshare(Path runRoot) {
        Path forks = runRoot.resolve("forks");
        try {
            ScratchSpace.run(List.of("/bin/umount", "-l", forks.toString()));
        } catch (IOException e) {
            // not mounted (no disk quota): nothing to undo
        }
    }

    private static ForkHost.StartedTemplate start(Parts parts, Path forks, Path runtime, String name, ForkKey key,
                                                  List<String> command) throws SandboxException {
        HostIdentity identity = parts.identity();
        // A root server's children each run as a host uid of their own, from a block mapped into the template's
        // user namespace; a server that is not root has only its own uid, for the template and its children alike.
        Optional<HostIdentity.Block> block = identity.leaseBlock(CHILDREN_ALIVE);
        if (identity.switchesUid() && block.isEmpty()) {
            throw new SandboxException("cannot start a fork-server template: no " + CHILDREN_ALIVE
                    + " consecutive sandbox uids are free for its children");
        }
        int uid;
        try {
            uid = identity.lease();
        } catch (IllegalStateException e) {
            block.ifPresent(identity::release);
            throw new SandboxException("cannot start a fork-server template: " + e.getMessage(), e);
        }
        ChildUids children = block.map(b -> ChildUids.block(b.first(), TemplateIdMaps.FIRST_CHILD_ID, b.size(),
                () -> identity.release(b))).orElseGet(() -> ChildUids.sharedWithTemplate(uid, BwrapArguments.SANDBOX_UID));
        ScratchSpace scratch = null;
        Optional<Cgroups.Group> group = Optional.empty();
        Process process = null;
        try {
            scratch = ScratchSpace.create(parts.runRoot().resolve(name), uid, TEMPLATE_LIMITS.diskMb() << 20, parts.diskQuota());
            group = parts.cgroups().create(name, TEMPLATE_LIMITS);
            BwrapArguments.Layout layout = new BwrapArguments.Layout(scratch.workDir(), scratch.tmpDir(),
                    scratch.bridgeDir(), parts.guestDir(), parts.passwd(), parts.group());
            List<String> options = BwrapArguments.templateOptions(layout, key.readOnlyPaths(), key.environment(),
                    forks, runtime, block.isPresent() ? BwrapArguments.TemplateMaps.BY_SERVER : BwrapArguments.TemplateMaps.BY_BWRAP);
            Path argsFile = scratch.root().resolve("bwrap.args");
            Files.write(argsFile, (String.join("\0", options) + "\0").getBytes(StandardCharsets.UTF_8));
            String cgroupFiles = group.map(g -> g.procsFiles().stream().map(Path::toString)
                    .collect(Collectors.joining(":"))).orElse("");
            List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c",
                    block.isPresent() ? BubblewrapBackend.TEMPLATE_WRAPPER_WITH_HOST_MAPS : BubblewrapBackend.HOST_WRAPPER,
                    "wrapper", argsFile.toString(), parts.runRoot().resolve(SECCOMP).toString(),
                    identity.switchesUid() ? Integer.toString(uid) : "", cgroupFiles));
            wrapped.addAll(command);
            ProcessBuilder pb = new ProcessBuilder(wrapped).directory(Path.of("/").toFile());
            pb.environment().clear();
            process = pb.start();
            if (block.isPresent()) {
                TemplateIdMaps.write(process, uid, block.get(), MAPS_WITHIN, parts.io());
            }
            ScratchSpace ownScratch = scratch;
            Optional<Cgroups.Group> ownGroup = group;
            return new ForkHost.StartedTemplate(process, uid, children, () -> {
                ownGroup.ifPresent(Cgroups.Group::close);
                ownScratch.close();
                identity.release(uid);
                children.close();
            });
        } catch (IOException | RuntimeException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (process != null) {
                // before anything it holds goes: a template whose maps were not written never runs
                process.destroyForcibly();
                try {
                    process.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException again) {
                    Thread.currentThread().interrupt();
                }
            }
            group.ifPresent(Cgroups.Group::close);
            if (scratch != null) {
                scratch.close();
            }
            identity.release(uid);
            children.close();
            throw new SandboxException("cannot start a fork-server template: " + e.getMessage(), e);
        }
    }
}
