package dev.mcpsandbox.sandbox.backend.bubblewrap;

import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BwrapArgumentsTest {
    private static final RunLimits LIMITS = new RunLimits(31, 16 << 20, 256, 1L << 30, 0);

    @Test
    void runtimeThatCannotSetRlimitsGetsTheCreationLimitsFromTheLauncher() {
        List<String> command = BwrapArguments.command(List.of("/usr/bin/node", "main.mjs"),
                GoLine.RUNTIME_WITH_CREATION_LIMITS, LIMITS);
        assertThat(command.subList(0, 2)).containsExactly("/bin/sh", "-c");
        assertThat(command.subList(3, 8)).containsExactly("launcher", "31", "32768", "256", "1048576");
        assertThat(command.subList(8, 10)).containsExactly("/usr/bin/node", "main.mjs");
    }
    private static final BwrapArguments.Layout LAYOUT = new BwrapArguments.Layout(Path.of("/run/x/fs/work"),
            Path.of("/run/x/fs/tmp"), Path.of("/run/x/bridge"), Path.of("/run/guest"), Path.of("/run/passwd"),
            Path.of("/run/group"));

    private static List<String> options() {
        return BwrapArguments.options(LAYOUT, List.of("/opt/toolchain"), Map.of("PATH", "/usr/bin", "HOME", "/workspace"));
    }

    @Test
    void unsharesEveryNamespaceAndDisablesNestedUserNamespaces() {
        assertThat(options()).containsSubsequence("--unshare-all", "--unshare-user", "--disable-userns");
        assertThat(options()).doesNotContain("--share-net");
    }

    @Test
    void aForkServerTemplateKeepsNestedUserNamespacesAndSeesTheChildrenAndItsOwnFilesBeforeTheRootTurnsReadOnly() {
        List<String> o = BwrapArguments.templateOptions(LAYOUT, List.of(), Map.of("PATH", "/usr/bin"),
                Path.of("/run/x/forks"), Path.of("/run/x/fork"), BwrapArguments.TemplateMaps.BY_BWRAP);
        assertThat(o).containsSubsequence("--unshare-all", "--unshare-user").doesNotContain("--disable-userns");
        assertThat(o).containsSubsequence("--bind", "/run/x/forks", "/forks", "--ro-bind", "/run/x/fork", "/run/fork",
                "--remount-ro", "/");
        assertThat(o).containsSubsequence("--uid", "65534", "--cap-drop", "ALL", "--die-with-parent")
                .doesNotContain("--cap-add", "--userns-block-fd");
        assertThat(o).as("children of other uids pass through the directories bwrap would make 0700")
                .containsSubsequence("--perms", "0755", "--dir", "/etc", "--perms", "0755", "--dir", "/opt",
                        "--perms", "0755", "--dir", "/run", "--ro-bind", "/run/passwd", "/etc/passwd");
        assertThat(String.join(" ", o)).as("only those: not below another mount point, not a mount point itself")
                .doesNotContain("--dir /usr").doesNotContain("--dir /opt/mcp-sandbox").doesNotContain("--dir /run/mcp");
        assertThat(options()).doesNotContain("--perms");
    }

    @Test
    void aTemplateWhoseMapsTheServerWritesWaitsForThemAndKeepsOnlyTheCapabilitiesAChildsMapNeeds() {
        List<String> o = BwrapArguments.templateOptions(LAYOUT, List.of(), Map.of("PATH", "/usr/bin"),
                Path.of("/run/x/forks"), Path.of("/run/x/fork"), BwrapArguments.TemplateMaps.BY_SERVER);
        assertThat(o).containsSubsequence("--unshare-user", "--cap-drop", "ALL", "--userns-block-fd", "5",
                "--info-fd", "6", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--die-with-parent");
        assertThat(o.stream().filter("--cap-add"::equals)).hasSize(2);
        assertThat(BwrapArguments.options(LAYOUT, List.of(), Map.of())).doesNotContain("--cap-add", "--userns-block-fd");
    }

    @Test
    void runsAsNobodyWithoutCapabilities() {
        assertThat(options()).containsSubsequence("--uid", "65534", "--gid", "65534", "--cap-drop", "ALL");
    }

    @Test
    void clearsTheEnvironmentBeforeSettingOnlyWhatTheCodeNeeds() {
        List<String> o = options();
        int clear = o.indexOf("--clearenv");
        assertThat(clear).isNotNegative();
        assertThat(o.subList(clear, o.size())).containsSubsequence("--setenv", "HOME", "/workspace");
        assertThat(o.stream().filter(a -> a.equals("--setenv")).count()).isEqualTo(2);
    }

    @Test
    void bindsRuntimeReadOnlyAndOnlyScratchWritable() {
        List<String> o = options();
        assertThat(o).containsSubsequence("--ro-bind", "/usr", "/usr");
        assertThat(o).containsSubsequence("--ro-bind", "/opt/toolchain", "/opt/toolchain");
        assertThat(o).containsSubsequence("--bind", "/run/x/fs/work", "/workspace");
        assertThat(o).containsSubsequence("--bind", "/run/x/fs/tmp", "/tmp");
        assertThat(o).containsSubsequence("--ro-bind", "/run/guest", "/opt/mcp-sandbox");
        long writable = o.stream().filter(a -> a.equals("--bind")).count();
        assertThat(writable).as("only work, tmp and bridge are writable").isEqualTo(3);
    }

    @Test
    void remountsRootReadOnlyAfterAllMountsAndEndsWithLifecycle() {
        List<String> o = options();
        assertThat(o.indexOf("--remount-ro")).isGreaterThan(o.lastIndexOf("--bind"));
        assertThat(o.subList(o.size() - 2, o.size())).containsExactly("--die-with-parent", "--new-session");
    }

    @Test
    void runtimeThatReadsTheGoLineItselfStartsWithoutTheLauncher() {
        assertThat(BwrapArguments.command(List.of("/usr/bin/python3", "-c", "boot"), GoLine.RUNTIME, LIMITS))
                .containsExactly("/usr/bin/python3", "-c", "boot");
    }

    @Test
    void commandStartsWithTheLauncherThatWaitsForTheGoLine() {
        List<String> command = BwrapArguments.command(List.of("/usr/bin/python3", "main.py"), GoLine.LAUNCHER, LIMITS);
        assertThat(command.subList(0, 2)).containsExactly("/bin/sh", "-c");
        assertThat(command.get(2)).startsWith("IFS=' ' read -r");
        assertThat(command.subList(command.size() - 2, command.size())).containsExactly("/usr/bin/python3", "main.py");
    }
}
