package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ExecutionConfig;
import dev.mcpsandbox.config.LimitsConfig;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.RunNeeds;
import dev.mcpsandbox.sandbox.language.RunOptions;
import dev.mcpsandbox.sandbox.language.LanguageCatalog;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides whether a request may run, before any sandbox exists. Each refusal says what to change:
 * which language ids exist, which file name escapes, which limit is over its maximum.
 */
final class RequestCheck {
    static final int MAX_FILES = 256;
    private static final int MAX_PATH_LENGTH = 255;

    private final LanguageCatalog languages;
    private final LimitsConfig limits;
    private final ExecutionConfig execution;
    /** Why a call cannot have the network here; empty when it can. */
    private final Optional<String> networkUnavailable;

    RequestCheck(LanguageCatalog languages, LimitsConfig limits, ExecutionConfig execution,
                 Optional<String> networkUnavailable) {
        this.languages = languages;
        this.limits = limits;
        this.execution = execution;
        this.networkUnavailable = networkUnavailable;
    }

    /** A request that passed every check, with its language resolved and its limits settled. */
    record Admitted(DetectedLanguage language, String code, Map<String, byte[]> files, byte[] stdin,
                    ResourceLimits limits, String imageFormat, boolean network, Optional<String> session) {
        Admitted(DetectedLanguage language, String code, Map<String, byte[]> files, byte[] stdin,
                 ResourceLimits limits, String imageFormat) {
            this(language, code, files, stdin, limits, imageFormat, false, Optional.empty());
        }

        String entryFile() {
            return language.entryFile(code);
        }

        /** This request under a session's caps: its memory, processes and disk are the session's. */
        Admitted withCaps(ResourceLimits caps) {
            ResourceLimits capped = limits.with(ResourceLimits.Key.MEMORY_MB, caps.memoryMb())
                    .with(ResourceLimits.Key.PROCESSES, caps.processes()).with(ResourceLimits.Key.DISK_MB, caps.diskMb());
            return new Admitted(language, code, files, stdin, capped, imageFormat, network, session);
        }
    }

    sealed interface Verdict {
    }

    record Accepted(Admitted request) implements Verdict {
    }

    record Refused(String message) implements Verdict {
    }

    Verdict check(ExecutionRequest request, boolean needsCode) {
        Optional<DetectedLanguage> language = languages.find(request.language());
        if (language.isEmpty()) {
            return new Refused(languages.whyMissing(request.language())
                    .map(m -> "language \"" + m.id() + "\" is not available here: " + m.reason())
                    .orElse("unknown language \"" + request.language() + "\"; available: " + languages.availableIds()));
        }
        List<String> problems = new ArrayList<>();
        checkText("code", request.code(), problems);
        if (needsCode && request.code().isBlank()) {
            problems.add("code is empty; pass the program to run in \"code\"");
        }
        int codeBytes = request.code().getBytes(StandardCharsets.UTF_8).length;
        if (codeBytes > execution.maxCodeBytes()) {
            problems.add("code is " + codeBytes + " bytes; the maximum is " + execution.maxCodeBytes());
        }
        request.stdin().ifPresent(s -> checkText("stdin", s, problems));
        Map<String, byte[]> files = files(request.files(), language.get().entryFile(request.code()), problems);
        ResourceLimits effective = raisedToNeeds(limits(request.requestedLimits(), problems),
                language.get().language().runNeeds(), limits.maxima());
        String imageFormat = request.imageFormat().map(f -> f.strip().toLowerCase(java.util.Locale.ROOT))
                .orElse(RunOptions.PNG);
        if (!imageFormat.equals(RunOptions.PNG) && !imageFormat.equals(RunOptions.SVG)) {
            problems.add("imageFormat \"" + printable(request.imageFormat().orElse("")) + "\" is not supported; use \"png\" or \"svg\"");
        }
        request.session().ifPresent(name -> badSessionName(name).ifPresent(problems::add));
        if (request.network()) {
            networkUnavailable.ifPresent(why -> problems.add("network: true cannot be granted: " + why));
        }
        if (!problems.isEmpty()) {
            return new Refused(String.join("; ", problems));
        }
        return new Accepted(new Admitted(language.get(), request.code(), files,
                request.stdin().orElse("").getBytes(StandardCharsets.UTF_8), effective, imageFormat, request.network(),
                request.session()));
    }

    static final int MAX_SESSION_NAME = 64;

    /** A name the model chooses and repeats: short, printable, one line. */
    static Optional<String> badSessionName(String name) {
        if (name.isBlank()) {
            return Optional.of("session is empty; name it (e.g. \"analysis\"), or leave it out for a fresh sandbox");
        }
        if (name.length() > MAX_SESSION_NAME) {
            return Optional.of("session is " + name.length() + " characters long; at most " + MAX_SESSION_NAME
                    + " are allowed");
        }
        if (name.chars().anyMatch(c -> Character.isISOControl(c) || Character.isSurrogate((char) c))) {
            return Optional.of("session \"" + printable(name) + "\" contains control characters; use letters, digits,"
                    + " '-', '_' or '.'");
        }
        return Optional.empty();
    }

