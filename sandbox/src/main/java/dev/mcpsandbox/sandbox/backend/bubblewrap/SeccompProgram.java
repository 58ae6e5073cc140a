package dev.mcpsandbox.sandbox.backend.bubblewrap;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;

/*
 * bwrap's --seccomp FD takes an already compiled classic-BPF program, and depending on libseccomp
 * (native code) or shelling out to a compiler is not worth it for one small fixed policy, so we
 * assemble it here. ProcessBuilder cannot hand a child an arbitrary fd, so the launcher writes these
 * bytes to a file and lets a shell redirect it to fd 3 ("3< file").
 *
 * Only the low 32 bits of arguments are inspected: the kernel truncates socket domains and ioctl
 * requests to int, and every namespace flag of clone lives in the low word.
 */
public final class SeccompProgram {

    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int AUDIT_ARCH_AARCH64 = 0xC00000B7;
    private static final int X32_SYSCALL_BIT = 0x40000000;

    private static final int RET_KILL_PROCESS = 0x80000000;
    private static final int RET_ERRNO = 0x00050000;
    private static final int RET_ALLOW = 0x7FFF0000;
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;
    private static final int EAFNOSUPPORT = 97;

    private static final int AF_UNIX = 1;
    private static final int AF_INET = 2;
    private static final int SOCK_STREAM = 1;
    /** socket()'s type carries SOCK_NONBLOCK and SOCK_CLOEXEC above the type itself. */
    private static final int SOCK_TYPE_MASK = 0xF;
    // CLONE_NEWTIME (0x80) is only honoured by clone3; for clone it falls in the exit-signal byte, where no
    // valid signal number reaches, so denying it costs nothing.
    private static final int CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000
            | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;
    private static final int TIOCSTI = 0x5412;
    private static final int TIOCLINUX = 0x541C;

    // Offsets into struct seccomp_data; args are little-endian u64s, so +0 is the low word.
    private static final int OFFSET_NR = 0;
    private static final int OFFSET_ARCH = 4;
    private static final int OFFSET_ARG0 = 16;
    private static final int OFFSET_ARG1 = 24;

    /** Marks a syscall that does not exist on an architecture. */
    private static final int ABSENT = -1;

    private enum Syscall {
        PTRACE(101, 117), MOUNT(165, 40), UMOUNT2(166, 39), PIVOT_ROOT(155, 41),
        MOVE_MOUNT(429, 429), OPEN_TREE(428, 428), FSOPEN(430, 430), FSCONFIG(431, 431),
        FSMOUNT(432, 432), FSPICK(433, 433), MOUNT_SETATTR(442, 442),
        UNSHARE(272, 97), SETNS(308, 268), BPF(321, 280),
        KEYCTL(250, 219), ADD_KEY(248, 217), REQUEST_KEY(249, 218), PERF_EVENT_OPEN(298, 241),
        IO_URING_SETUP(425, 425), IO_URING_ENTER(426, 426), IO_URING_REGISTER(427, 427),
        KEXEC_LOAD(246, 104), KEXEC_FILE_LOAD(320, 294),
        INIT_MODULE(175, 105), FINIT_MODULE(313, 273), DELETE_MODULE(176, 106),
        PROCESS_VM_READV(310, 270), PROCESS_VM_WRITEV(311, 271), USERFAULTFD(323, 282),
        ACCT(163, 89), SWAPON(167, 224), SWAPOFF(168, 225), REBOOT(169, 142), SYSLOG(103, 116),
        OPEN_BY_HANDLE_AT(304, 265), NAME_TO_HANDLE_AT(303, 264), QUOTACTL(179, 60), QUOTACTL_FD(443, 443),
        SETTIMEOFDAY(164, 170), CLOCK_SETTIME(227, 112), CLOCK_ADJTIME(305, 266), ADJTIMEX(159, 171),
        SETHOSTNAME(170, 161), SETDOMAINNAME(171, 162), CHROOT(161, 51),
        PIDFD_GETFD(438, 438), KCMP(312, 272), LOOKUP_DCOOKIE(212, 18), VHANGUP(153, 58),
        NFSSERVCTL(180, 42), FANOTIFY_INIT(300, 262), REMAP_FILE_PAGES(216, 234),
        IOPL(172, ABSENT), IOPERM(173, ABSENT), USELIB(134, ABSENT),
        // Not denied outright; their arguments are inspected.
        SOCKET(41, 198), CLONE(56, 220), CLONE3(435, 435), IOCTL(16, 29);

        private final int x86_64;
        private final int aarch64;

        Syscall(int x86_64, int aarch64) {
            this.x86_64 = x86_64;
            this.aarch64 = aarch64;
        }

        /** Everything declared before SOCKET. */
        boolean deniedOutright() {
            return compareTo(SOCKET) < 0;
        }
    }

