package dev.mcpsandbox.sandbox.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import dev.mcpsandbox.sandbox.backend.SandboxException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Which of some paths an image lacks, asked of one short container for all of them. Copying each file out of a
 * created container would cost no start-up, but the engine streams the whole file and the client reads it to the
 * end before the connection is free: 3.4 s for node alone, about 10 s for thirteen languages at every start.
 * The container runs the image's {@code /bin/sh} (every sandbox's launcher needs it anyway), hardened as a
 * sandbox is ({@link ContainerSpecs#utility}).
 */
final class ImageContents {
    private static final String LIST_MISSING = "for f do [ -e \"$f\" ] || printf '%s\\n' \"$f\"; done";
    private static final long TIMEOUT_SECONDS = 30;

    private ImageContents() {
    }

    static Set<String> missing(DockerClient docker, String image, Collection<String> paths, int uid,
                               Map<String, String> labels) throws SandboxException {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", LIST_MISSING, "image-check"));
        command.addAll(paths);
        String id = null;
        try {
            id = ContainerSpecs.utility(docker.createContainerCmd(image), command, uid, labels).exec().getId();
            docker.startContainerCmd(id).exec();
            int status = docker.waitContainerCmd(id).exec(new WaitContainerResultCallback())
                    .awaitStatusCode(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            StringBuilder stdout = new StringBuilder();
            StringBuilder stderr = new StringBuilder();
            docker.logContainerCmd(id).withStdOut(true).withStdErr(true).exec(new ResultCallback.Adapter<Frame>() {
                @Override
                public void onNext(Frame frame) {
                    (frame.getStreamType() == StreamType.STDERR ? stderr : stdout)
                            .append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                }
            }).awaitCompletion(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (status != 0) {
                throw new SandboxException("/bin/sh in image " + image + " ended with exit code " + status
                        + (stderr.isEmpty() ? "" : ": " + stderr.toString().strip()));
            }
            return new LinkedHashSet<>(stdout.toString().lines().filter(line -> !line.isEmpty()).toList());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while looking into image " + image, e);
        } catch (RuntimeException e) {
            throw new SandboxException(e.getMessage(), e);
        } finally {
            if (id != null) {
                try {
                    docker.removeContainerCmd(id).withForce(true).exec();
                } catch (RuntimeException e) {
                    // labelled with this session: the sweep of a later server removes it
                }
            }
        }
    }
}