    private static void checkText(String what, String text, List<String> problems) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0) {
                problems.add(what + " contains a NUL character at index " + i + "; remove it");
                return;
            }
            if (Character.isHighSurrogate(c) && (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1)))
                    || Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)))) {
                problems.add(what + " contains an unpaired UTF-16 surrogate at index " + i + " (not valid Unicode)");
                return;
            }
        }
    }

    private Map<String, byte[]> files(Map<String, String> requested, String entryFile, List<String> problems) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (requested.size() > MAX_FILES) {
            problems.add(requested.size() + " files given; at most " + MAX_FILES + " are allowed");
            return files;
        }
        long total = 0;
        for (Map.Entry<String, String> e : requested.entrySet()) {
            String name = e.getKey();
            Optional<String> bad = badFileName(name, entryFile);
            if (bad.isPresent()) {
                problems.add("files[\"" + printable(name) + "\"]: " + bad.get());
                continue;
            }
            checkText("files[\"" + name + "\"]", e.getValue(), problems);
            byte[] content = e.getValue().getBytes(StandardCharsets.UTF_8);
            total += content.length;
            files.put(name, content);
        }
        conflictingPaths(files.keySet(), entryFile).ifPresent(problems::add);
        if (total > execution.maxInputFilesBytes()) {
            problems.add("input files total " + total + " bytes; the maximum is " + execution.maxInputFilesBytes());
        }
        return files;
    }

    /** Why a name may not be used, if it may not: it must stay inside the work directory. */
    static Optional<String> badFileName(String name, String entryFile) {
        if (name.isEmpty()) {
            return Optional.of("file name is empty");
        }
        if (name.length() > MAX_PATH_LENGTH) {
            return Optional.of("file name is longer than " + MAX_PATH_LENGTH + " characters");
        }
        if (name.startsWith("/")) {
            return Optional.of("file names are relative to the work directory; drop the leading '/'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\' || Character.isSurrogate(c)) {
                return Optional.of("file name contains a control character, backslash or invalid Unicode");
            }
        }
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                return Optional.of("file name has an empty, '.' or '..' segment; it must stay inside the work directory");
            }
        }
        if (name.equals(entryFile)) {
            return Optional.of(entryFile + " holds the code itself; choose another name");
        }
        if (name.equals(Language.BUILD_DIR) || name.startsWith(Language.BUILD_DIR + "/")) {
            return Optional.of(Language.BUILD_DIR + "/ holds the compiled program; choose another directory");
        }
        return Optional.empty();
    }

    /** A name that another name needs as a directory ("data" and "data/in.csv") cannot be both. */
    static Optional<String> conflictingPaths(java.util.Set<String> names, String entryFile) {
        java.util.Set<String> all = new java.util.TreeSet<>(names);
        all.add(entryFile);
        for (String name : names) {
            for (int slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
                String directory = name.substring(0, slash);
                if (all.contains(directory)) {
                    return Optional.of("files[\"" + printable(name) + "\"] needs \"" + printable(directory)
                            + "\" to be a directory, but " + (directory.equals(entryFile) ? "that is the code file"
                            : "it is also given as a file") + "; rename one of them");
                }
            }
        }
        return Optional.empty();
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(80).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f || Character.isSurrogate((char) cp) && cp <= 0xFFFF) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }

    /** A language whose run drives a large program (a browser) gets at least what it needs, within the maxima. */
    static ResourceLimits raisedToNeeds(ResourceLimits effective, Optional<RunNeeds> needs, ResourceLimits max) {
        if (needs.isEmpty()) {
            return effective;
        }
        ResourceLimits raised = effective;
        if (raised.memoryMb() < needs.get().memoryMb()) {
            raised = raised.with(ResourceLimits.Key.MEMORY_MB, Math.min(needs.get().memoryMb(), max.memoryMb()));
        }
        if (raised.processes() < needs.get().processes()) {
            raised = raised.with(ResourceLimits.Key.PROCESSES, Math.min(needs.get().processes(), max.processes()));
        }
        if (raised.fileSizeMb() < needs.get().fileSizeMb()) {
            raised = raised.with(ResourceLimits.Key.FILE_SIZE_MB, Math.min(needs.get().fileSizeMb(), max.fileSizeMb()));
        }
        return raised;
    }

    private ResourceLimits limits(Map<ResourceLimits.Key, Long> requested, List<String> problems) {
        ResourceLimits effective = limits.defaults();
        for (Map.Entry<ResourceLimits.Key, Long> e : requested.entrySet()) {
            ResourceLimits.Key key = e.getKey();
            long value = e.getValue();
            long max = limits.maxima().get(key);
            if (value < key.minimum()) {
                problems.add(key.jsonName() + " must be at least " + key.minimum() + ", got " + value);
            } else if (value > max) {
                problems.add(key.jsonName() + " " + value + " is above the operator's maximum of " + max);
            } else {
                effective = effective.with(key, value);
            }
        }
        return effective;
    }
}
