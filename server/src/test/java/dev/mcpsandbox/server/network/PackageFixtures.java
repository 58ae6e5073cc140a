package dev.mcpsandbox.server.network;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Packages the tests build themselves and serve on loopback: a pure-Python wheel behind a PEP 503 simple
 * index, and an npm package behind a minimal static registry (a packument per name and its tarball; the
 * two requests npm install makes for a package without dependencies).
 */
final class PackageFixtures {
    private PackageFixtures() {
    }

    /** Serves {@code name} 1.0 (a module whose VALUE is {@code value}) under /simple/ and /files/. */
    static void pythonIndex(LocalHttp http, String name, String value) throws IOException {
        byte[] wheel = wheel(name, value);
        String wheelName = wheelName(name);
        http.serve("/files/" + wheelName, wheel);
        http.serve("/simple/", html("<a href=\"" + name + "/\">" + name + "</a>"));
        http.serve("/simple/" + name + "/", html("<a href=\"../../files/" + wheelName + "#sha256="
                + HexFormat.of().formatHex(sha256(wheel)) + "\">" + wheelName + "</a>"));
    }

    static String wheelName(String name) {
        return name + "-1.0-py3-none-any.whl";
    }

    /** A pure-Python wheel of {@code name} 1.0 whose module's VALUE is {@code value}, with a correct RECORD. */
    static byte[] wheel(String name, String value) throws IOException {
        String version = "1.0";
        String info = name + "-" + version + ".dist-info/";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(name + "/__init__.py", ("VALUE = \"" + value + "\"\n").getBytes(StandardCharsets.UTF_8));
        files.put(info + "METADATA", ("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n")
                .getBytes(StandardCharsets.UTF_8));
        files.put(info + "WHEEL", "Wheel-Version: 1.0\nGenerator: mcp-sandbox-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .getBytes(StandardCharsets.UTF_8));
        StringBuilder record = new StringBuilder();
        files.forEach((path, bytes) -> record.append(path).append(",sha256=")
                .append(Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(bytes))).append(',')
                .append(bytes.length).append('\n'));
        record.append(info).append("RECORD,,\n");
        files.put(info + "RECORD", record.toString().getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream wheel = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(wheel)) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(f.getKey()));
                zip.write(f.getValue());
                zip.closeEntry();
            }
        }
        return wheel.toByteArray();
    }

    /** Serves {@code name} 1.0.0 (index.js exporting {@code value}) as a registry at the server's root. */
    static void npmRegistry(LocalHttp http, String name, String value, Path workDir) throws IOException, InterruptedException {
        Path pkg = Files.createDirectories(workDir.resolve("package"));
        Files.writeString(pkg.resolve("package.json"), "{\"name\": \"" + name + "\", \"version\": \"1.0.0\", \"main\": \"index.js\"}\n");
        Files.writeString(pkg.resolve("index.js"), "module.exports = { value: \"" + value + "\" };\n");
        Path tgz = workDir.resolve(name + "-1.0.0.tgz");
        Process tar = new ProcessBuilder("tar", "-czf", tgz.toString(), "-C", workDir.toString(), "package")
                .redirectErrorStream(true).start();
        if (!tar.waitFor(30, TimeUnit.SECONDS) || tar.exitValue() != 0) {
            throw new IOException("tar failed: " + new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        byte[] tarball = Files.readAllBytes(tgz);
        String tarballUrl = "http://127.0.0.1:" + http.port() + "/" + name + "/-/" + name + "-1.0.0.tgz";
        String integrity = "sha512-" + Base64.getEncoder().encodeToString(digest("SHA-512", tarball));
        String packument = "{\"name\": \"" + name + "\", \"dist-tags\": {\"latest\": \"1.0.0\"}, \"versions\": {\"1.0.0\": "
                + "{\"name\": \"" + name + "\", \"version\": \"1.0.0\", \"main\": \"index.js\", \"dist\": {\"tarball\": \""
                + tarballUrl + "\", \"shasum\": \"" + HexFormat.of().formatHex(digest("SHA-1", tarball))
                + "\", \"integrity\": \"" + integrity + "\"}}}}";
        http.serve("/" + name, packument.getBytes(StandardCharsets.UTF_8));
        http.serve("/" + name + "/-/" + name + "-1.0.0.tgz", tarball);
    }

    private static byte[] html(String body) {
        return ("<!DOCTYPE html><html><body>" + body + "</body></html>").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] sha256(byte[] bytes) {
        return digest("SHA-256", bytes);
    }

    private static byte[] digest(String algorithm, byte[] bytes) {
        try {
            return MessageDigest.getInstance(algorithm).digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
