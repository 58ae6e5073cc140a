package dev.mcpsandbox.sandbox.backend;

import java.util.List;

/**
 * The few files under the host's /etc that language runtimes read and every sandbox sees read-only: the
 * dynamic loader's cache, alternatives links, the time zone, fonts (Graphviz, Chromium, Matplotlib), Debian's
 * Matplotlib defaults and the JDK's configuration. None of them holds anything about the host worth hiding;
 * /etc as a whole (passwd, shadow, hosts, ssh keys) stays out.
 */
public final class HostConfigFiles {
    public static final List<String> PATHS = List.of("/etc/alternatives", "/etc/ld.so.cache", "/etc/localtime",
            "/etc/fonts", "/etc/matplotlibrc", "/etc/java-17-openjdk");

    private HostConfigFiles() {
    }
}
