package dev.mcpsandbox.sandbox.backend.bubblewrap.fork;

import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.limits.Cgroups;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * What the fork servers take from the bubblewrap backend.
 *
 * @param forksDir  the host directory every template sees as {@code /forks}: one scratch space per child
 * @param diskQuota true when each child's scratch space is a size-capped tmpfs (the server is root)
 */
public record ForkHost(Path forksDir, Cgroups cgroups, boolean diskQuota, Executor io, TemplateStarter starter) {

    /** Starts a template's process in a sandbox of the backend's template profile, in a cgroup of its own. */
    @FunctionalInterface
    public interface TemplateStarter {
        StartedTemplate start(String name, ForkKey key, List<String> command) throws SandboxException;
    }

    /**
     * @param process the bwrap process the template runs under
     * @param uid      the host uid it runs as
     * @param children the host uids its children run as
     * @param release  frees what starting it took (cgroup, scratch, uid); once its process is gone
     */
    public record StartedTemplate(Process process, int uid, ChildUids children, Runnable release) {
    }
}
