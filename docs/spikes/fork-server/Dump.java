// Writes the project's seccomp program (SeccompProgram) for this architecture to the file named by the argument.
public class Dump {
    public static void main(String[] args) throws Exception {
        java.nio.file.Files.write(java.nio.file.Path.of(args[0]),
                dev.mcpsandbox.sandbox.backend.bubblewrap.SeccompProgram.forCurrentArchitecture().orElseThrow().bytes());
    }
}
