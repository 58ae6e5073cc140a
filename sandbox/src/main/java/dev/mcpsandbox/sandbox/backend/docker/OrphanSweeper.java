package dev.mcpsandbox.sandbox.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;

/**
 * Removes the containers a dead server left behind (SIGKILL, OOM, power loss): every container labelled with a
 * {@link Session} of this host whose process is gone. Containers of live servers, also other servers sharing
 * the engine, and of other hosts are left alone.
 */
final class OrphanSweeper {
    private static final Logger log = LoggerFactory.getLogger(OrphanSweeper.class);

    private OrphanSweeper() {
    }

    /** Never throws: an engine that cannot be asked now is asked again at the next sweep. */
    static void sweep(DockerClient docker, String host) {
        List<Container> labelled;
        try {
            labelled = docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of(Session.LABEL)).exec();
        } catch (RuntimeException e) {
            log.debug("no sweep of leftover containers: {}", e.getMessage());
            return;
        }
        int removed = 0;
        for (Container c : labelled) {
            String label = c.getLabels() == null ? "" : c.getLabels().getOrDefault(Session.LABEL, "");
            Optional<Session> owner = Session.parse(label);
            if (owner.isPresent() && owner.get().deadOn(host)) {
                try {
                    docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
                    removed++;
                } catch (NotFoundException e) {
                    // removed meanwhile
                } catch (RuntimeException e) {
                    log.warn("cannot remove container {} left by dead server {}: {}", c.getId(), label, e.getMessage());
                }
            }
        }
        if (removed > 0) {
            log.info("removed {} container(s) left behind by servers that are gone", removed);
        }
    }
}
