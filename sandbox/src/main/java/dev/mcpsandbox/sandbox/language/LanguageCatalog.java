package dev.mcpsandbox.sandbox.language;

import dev.mcpsandbox.config.LanguageConfig;
import dev.mcpsandbox.config.ServerConfig;
import dev.mcpsandbox.sandbox.backend.HostConfigFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The languages this installation knows, split at start-up into those whose runtime was found and
 * those that are missing (with the reason and the fix). Detection resolves symlinks and refuses
 * shell-script shims (pyenv, nvm): they read the environment, start slowly and may exec a binary
 * outside the sandbox's read-only view.
 */
public final class LanguageCatalog {
    private static final Logger log = LoggerFactory.getLogger(LanguageCatalog.class);
    private static final List<Language> KNOWN = List.of(new PythonLanguage(), new JavaScriptLanguage(), new BashLanguage(),
            new GoLanguage(), new RustLanguage(), new GccLanguage(GccLanguage.Dialect.C),
            new GccLanguage(GccLanguage.Dialect.CPP),
            new SqlLanguage(), new GraphvizLanguage(), new MermaidLanguage(),
            new JavaLanguage(), new TypeScriptLanguage(), new RubyLanguage());
    private static final Map<String, String> INSTALL_HINTS = Map.ofEntries(
            Map.entry("python", "apt-get install python3"),
            Map.entry("javascript", "apt-get install nodejs"),
            Map.entry("bash", "apt-get install bash"),
            Map.entry("go", "apt-get install golang-go gcc"),
            Map.entry("rust", "apt-get install rustc"),
            Map.entry("c", "apt-get install gcc libc6-dev"),
            Map.entry("cpp", "apt-get install g++"),
            Map.entry("sql", "apt-get install python3 (its sqlite3 module runs the SQL)"),
            Map.entry("graphviz", "apt-get install graphviz fonts-liberation"),
            Map.entry("mermaid", "apt-get install nodejs npm chromium fonts-liberation, then bin/setup --no-build from the"
                    + " mcp-sandbox checkout (mermaid-cli 11.12.0 with the dependencies it was tested with; PUPPETEER_SKIP_DOWNLOAD=1"
                    + " npm install -g --prefix /usr/local @mermaid-js/mermaid-cli@11.12.0 also works, with the newest ones)"),
            Map.entry("java", "apt-get install openjdk-17-jdk-headless"),
            Map.entry("typescript", "apt-get install nodejs npm && npm install -g --prefix /usr/local typescript@7.0.2"
                    + " @types/node@20"),
            Map.entry("ruby", "apt-get install ruby"));

    private final Map<String, DetectedLanguage> available;
    private final List<MissingLanguage> missing;
    private final Map<String, String> aliases;