    private enum Arch {
        X86_64("x86_64", AUDIT_ARCH_X86_64, true, call -> call.x86_64),
        AARCH64("aarch64", AUDIT_ARCH_AARCH64, false, call -> call.aarch64);

        final String name;
        final int auditArch;
        final boolean hasX32;
        private final ToIntFunction<Syscall> numbers;

        Arch(String name, int auditArch, boolean hasX32, ToIntFunction<Syscall> numbers) {
            this.name = name;
            this.auditArch = auditArch;
            this.hasX32 = hasX32;
            this.numbers = numbers;
        }

        int number(Syscall call) {
            return numbers.applyAsInt(call);
        }
    }

    // Built eagerly so that an overlong jump fails when the class loads, not when a sandbox starts.
    private static final Map<Arch, SeccompProgram> PROGRAMS = Map.of(
            Arch.X86_64, compile(Arch.X86_64, false, false),
            Arch.AARCH64, compile(Arch.AARCH64, false, false));
    private static final Map<Arch, SeccompProgram> LOOPBACK_TCP_PROGRAMS = Map.of(
            Arch.X86_64, compile(Arch.X86_64, true, false),
            Arch.AARCH64, compile(Arch.AARCH64, true, false));
    private static final Map<Arch, SeccompProgram> FORK_TEMPLATE_PROGRAMS = Map.of(
            Arch.X86_64, compile(Arch.X86_64, false, true),
            Arch.AARCH64, compile(Arch.AARCH64, false, true));

    private final String architecture;
    private final byte[] bytes;

    private SeccompProgram(String architecture, byte[] bytes) {
        this.architecture = architecture;
        this.bytes = bytes;
    }

    /** The filter for the JVM's architecture (System.getProperty("os.arch"): "amd64"/"x86_64" and "aarch64"), or empty on others. */
    public static Optional<SeccompProgram> forCurrentArchitecture() {
        return forArchitecture(System.getProperty("os.arch", ""));
    }

    static Optional<SeccompProgram> forArchitecture(String osArch) {
        return forArchitecture(osArch, PROGRAMS);
    }

    /**
     * The filter for a sandbox whose call has the network: the same, except that IPv4 TCP sockets may be made.
     * The sandbox's network namespace has only its loopback, so such a socket reaches only listeners inside
     * the sandbox (the relay to the proxy); UDP (so DNS), raw, packet, netlink and IPv6 sockets stay refused.
     */
    public static Optional<SeccompProgram> withLoopbackTcpForCurrentArchitecture() {
        return forArchitecture(System.getProperty("os.arch", ""), LOOPBACK_TCP_PROGRAMS);
    }

    static Optional<SeccompProgram> withLoopbackTcpForArchitecture(String osArch) {
        return forArchitecture(osArch, LOOPBACK_TCP_PROGRAMS);
    }

    /**
     * The filter of a fork-server template: the strict one, except that {@code unshare} and {@code mount} stay
     * allowed, which each child needs to build its own namespaces before it stacks the strict filter on top.
     */
    public static Optional<SeccompProgram> forForkTemplateForCurrentArchitecture() {
        return forArchitecture(System.getProperty("os.arch", ""), FORK_TEMPLATE_PROGRAMS);
    }

    static Optional<SeccompProgram> forForkTemplateForArchitecture(String osArch) {
        return forArchitecture(osArch, FORK_TEMPLATE_PROGRAMS);
    }

