package dev.mcpsandbox.sandbox.backend.bubblewrap;

import dev.mcpsandbox.sandbox.backend.HostConfigFiles;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.Launcher;
import dev.mcpsandbox.sandbox.backend.RunLimits;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes one sandbox's bwrap command line, in named steps and always in this order: namespaces,
 * identity, environment, read-only runtime, proc, dev, tmp, workspace, bridge, remount read-only,
 * lifecycle; then the command. The options travel to bwrap on a file descriptor ({@code --args}), so
 * host paths never show in the sandbox's {@code /proc/1/cmdline}; bwrap takes the command only from
 * its real argument list.
 */
final class BwrapArguments {
    static final String WORKSPACE = "/workspace";
    static final String BRIDGE = "/run/mcp";
    static final String GUEST = "/opt/mcp-sandbox";
    static final int SANDBOX_UID = 65534;

    /** See {@link Launcher#LAUNCHER}. */
    static final String LAUNCHER = Launcher.LAUNCHER;

    private final List<String> args = new ArrayList<>();

    record Layout(Path workDir, Path tmpDir, Path bridgeDir, Path guestDir, Path passwdFile, Path groupFile) {
    }

    static List<String> options(Layout layout, List<String> readOnlyPaths, Map<String, String> environment) {
        return options(layout, readOnlyPaths, environment, false, false, List.of());
    }

    /** How a template's user namespace gets its uid and gid maps. */
    enum TemplateMaps {
        /** bwrap writes them: the template's uid alone, which its children then share (a server that is not root). */
        BY_BWRAP,
        /**
         * The server writes them (root, see TemplateIdMaps): bwrap waits on fd 5 for it and reports its child's pid
         * on fd 6. The template keeps CAP_SETUID and CAP_SETGID in its own namespace, the one thing a child's uid map
         * naming another of the namespace's uids needs of it; they reach no host uid the server did not map into it.
         */
        BY_SERVER
    }

    /**
     * The profile of a fork-server template: the same, except that nested user namespaces stay allowed (each child
     * takes one of its own, then stacks the seccomp filter that refuses them to the code) and the host's
     * directory of children's scratch spaces ({@code forks}) and the template's own files ({@code runtime}) are
     * bound in.
     */
    static List<String> templateOptions(Layout layout, List<String> readOnlyPaths, Map<String, String> environment,
                                        Path forks, Path runtime, TemplateMaps maps) {
        return options(layout, readOnlyPaths, environment, true, maps == TemplateMaps.BY_SERVER,
                List.of("--bind", forks.toString(), FORKS, "--ro-bind", runtime.toString(), FORK_RUNTIME));
    }

    /** Where a template sees the children's scratch spaces, and its own files. */
    static final String FORKS = "/forks";
    static final String FORK_RUNTIME = "/run/fork";

    private static List<String> options(Layout layout, List<String> readOnlyPaths, Map<String, String> environment,
                                        boolean nestedUserNamespaces, boolean mapsByServer, List<String> extraBinds) {
        BwrapArguments b = new BwrapArguments();
        // --unshare-all: user, ipc, pid, net (loopback only, none of the host's), uts, cgroup.
        b.add("--unshare-all", "--unshare-user");
        if (!nestedUserNamespaces) {
            b.add("--disable-userns");
        }
        b.add("--hostname", "sandbox");
        int mountsFrom = b.args.size();
        b.identity(layout, mapsByServer);
        b.environment(environment);
        b.readOnlyRuntime(readOnlyPaths);
        b.add("--proc", "/proc");
        b.add("--dev", "/dev");
        b.add("--bind", layout.tmpDir().toString(), "/tmp");
        b.add("--bind", layout.workDir().toString(), WORKSPACE);
        b.add("--bind", layout.bridgeDir().toString(), BRIDGE);
        b.add("--ro-bind", layout.guestDir().toString(), GUEST);
        b.args.addAll(extraBinds);
        b.add("--chdir", WORKSPACE);
        b.add("--remount-ro", "/");
        b.lifecycle();
        if (nestedUserNamespaces) {
            b.args.addAll(mountsFrom, openParents(b.args));
        }
        return List.copyOf(b.args);
    }