    private LanguageCatalog(Map<String, DetectedLanguage> available, List<MissingLanguage> missing) {
        this.available = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(available));
        this.missing = List.copyOf(missing);
        Map<String, String> a = new LinkedHashMap<>();
        for (Language l : KNOWN) {
            a.put(l.id(), l.id());
            l.aliases().forEach(alias -> a.put(alias, l.id()));
        }
        this.aliases = Map.copyOf(a);
    }

    /**
     * A catalog of the given languages as if detected under {@code binaryDirectory} with {@code version}, without
     * starting them: for tests of what sits above the catalog (the runner on the in-memory backend).
     *
     * @param versionsById language id → version; every id must be a known language's
     */
    public static LanguageCatalog of(Map<String, String> versionsById, String binaryDirectory) {
        Map<String, DetectedLanguage> available = new LinkedHashMap<>();
        versionsById.forEach((id, version) -> {
            Language language = KNOWN.stream().filter(l -> l.id().equals(id)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no language \"" + id + "\""));
            available.put(id, new DetectedLanguage(language, binaryDirectory + "/" + id, version, List.of()));
        });
        return new LanguageCatalog(available, List.of());
    }

    public static LanguageCatalog detect(ServerConfig config) {
        return detect(config, VersionCache.none());
    }

    /** Detects the languages, reusing the versions {@code versions} holds for binaries unchanged since. */
    public static LanguageCatalog detect(ServerConfig config, VersionCache versions) {
        // Each detection starts a process to read a version and mostly waits for it (javac alone takes ~0.4 s),
        // so every language gets a thread of its own: the common pool has one thread on two cores.
        java.util.concurrent.ExecutorService detectors = java.util.concurrent.Executors.newFixedThreadPool(KNOWN.size(),
                r -> {
                    Thread t = new Thread(r, "language-detection");
                    t.setDaemon(true);
                    return t;
                });
        Map<Language, java.util.concurrent.CompletableFuture<DetectedLanguage>> probes = new LinkedHashMap<>();
        for (Language language : KNOWN) {
            LanguageConfig lc = config.language(language.id());
            if (lc.enabled()) {
                probes.put(language, java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return detectOne(language, lc, versions);
                    } catch (IOException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }, detectors));
            }
        }
        Map<String, DetectedLanguage> available = new LinkedHashMap<>();
        List<MissingLanguage> missing = new ArrayList<>();
        for (Language language : KNOWN) {
            java.util.concurrent.CompletableFuture<DetectedLanguage> probe = probes.get(language);
            if (probe == null) {
                missing.add(new MissingLanguage(language.id(), language.displayName(), "disabled in the configuration"));
                continue;
            }
            try {
                DetectedLanguage detected = probe.join();
                available.put(language.id(), detected);
                log.info("language {}: {} {}", language.id(), detected.binary(), detected.version());
            } catch (java.util.concurrent.CompletionException e) {
                String reason = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
                missing.add(new MissingLanguage(language.id(), language.displayName(), reason));
                log.info("language {} unavailable: {}", language.id(), reason);
            }
        }
        detectors.shutdown();
        versions.save();
        return new LanguageCatalog(available, missing);
    }

    private static DetectedLanguage detectOne(Language language, LanguageConfig config, VersionCache versions)
            throws IOException {
        List<String> candidates = config.command().isEmpty() ? language.candidateBinaries() : List.of(config.command().get(0));
        IOException last = null;
        for (String candidate : candidates) {
            Path path = Path.of(candidate);
            if (!Files.exists(path)) {
                continue;
            }
            try {
                Path real = path.toRealPath();
                refuseScripts(real);
                requireFiles(language);
                Optional<String> missingCompanion = language.missingCompanion(real.toString());
                if (missingCompanion.isPresent()) {
                    throw new IOException(missingCompanion.get());
                }
                List<String> arguments = language.versionArguments();
                Optional<String> known = versions.lookup(real, arguments, language.requiredFiles());
                String output = known.isPresent() ? known.get() : runForVersion(real, arguments);
                String version = language.parseVersion(output);
                if (known.isEmpty()) {
                    versions.remember(real, arguments, language.requiredFiles(), output);
                }
                List<String> readOnly = new ArrayList<>(config.extraReadOnlyPaths());
                language.hostPathsNeeded(real.toString()).stream()
                        .filter(p -> !readOnly.contains(p) && !HostConfigFiles.PATHS.contains(p)).forEach(readOnly::add);
                return new DetectedLanguage(language, real.toString(), version, readOnly);
            } catch (IOException e) {
                last = e;
            }
        }
        if (last != null) {
            throw last;
        }
        String hint = INSTALL_HINTS.getOrDefault(language.id(), "install it");
        throw new IOException("no " + language.displayName() + " runtime found (looked for "
                + String.join(", ", candidates) + "); install it with: " + hint);
    }

    /** The files besides the binary that the language cannot run without; a missing one says how to install it. */
    private static void requireFiles(Language language) throws IOException {
        for (String file : language.requiredFiles()) {
            if (!Files.exists(Path.of(file))) {
                throw new IOException(language.displayName() + " needs " + file + ", which is missing; install it with: "
                        + INSTALL_HINTS.getOrDefault(language.id(), "install it"));
            }
        }
    }

    private static void refuseScripts(Path binary) throws IOException {
        try (InputStream in = Files.newInputStream(binary)) {
            byte[] head = in.readNBytes(2);
            if (head.length == 2 && head[0] == '#' && head[1] == '!') {
                throw new IOException(binary + " is a script (a version-manager shim?), not an interpreter;"
                        + " point languages.<id>.command at the real binary");
            }
        }
    }

    private static String runForVersion(Path binary, List<String> arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(arguments);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        Process p = pb.start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(binary + " " + String.join(" ", arguments) + " failed: " + out.strip());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted while detecting " + binary, e);
        }
    }

    /** The language for a client-supplied id or alias, case-insensitive. */
    public Optional<DetectedLanguage> find(String idOrAlias) {
        String id = aliases.get(idOrAlias.strip().toLowerCase(Locale.ROOT));
        return id == null ? Optional.empty() : Optional.ofNullable(available.get(id));
    }

    /** Why a known language cannot run, for an id or alias; empty for a name nobody knows. */
    public Optional<MissingLanguage> whyMissing(String idOrAlias) {
        String id = aliases.get(idOrAlias.strip().toLowerCase(Locale.ROOT));
        return missing.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    public List<DetectedLanguage> available() {
        return List.copyOf(available.values());
    }

    public List<MissingLanguage> missing() {
        return missing;
    }

    public String availableIds() {
        return available.keySet().stream().collect(Collectors.joining(", "));
    }

    /**
     * This catalog without the languages the chosen backend cannot run (e.g. an image lacking the runtime), which
     * move to the missing ones with the backend's reason; {@code cannotRun} is asked once, with every available
     * language's binary by id, and answers the refused ones with their reasons.
     */
    public LanguageCatalog restrictedTo(java.util.function.Function<Map<String, String>, Map<String, String>> cannotRun) {
        Map<String, String> binaries = new LinkedHashMap<>();
        available.values().forEach(d -> binaries.put(d.id(), d.binary()));
        Map<String, String> reasons = cannotRun.apply(binaries);
        Map<String, DetectedLanguage> kept = new LinkedHashMap<>();
        List<MissingLanguage> refused = new ArrayList<>(missing);
        for (DetectedLanguage d : available.values()) {
            String reason = reasons.get(d.id());
            if (reason != null) {
                refused.add(new MissingLanguage(d.id(), d.language().displayName(), reason));
                log.warn("language {} unavailable with this backend: {}", d.id(), reason);
            } else {
                kept.put(d.id(), d);
            }
        }
        return new LanguageCatalog(kept, refused);
    }

    /** Every file the available languages need in the guest directory. */
    public Map<String, String> guestFiles() {
        Map<String, String> files = new LinkedHashMap<>();
        available.values().forEach(d -> files.putAll(d.language().guestFiles()));
        return files;
    }
}
