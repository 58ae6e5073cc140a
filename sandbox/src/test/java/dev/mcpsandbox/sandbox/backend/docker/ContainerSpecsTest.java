package dev.mcpsandbox.sandbox.backend.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import dev.mcpsandbox.config.DockerConfig;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What each {@link ContainerRuntime} puts into docker-java's create command through {@link ContainerSpecs}
 * (the real command object, never sent). Whether the engine honours it is the start-up probe's question and
 * ContainerBackendIT's.
 */
class ContainerSpecsTest {
    private static final DockerConfig CONFIG = DockerConfig.DEFAULTS;
    private static final SandboxSpec SPEC = new SandboxSpec("exec-1", List.of("/usr/bin/python3", "main.py"),
            List.of("/usr/lib/python3"), Map.of("PATH", "/usr/bin:/bin"), new ResourceLimits(30, 256, 16, 65_536, 1, 16, 0),
            512, GoLine.LAUNCHER);

    @Test
    void runc_usesTheEngineDefaultRuntimeAndSeccompProfile_andCapsPidsAtTheCodesProcesses() {
        HostConfig host = create(ContainerRuntime.RUNC).getHostConfig();

        assertThat(host.getRuntime()).isNull();
        assertThat(host.getSecurityOpts()).containsExactly("no-new-privileges");
        assertThat(host.getPidsLimit()).isEqualTo(16L);
        assertThat(ContainerRuntime.RUNC.processCapByRlimit()).isFalse();
    }

    @Test
    void gvisor_runsUnderRunsc_withAProfileRefusingTheRiskiestCalls_andPidsHeadroomForItsOwnTasks() throws Exception {
        HostConfig host = create(ContainerRuntime.GVISOR).getHostConfig();

        assertThat(host.getRuntime()).isEqualTo("runsc");
        assertThat(host.getSecurityOpts()).hasSize(2).contains("no-new-privileges");
        String option = host.getSecurityOpts().get(1);
        assertThat(option).startsWith("seccomp=");
        JsonNode profile = new ObjectMapper().readTree(option.substring("seccomp=".length()));
        assertThat(profile.path("defaultAction").asText()).isEqualTo("SCMP_ACT_ALLOW");
        JsonNode rule = profile.path("syscalls").get(0);
        assertThat(rule.path("action").asText()).isEqualTo("SCMP_ACT_ERRNO");
        List<String> refused = new ArrayList<>();
        rule.path("names").forEach(n -> refused.add(n.asText()));
        assertThat(refused).contains("ptrace", "mount", "unshare", "setns", "bpf", "keyctl", "perf_event_open",
                "io_uring_setup").doesNotContain("clone3");
        assertThat(host.getPidsLimit()).isEqualTo(128L + 4 * 16);
        assertThat(ContainerRuntime.GVISOR.processCapByRlimit()).isTrue();
    }

    @Test
    void everyRuntime_getsTheSameHardening() {
        for (ContainerRuntime runtime : ContainerRuntime.values()) {
            CreateContainerCmd cmd = create(runtime);
            HostConfig host = cmd.getHostConfig();
            assertThat(cmd.getUser()).as(runtime.name()).isEqualTo("65534:65534");
            assertThat(cmd.isNetworkDisabled()).isTrue();
            assertThat(host.getNetworkMode()).isEqualTo("none");
            assertThat(host.getReadonlyRootfs()).isTrue();
            assertThat(host.getCapDrop()).containsExactly(Capability.ALL);
            assertThat(host.getPrivileged()).isFalse();
            assertThat(host.getMemory()).isEqualTo(256L << 20).isEqualTo(host.getMemorySwap());
            assertThat(cmd.getEnv()).containsExactly("PATH=/usr/bin:/bin");
            assertThat(cmd.getLabels()).containsEntry(Session.BACKEND_LABEL, runtime.backendName())
                    .containsEntry(Session.EXECUTION_LABEL, "exec-1");
        }
    }

    @Test
    void probeExpectations_differOnlyWhereGvisorsProcCannotShowThem() {
        assertThat(ContainerRuntime.RUNC.probeExpectations(65534)).extracting(ContainerRuntime.ProbeExpectation::field)
                .containsExactly("Uid", "CapEff", "CapBnd", "Seccomp", "NoNewPrivs");
        assertThat(ContainerRuntime.GVISOR.probeExpectations(65534)).extracting(ContainerRuntime.ProbeExpectation::field)
                .containsExactly("Uid", "CapEff", "CapBnd", "Seccomp");
        assertThat(ContainerRuntime.GVISOR.promises(CONFIG)).singleElement().asString().contains("runsc");
    }

    @Test
    void gvisor_namesWhatToDo_whenTheEngineLacksRunsc() {
        assertThat(ContainerRuntime.GVISOR.missingFrom(java.util.Set.of("runc", "io.containerd.runc.v2"), CONFIG))
                .get().asString().contains("no runtime \"runsc\"", "daemon.json", "docker.gvisorRuntime");
        assertThat(ContainerRuntime.GVISOR.missingFrom(java.util.Set.of("runc", "runsc"), CONFIG)).isEmpty();
        assertThat(ContainerRuntime.RUNC.missingFrom(java.util.Set.of(), CONFIG)).isEmpty();
    }

    private static CreateContainerCmd create(ContainerRuntime runtime) {
        Session session = Session.current("test-host");
        ContainerSpecs.Plan plan = new ContainerSpecs.Plan("mcp-sandbox-1-1", CONFIG.image(), Path.of("/run/s/work"),
                Path.of("/run/s/tmp"), Path.of("/run/s/bridge"), Path.of("/run/s/guest"),
                ContainerSpecs.labels(session, runtime.backendName(), SPEC.executionId()),
                runtime.engineRuntime(CONFIG), runtime.seccompProfile(), runtime.hostPids(SPEC.limits().processes()),
                CONFIG.cpus());
        return ContainerSpecs.apply(new CreateContainerCmdImpl(command -> {
            throw new AssertionError("never sent");
        }, null, CONFIG.image()), SPEC, plan, ContainerSpecs.SANDBOX_UID);
    }
}
