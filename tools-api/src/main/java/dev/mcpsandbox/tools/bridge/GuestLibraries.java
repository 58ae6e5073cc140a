package dev.mcpsandbox.tools.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest side of the bridge, installed read-only at /opt/mcp-sandbox in every sandbox: the Python
 * and JavaScript {@code tools} libraries and the {@code tool} command for every other language.
 */
public final class GuestLibraries {
    private static final String ROOT = "/dev/mcpsandbox/tools/guest/";
    private static final List<String> FILES = List.of(
            "python/mcp_tools.py", "python/_mcp_tools_client.py", "js/tools.mjs", "bin/tool");

    private GuestLibraries() {
    }

    /** One file under the guest directory. */
    public record GuestFile(String relativePath, String content, boolean executable) {
    }

    public static List<GuestFile> files() {
        List<GuestFile> files = new ArrayList<>();
        for (String path : FILES) {
            try (InputStream in = GuestLibraries.class.getResourceAsStream(ROOT + path)) {
                if (in == null) {
                    throw new IllegalStateException("guest library " + path + " is missing from the jar");
                }
                files.add(new GuestFile(path, new String(in.readAllBytes(), StandardCharsets.UTF_8), path.startsWith("bin/")));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read guest library " + path, e);
            }
        }
        return files;
    }
}