    private static Optional<SeccompProgram> forArchitecture(String osArch, Map<Arch, SeccompProgram> programs) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> Optional.of(programs.get(Arch.X86_64));
            case "aarch64" -> Optional.of(programs.get(Arch.AARCH64));
            default -> Optional.empty();
        };
    }

    /** A fresh copy of the compiled program bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The architecture this program accepts, e.g. "x86_64". */
    public String architecture() {
        return architecture;
    }

    @Override
    public String toString() {
        return "SeccompProgram[" + architecture + ", " + bytes.length / 8 + " instructions]";
    }

    private static SeccompProgram compile(Arch arch, boolean loopbackTcp, boolean forkTemplate) {
        Assembler a = new Assembler();
        a.load(OFFSET_ARCH);
        a.jumpIfEqual(arch.auditArch, "next", "kill");
        a.label("next");
        a.load(OFFSET_NR);
        if (arch.hasX32) {
            a.jumpIfAtLeast(X32_SYSCALL_BIT, "eperm", "native");
            a.label("native");
        }
        for (Syscall call : Syscall.values()) {
            int nr = arch.number(call);
            boolean childSetUp = forkTemplate && (call == Syscall.MOUNT || call == Syscall.UNSHARE);
            if (call.deniedOutright() && nr != ABSENT && !childSetUp) {
                a.jumpIfEqual(nr, "eperm", call.name());
                a.label(call.name());
            }
        }
        a.jumpIfEqual(arch.number(Syscall.SOCKET), "socket", "notSocket");
        a.label("notSocket");
        a.jumpIfEqual(arch.number(Syscall.CLONE), "clone", "notClone");
        a.label("notClone");
        a.jumpIfEqual(arch.number(Syscall.CLONE3), "enosys", "notClone3");
        a.label("notClone3");
        a.jumpIfEqual(arch.number(Syscall.IOCTL), "ioctl", "allow");

        a.label("socket");
        a.load(OFFSET_ARG0);
        if (loopbackTcp) {
            a.jumpIfEqual(AF_UNIX, "allow", "notUnix");
            a.label("notUnix");
            a.jumpIfEqual(AF_INET, "inet", "eafnosupport");
            a.label("inet");
            a.load(OFFSET_ARG1);
            a.and(SOCK_TYPE_MASK);
            a.jumpIfEqual(SOCK_STREAM, "allow", "eafnosupport");
        } else {
            a.jumpIfEqual(AF_UNIX, "allow", "eafnosupport");
        }

        a.label("clone");
        a.load(OFFSET_ARG0);
        a.jumpIfAnySet(CLONE_NAMESPACE_FLAGS, "eperm", "allow");

        a.label("ioctl");
        a.load(OFFSET_ARG1);
        a.jumpIfEqual(TIOCSTI, "eperm", "notTiocsti");
        a.label("notTiocsti");
        a.jumpIfEqual(TIOCLINUX, "eperm", "allow");

        a.label("allow");
        a.ret(RET_ALLOW);
        a.label("eperm");
        a.ret(RET_ERRNO | EPERM);
        a.label("eafnosupport");
        a.ret(RET_ERRNO | EAFNOSUPPORT);
        a.label("enosys");
        a.ret(RET_ERRNO | ENOSYS);
        a.label("kill");
        a.ret(RET_KILL_PROCESS);
        return new SeccompProgram(arch.name, a.assemble());
    }

    /** Classic BPF with symbolic, forward-only jump targets. */
    private static final class Assembler {
        private static final int BPF_LD_W_ABS = 0x00 | 0x00 | 0x20;
        private static final int BPF_JMP_JEQ_K = 0x05 | 0x10;
        private static final int BPF_JMP_JGE_K = 0x05 | 0x30;
        private static final int BPF_JMP_JSET_K = 0x05 | 0x40;
        private static final int BPF_RET_K = 0x06;
        private static final int BPF_ALU_AND_K = 0x04 | 0x50;
        private static final int MAX_INSTRUCTIONS = 4096;

        private record Insn(int code, String jt, String jf, int k) {}

        private final List<Insn> program = new ArrayList<>();
        private final Map<String, Integer> labels = new HashMap<>();

        void load(int offset) {
            program.add(new Insn(BPF_LD_W_ABS, "", "", offset));
        }

        void jumpIfEqual(int k, String ifTrue, String ifFalse) {
            program.add(new Insn(BPF_JMP_JEQ_K, ifTrue, ifFalse, k));
        }

        void jumpIfAtLeast(int k, String ifTrue, String ifFalse) {
            program.add(new Insn(BPF_JMP_JGE_K, ifTrue, ifFalse, k));
        }

        void jumpIfAnySet(int mask, String ifTrue, String ifFalse) {
            program.add(new Insn(BPF_JMP_JSET_K, ifTrue, ifFalse, mask));
        }

        void and(int mask) {
            program.add(new Insn(BPF_ALU_AND_K, "", "", mask));
        }

        void ret(int value) {
            program.add(new Insn(BPF_RET_K, "", "", value));
        }

        void label(String name) {
            if (labels.putIfAbsent(name, program.size()) != null) {
                throw new IllegalStateException("duplicate label " + name);
            }
        }

        byte[] assemble() {
            if (program.size() >= MAX_INSTRUCTIONS) {
                throw new IllegalStateException("seccomp program too long: " + program.size());
            }
            ByteBuffer out = ByteBuffer.allocate(program.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (int pc = 0; pc < program.size(); pc++) {
                Insn insn = program.get(pc);
                out.putShort((short) insn.code());
                out.put(offset(pc, insn.jt()));
                out.put(offset(pc, insn.jf()));
                out.putInt(insn.k());
            }
            return out.array();
        }

        /** Jumps are relative to the next instruction and can only go forward, at most 255 slots. */
        private byte offset(int pc, String label) {
            if (label.isEmpty()) {
                return 0;
            }
            if (!labels.containsKey(label)) {
                throw new IllegalStateException("undefined label " + label);
            }
            int offset = labels.get(label) - (pc + 1);
            if (offset < 0 || offset > 255) {
                throw new IllegalStateException("jump from " + pc + " to " + label + " out of range: " + offset);
            }
            return (byte) offset;
        }
    }
}