    /** How many values each option this class writes takes. */
    private static final Map<String, Integer> ARITY = Map.ofEntries(Map.entry("--unshare-all", 0),
            Map.entry("--unshare-user", 0), Map.entry("--disable-userns", 0), Map.entry("--hostname", 1),
            Map.entry("--uid", 1), Map.entry("--gid", 1), Map.entry("--cap-drop", 1), Map.entry("--cap-add", 1),
            Map.entry("--userns-block-fd", 1), Map.entry("--info-fd", 1), Map.entry("--clearenv", 0),
            Map.entry("--setenv", 2), Map.entry("--ro-bind", 2), Map.entry("--bind", 2), Map.entry("--symlink", 2),
            Map.entry("--proc", 1), Map.entry("--dev", 1), Map.entry("--dir", 1), Map.entry("--chdir", 1),
            Map.entry("--remount-ro", 1), Map.entry("--die-with-parent", 0), Map.entry("--new-session", 0));

    /**
     * The directories bwrap makes on the way to a mount point are 0700, the sandbox uid's (/etc for /etc/passwd, /opt,
     * /run): a forked child runs as another uid and must pass through them to its bridge, the guest files and the
     * rest, as a cold sandbox's code does. A template makes them first, 0755 (the root is read-only all the same).
     */
    private static List<String> openParents(List<String> args) {
        java.util.Set<String> destinations = new java.util.HashSet<>();
        for (int i = 0; i < args.size(); i += 1 + ARITY.get(args.get(i))) {
            if (!ARITY.containsKey(args.get(i))) {
                throw new IllegalStateException("no arity known for " + args.get(i));
            }
            switch (args.get(i)) {
                case "--ro-bind", "--bind", "--symlink" -> destinations.add(args.get(i + 2));
                case "--proc", "--dev", "--dir" -> destinations.add(args.get(i + 1));
                default -> { }
            }
        }
        java.util.SortedSet<String> parents = new java.util.TreeSet<>();
        for (String destination : destinations) {
            for (Path p = Path.of(destination).getParent(); p != null && p.getParent() != null; p = p.getParent()) {
                Path parent = p;
                // below another mount point the directory is that mount's, not one bwrap makes
                if (destinations.stream().noneMatch(d -> parent.startsWith(d))) {
                    parents.add(parent.toString());
                }
            }
        }
        List<String> ops = new ArrayList<>();
        parents.forEach(dir -> ops.addAll(List.of("--perms", "0755", "--dir", dir)));
        return ops;
    }

    private void identity(Layout layout, boolean mapsByServer) {
        add("--uid", Integer.toString(SANDBOX_UID), "--gid", Integer.toString(SANDBOX_UID), "--cap-drop", "ALL");
        if (mapsByServer) {
            add("--userns-block-fd", "5", "--info-fd", "6", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID");
        }
        add("--ro-bind", layout.passwdFile().toString(), "/etc/passwd");
        add("--ro-bind", layout.groupFile().toString(), "/etc/group");
    }

    private void environment(Map<String, String> environment) {
        add("--clearenv");
        new TreeMap<>(environment).forEach((k, v) -> add("--setenv", k, v));
    }

    private void readOnlyRuntime(List<String> extra) {
        add("--ro-bind", "/usr", "/usr");
        for (String top : List.of("lib", "lib64", "bin", "sbin")) {
            Path host = Path.of("/", top);
            if (Files.isSymbolicLink(host)) {
                add("--symlink", "usr/" + top, "/" + top);
            } else if (Files.isDirectory(host)) {
                add("--ro-bind", host.toString(), "/" + top);
            }
        }
        for (String etc : HostConfigFiles.PATHS) {
            if (Files.exists(Path.of(etc))) {
                add("--ro-bind", etc, etc);
            }
        }
        for (String path : extra) {
            add("--ro-bind", path, path);
        }
    }

    private void lifecycle() {
        // --die-with-parent: killing the bwrap process we started takes down the whole PID namespace.
        // --new-session: no controlling terminal to inject keystrokes into (TIOCSTI).
        add("--die-with-parent", "--new-session");
    }

    /** See {@link Launcher#command}. */
    static List<String> command(List<String> command, GoLine goLine, RunLimits creationLimits) {
        return Launcher.command(command, goLine, creationLimits);
    }

    /** See {@link Launcher#CREATION_LIMITS}. */
    static final String CREATION_LIMITS = Launcher.CREATION_LIMITS;

    private void add(String... values) {
        args.addAll(List.of(values));
    }
}
