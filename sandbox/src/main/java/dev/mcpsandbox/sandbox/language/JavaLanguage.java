package dev.mcpsandbox.sandbox.language;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Java (OpenJDK 17+): javac compiles the file, named after its public class, into {@code .build}; the JVM
 * runs that class. Both JVMs run with the serial collector, the C1 compiler only and one compiler thread:
 * for short programs that starts fastest and keeps the thread count (which the pids cgroup counts) near a
 * dozen. Heap, code cache and class space are sized explicitly because the JVM cannot see the sandbox's
 * cgroup and would otherwise reserve a quarter of the host's memory, far beyond the address-space cap.
 */
final class JavaLanguage implements Language {
    static final String DEFAULT_CLASS = "Main";
    /** A top-level public type: modifiers other than {@code static}, at the start of a line. */
    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "^[ \\t]*(?:(?:final|abstract|sealed|non-sealed|strictfp)\\s+)*public\\s+"
                    + "(?:(?:final|abstract|sealed|non-sealed|strictfp)\\s+)*(?:class|interface|enum|record)\\s+"
                    + "([A-Za-z_$][\\w$]*)", Pattern.MULTILINE);
    private static final Pattern EXCEPTION_HEADER = Pattern.compile(
            "^Exception in thread \"([^\"]*)\" ([\\w$.]+)(?:: (.*))?$");
    private static final Pattern DIAGNOSTIC = Pattern.compile("^(.+?):(\\d+): (error|warning): (.*)$");
    private static final List<String> COMPILER_VM_OPTIONS = List.of(
            "-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1", "-J-XX:CICompilerCount=1", "-J-XX:-UsePerfData",
            "-J-Xshare:auto", "-J-Xmx256m", "-J-XX:ReservedCodeCacheSize=64m", "-J-XX:CompressedClassSpaceSize=64m");
    /** javac on hello world: ~63 MB resident, 14 threads, starts from about 700 MB of address space. */
    private static final CompilerNeeds NEEDS = new CompilerNeeds(512, 32, 1280);

    @Override
    public String id() {
        return "java";
    }

    @Override
    public List<String> aliases() {
        return List.of("jdk");
    }

    @Override
    public String displayName() {
        return "Java";
    }

    @Override
    public String extension() {
        return "java";
    }

    /** javac; the JVM that runs the classes is the {@code java} beside it. */
    @Override
    public List<String> candidateBinaries() {
        return List.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/javac", "/usr/lib/jvm/default-java/bin/javac",
                "/usr/bin/javac");
    }

    @Override
    public List<String> versionArguments() {
        return List.of("-version");
    }

    @Override
    public String parseVersion(String output) {
        return output.strip().replaceFirst("^javac\\s+", "");
    }

    /** {@code <Class>.java} for the first top-level public type, else {@code Main.java}. */
    @Override
    public String entryFileName(String code) {
        Matcher m = PUBLIC_TYPE.matcher(code);
        return (m.find() ? m.group(1) : DEFAULT_CLASS) + ".java";
    }

    static String className(String entryFile) {
        String name = entryFile.substring(entryFile.lastIndexOf('/') + 1);
        return name.endsWith(".java") ? name.substring(0, name.length() - ".java".length()) : name;
    }

    static String javaBeside(String javac) {
        return Path.of(javac).resolveSibling("java").toString();
    }

    @Override
    public Optional<String> missingCompanion(String binary) {
        return Files.isExecutable(Path.of(javaBeside(binary))) ? Optional.empty()
                : Optional.of("javac was found at " + binary + " but no java beside it; install it with: "
                + "apt-get install openjdk-17-jdk-headless");
    }

    /**
     * Debian's JDK keeps its configuration (jvm.cfg, security/java.security) under /etc/java-N-openjdk and
     * links to it from the JDK directory; without it neither javac nor java starts.
     */
    @Override
    public List<String> hostPathsNeeded(String binary) {
        Path jdk = Path.of(binary).getParent().getParent();
        Set<String> paths = new LinkedHashSet<>();
        for (String file : List.of("lib/jvm.cfg", "conf/security/java.security")) {
            try {
                Path real = jdk.resolve(file).toRealPath();
                if (real.startsWith("/etc") && real.getNameCount() > 2) {
                    paths.add("/" + real.subpath(0, 2));
                }
            } catch (IOException e) {
                // not there: nothing to bind; the JVM will say what it misses
            }
        }
        return List.copyOf(paths);
    }

    /** Written by the compile step: the main class's full name, read by the JVM as an argument file. */
    static final String MAIN_CLASS_FILE = BUILD_DIR + "/main-class";
    /**
     * After javac, names the main class with its package ({@code package com.example;} puts it in
     * .build/com/example/), so the run needs no knowledge of the source: {@code $0} is the class's simple name.
     */
    private static final String NAME_MAIN_CLASS = "\"$@\" || exit\n"
            + "f=$(cd " + BUILD_DIR + " && find . -name \"$0.class\" -print | head -n 1)\n"
            + "f=${f#./}\n"
            + "[ -n \"$f\" ] || f=\"$0.class\"\n"
            + "printf '%s\\n' \"${f%.class}\" | tr / . > " + MAIN_CLASS_FILE + "\n";

    @Override
    public Optional<List<String>> compileCommand(String binary, String entryFile) {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", NAME_MAIN_CLASS, className(entryFile)));
        command.addAll(javac(binary, BUILD_DIR, entryFile));
        return Optional.of(List.copyOf(command));
    }

    @Override
    public CompilerNeeds compilerNeeds() {
        return NEEDS;
    }

    private static List<String> javac(String binary, String outputDir, String entryFile) {
        List<String> command = new ArrayList<>();
        command.add(binary);
        command.addAll(COMPILER_VM_OPTIONS);
        // -g: local variable names, so a NullPointerException names the variable rather than "<local1>".
        command.addAll(List.of("-encoding", "UTF-8", "-g", "-d", outputDir, entryFile));
        return List.copyOf(command);
    }

    @Override
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        return List.of(javaBeside(binary), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
                "-XX:-UsePerfData", "-Xshare:auto", "-Xss4m", "-Xmx" + heapMb(options.memoryMb()) + "m",
                "-XX:ReservedCodeCacheSize=32m", "-XX:CompressedClassSpaceSize=64m",
                "-cp", BUILD_DIR, "@" + MAIN_CLASS_FILE);
    }

    /** Leaves room for the JVM's own ~40 MB outside the heap, so the heap fills before the cgroup kills. */
    static long heapMb(long memoryMb) {
        return Math.max(16, Math.min(memoryMb * 3 / 4, memoryMb - 96));
    }

    /** The heap, plus ~400 MB the JVM reserves for code, classes and libraries, plus 4 MB of stack per thread. */
    @Override
    public long addressSpaceMb(long memoryMb) {
        return memoryMb + 1024;
    }

    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return javac(binary, "/tmp/check-classes", entryFile);
    }

    /**
     * The last uncaught exception ({@code Exception in thread "main" java.lang.X: message}) and the first
     * frame of its stack in the user's file, {@code at Main.f(Main.java:4)}: where it was thrown, or where
     * the user's code called the library that threw.
     */
    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        List<String> lines = ErrorText.lines(stderr);
        int header = -1;
        Matcher m = null;
        for (int i = lines.size() - 1; i >= 0 && header < 0; i--) {
            Matcher candidate = EXCEPTION_HEADER.matcher(lines.get(i));
            if (candidate.matches()) {
                header = i;
                m = candidate;
            }
        }
        if (m == null) {
            return Optional.empty();
        }
        Pattern frame = Pattern.compile("^\\s+at .*\\(" + Pattern.quote(fileName(entryFile)) + ":(\\d+)\\)$");
        Optional<Integer> line = Optional.empty();
        StringBuilder message = new StringBuilder(m.group(3) == null ? "" : m.group(3));
        boolean inFrames = false;
        for (int i = header + 1; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.startsWith("\tat ") || l.matches("^\\s+at .*") || l.matches("^\\s+\\.\\.\\. \\d+ more$")) {
                inFrames = true;
                if (line.isEmpty()) {
                    Matcher f = frame.matcher(l);
                    if (f.matches()) {
                        line = ErrorText.parse(f.group(1));
                    }
                }
            } else if (!inFrames) {
                message.append('\n').append(l); // a message of several lines
            } else if (!l.startsWith("Caused by: ")) {
                break;
            }
        }
        return Optional.of(new CodeError(m.group(2), message.toString().strip(), line));
    }

    /**
     * javac writes {@code Main.java:4: error: ';' expected}, the source line, and a caret under the column.
     * Warnings and notes are not problems.
     */
    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        List<SyntaxProblem> problems = new ArrayList<>();
        List<String> lines = ErrorText.lines(stderr);
        String name = fileName(entryFile);
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = DIAGNOSTIC.matcher(lines.get(i));
            if (!m.matches() || !m.group(3).equals("error")) {
                continue;
            }
            String file = m.group(1);
            if (!file.equals(entryFile) && !file.equals(name) && !file.endsWith("/" + name)) {
                continue;
            }
            Optional<Integer> column = Optional.empty();
            StringBuilder message = new StringBuilder(m.group(4));
            for (int j = i + 1; j < lines.size() && j <= i + 8; j++) {
                String l = lines.get(j);
                if (DIAGNOSTIC.matcher(l).matches()) {
                    break;
                }
                if (l.matches("^\\s*\\^\\s*$")) {
                    column = Optional.of(l.indexOf('^') + 1);
                    // what follows the caret (symbol:, location:) explains the error
                    for (int k = j + 1; k < lines.size() && lines.get(k).startsWith("  ") && !DIAGNOSTIC.matcher(lines.get(k)).matches(); k++) {
                        message.append('\n').append(lines.get(k).strip());
                    }
                    break;
                }
            }
            problems.add(new SyntaxProblem(ErrorText.parse(m.group(2)), column, message.toString()));
        }
        if (problems.isEmpty() && (stderr.contains("error:") || stderr.contains("Error occurred"))) {
            problems.add(new SyntaxProblem(Optional.empty(), Optional.empty(), stderr.strip()));
        }
        return problems;
    }

    private static String fileName(String entryFile) {
        return entryFile.substring(entryFile.lastIndexOf('/') + 1);
    }

    @Override
    public boolean reportsOutOfMemory(String stderr) {
        return stderr.contains("java.lang.OutOfMemoryError");
    }
}
