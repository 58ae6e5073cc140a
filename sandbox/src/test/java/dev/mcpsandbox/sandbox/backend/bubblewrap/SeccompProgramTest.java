package dev.mcpsandbox.sandbox.backend.bubblewrap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs the generated program through a small classic-BPF interpreter against fabricated seccomp_data. */
class SeccompProgramTest {

    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int AUDIT_ARCH_AARCH64 = 0xC00000B7;
    private static final int AUDIT_ARCH_I386 = 0x40000003;

    private static final int KILL_PROCESS = 0x80000000;
    private static final int ALLOW = 0x7FFF0000;
    private static final int EPERM = 0x00050000 | 1;
    private static final int ENOSYS = 0x00050000 | 38;
    private static final int EAFNOSUPPORT = 0x00050000 | 97;

    // Written out independently of the production table, straight from the kernel headers, so a typo
    // in either one shows up as a failure.
    private static final Map<String, Integer> DENIED_X86_64 = parse("""
            ptrace=101 mount=165 umount2=166 pivot_root=155 move_mount=429 open_tree=428 fsopen=430
            fsconfig=431 fsmount=432 fspick=433 mount_setattr=442 unshare=272 setns=308 bpf=321 keyctl=250
            add_key=248 request_key=249 perf_event_open=298 io_uring_setup=425 io_uring_enter=426
            io_uring_register=427 kexec_load=246 kexec_file_load=320 init_module=175 finit_module=313
            delete_module=176 process_vm_readv=310 process_vm_writev=311 userfaultfd=323 acct=163
            swapon=167 swapoff=168 reboot=169 syslog=103 open_by_handle_at=304 name_to_handle_at=303
            quotactl=179 quotactl_fd=443 iopl=172 ioperm=173 settimeofday=164 clock_settime=227
            clock_adjtime=305 adjtimex=159 sethostname=170 setdomainname=171 chroot=161 pidfd_getfd=438
            kcmp=312 lookup_dcookie=212 vhangup=153 nfsservctl=180 uselib=134 fanotify_init=300
            remap_file_pages=216
            """);
    private static final Map<String, Integer> DENIED_AARCH64 = parse("""
            ptrace=117 mount=40 umount2=39 pivot_root=41 move_mount=429 open_tree=428 fsopen=430
            fsconfig=431 fsmount=432 fspick=433 mount_setattr=442 unshare=97 setns=268 bpf=280 keyctl=219
            add_key=217 request_key=218 perf_event_open=241 io_uring_setup=425 io_uring_enter=426
            io_uring_register=427 kexec_load=104 kexec_file_load=294 init_module=105 finit_module=273
            delete_module=106 process_vm_readv=270 process_vm_writev=271 userfaultfd=282 acct=89
            swapon=224 swapoff=225 reboot=142 syslog=116 open_by_handle_at=265 name_to_handle_at=264
            quotactl=60 quotactl_fd=443 settimeofday=170 clock_settime=112 clock_adjtime=266
            adjtimex=171 sethostname=161 setdomainname=162 chroot=51 pidfd_getfd=438 kcmp=272
            lookup_dcookie=18 vhangup=58 nfsservctl=42 fanotify_init=262 remap_file_pages=234
            """);

    private record Target(SeccompProgram program, int auditArch, Map<String, Integer> denied,
            int readNr, int socketNr, int cloneNr, int clone3Nr, int ioctlNr) {

        static Target of(String arch) {
            return switch (arch) {
                case "x86_64" -> new Target(SeccompProgramTest.program("x86_64"), AUDIT_ARCH_X86_64, DENIED_X86_64, 0, 41, 56, 435, 16);
                case "aarch64" -> new Target(SeccompProgramTest.program("aarch64"), AUDIT_ARCH_AARCH64, DENIED_AARCH64, 63, 198, 220, 435, 29);
                default -> throw new IllegalArgumentException(arch);
            };
        }

        int run(int nr, long... args) {
            return execute(program.bytes(), nr, auditArch, args);
        }

        /** The same architecture under the filter for calls with the network. */
        Target withLoopbackTcp() {
            return new Target(SeccompProgram.withLoopbackTcpForArchitecture(arch(program)).orElseThrow(), auditArch,
                    denied, readNr, socketNr, cloneNr, clone3Nr, ioctlNr);
        }

        /** The same architecture under a fork-server template's filter. */
        Target forForkTemplate() {
            return new Target(SeccompProgram.forForkTemplateForArchitecture(arch(program)).orElseThrow(), auditArch,
                    denied, readNr, socketNr, cloneNr, clone3Nr, ioctlNr);
        }

        private static String arch(SeccompProgram p) {
            return p.architecture();
        }
    }

    private static SeccompProgram program(String osArch) {
        return SeccompProgram.forArchitecture(osArch).orElseThrow();
    }

    @Test
    void mapsJvmArchitectureNames() {
        assertThat(SeccompProgram.forArchitecture("amd64")).map(SeccompProgram::architecture).contains("x86_64");
        assertThat(SeccompProgram.forArchitecture("x86_64")).map(SeccompProgram::architecture).contains("x86_64");
        assertThat(SeccompProgram.forArchitecture("aarch64")).map(SeccompProgram::architecture).contains("aarch64");
        for (String unsupported : new String[] {"x86", "i386", "arm", "ppc64le", "riscv64", "s390x", ""}) {
            assertThat(SeccompProgram.forArchitecture(unsupported)).as(unsupported).isEmpty();
        }
    }

    @Test
    void currentArchitectureFollowsOsArch() {
        String osArch = System.getProperty("os.arch");
        assertThat(SeccompProgram.forCurrentArchitecture().isPresent())
                .isEqualTo(Set.of("amd64", "x86_64", "aarch64").contains(osArch));
    }

    @Test
    void bytesAreAFreshCopy() {
        SeccompProgram program = program("amd64");
        byte[] first = program.bytes();
        byte[] pristine = first.clone();
        Arrays.fill(first, (byte) 0);
        assertThat(program.bytes()).isEqualTo(pristine).isNotSameAs(program.bytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void isWholeInstructionsWellUnderTheKernelLimit(String arch) {
        byte[] bytes = Target.of(arch).program().bytes();
        assertThat(bytes.length % 8).isZero();
        assertThat(bytes.length / 8).isPositive().isLessThan(4096);
    }

    @Test
    void killsForeignArchitecture() {
        byte[] x86 = program("x86_64").bytes();
        byte[] arm = program("aarch64").bytes();
        assertThat(execute(x86, 0, AUDIT_ARCH_AARCH64)).isEqualTo(KILL_PROCESS);
        assertThat(execute(x86, 0, AUDIT_ARCH_I386)).isEqualTo(KILL_PROCESS);
        assertThat(execute(arm, 63, AUDIT_ARCH_X86_64)).isEqualTo(KILL_PROCESS);
        assertThat(execute(arm, 63, 0x40000028)).as("32-bit ARM").isEqualTo(KILL_PROCESS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void deniesPtraceWithEperm(String arch) {
        Target t = Target.of(arch);
        assertThat(t.run(t.denied().get("ptrace"), 0)).isEqualTo(EPERM);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void deniesEverySyscallInTheTableWithEperm(String arch) {
        Target t = Target.of(arch);
        t.denied().forEach((name, nr) -> assertThat(t.run(nr, 0, 0)).as(name + "=" + nr).isEqualTo(EPERM));
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void allowsEverySyscallOutsideThePolicy(String arch) {
        Target t = Target.of(arch);
        Set<Integer> inspected = Set.of(t.socketNr(), t.cloneNr(), t.clone3Nr(), t.ioctlNr());
        for (int nr = 0; nr < 1024; nr++) {
            if (!t.denied().containsValue(nr) && !inspected.contains(nr)) {
                assertThat(t.run(nr, 0, 0)).as("nr " + nr).isEqualTo(ALLOW);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void allowsRead(String arch) {
        Target t = Target.of(arch);
        assertThat(t.run(t.readNr(), 3, 0x7fff0000L, 4096)).isEqualTo(ALLOW);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void loopbackTcpFilter_allowsOnlyIpv4StreamSocketsBesidesUnix(String arch) {
        Target t = Target.of(arch).withLoopbackTcp();
        int sockStream = 1;
        int nonblockCloexec = 0x800 | 0x80000;
        assertThat(t.run(t.socketNr(), 1, sockStream)).as("AF_UNIX").isEqualTo(ALLOW);
        assertThat(t.run(t.socketNr(), 2, sockStream)).as("AF_INET stream").isEqualTo(ALLOW);
        assertThat(t.run(t.socketNr(), 2, sockStream | nonblockCloexec)).as("AF_INET stream, flags").isEqualTo(ALLOW);
        assertThat(t.run(t.socketNr(), 2, 2)).as("AF_INET dgram (DNS)").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 2, 2 | nonblockCloexec)).as("AF_INET dgram, flags").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 2, 3)).as("AF_INET raw").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 2, 5)).as("AF_INET seqpacket").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 10, sockStream)).as("AF_INET6").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 16, 3)).as("AF_NETLINK").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 17, 3)).as("AF_PACKET").isEqualTo(EAFNOSUPPORT);
        // The kernel reads domain and type as ints: the filter judges the same low words, whatever the high ones hold.
        assertThat(t.run(t.socketNr(), (1L << 32) | 10, sockStream)).as("AF_INET6 with a high word").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 2, (1L << 32) | 2)).as("AF_INET dgram with a high word").isEqualTo(EAFNOSUPPORT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void loopbackTcpFilter_deniesEverythingTheStrictOneDenies(String arch) {
        Target t = Target.of(arch).withLoopbackTcp();
        t.denied().forEach((name, nr) -> assertThat(t.run(nr)).as(name).isEqualTo(EPERM));
        assertThat(t.run(t.cloneNr(), 0x10000000L)).as("clone(CLONE_NEWUSER)").isEqualTo(EPERM);
        assertThat(t.run(t.clone3Nr())).as("clone3").isEqualTo(ENOSYS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void forkTemplateFilter_allowsOnlyUnshareAndMountBeyondTheStrictOne(String arch) {
        Target t = Target.of(arch).forForkTemplate();
        t.denied().forEach((name, nr) -> assertThat(t.run(nr)).as(name)
                .isEqualTo(name.equals("unshare") || name.equals("mount") ? ALLOW : EPERM));
        assertThat(t.run(t.cloneNr(), 0x10000000L)).as("clone(CLONE_NEWUSER)").isEqualTo(EPERM);
        assertThat(t.run(t.socketNr(), 2, 1)).as("AF_INET").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.readNr())).as("read").isEqualTo(ALLOW);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void deniesInetSocketButAllowsUnixSocket(String arch) {
        Target t = Target.of(arch);
        int sockStream = 1;
        assertThat(t.run(t.socketNr(), 1, sockStream)).as("AF_UNIX").isEqualTo(ALLOW);
        assertThat(t.run(t.socketNr(), 2, sockStream)).as("AF_INET").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 10, sockStream)).as("AF_INET6").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 16, 3)).as("AF_NETLINK").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 17, 3)).as("AF_PACKET").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 40, sockStream)).as("AF_VSOCK").isEqualTo(EAFNOSUPPORT);
        assertThat(t.run(t.socketNr(), 0, sockStream)).as("AF_UNSPEC").isEqualTo(EAFNOSUPPORT);
        // The kernel reads the domain as an int, so garbage in the upper half must not sneak AF_INET through.
        assertThat(t.run(t.socketNr(), (1L << 32) | 2, sockStream)).isEqualTo(EAFNOSUPPORT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void deniesCloneWithNewUserFlag(String arch) {
        Target t = Target.of(arch);
        long sigchld = 17;
        assertThat(t.run(t.cloneNr(), 0x10000000L | sigchld)).isEqualTo(EPERM);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void deniesCloneWithAnyNamespaceFlag(String arch) {
        Target t = Target.of(arch);
        Map<String, Long> flags = Map.of("NEWNS", 0x00020000L, "NEWCGROUP", 0x02000000L, "NEWUTS", 0x04000000L,
                "NEWIPC", 0x08000000L, "NEWUSER", 0x10000000L, "NEWPID", 0x20000000L, "NEWNET", 0x40000000L,
                "NEWTIME", 0x00000080L);
        flags.forEach((name, flag) -> assertThat(t.run(t.cloneNr(), flag)).as(name).isEqualTo(EPERM));
        assertThat(t.run(t.cloneNr(), 0x7E020080L | 0x01200011L)).as("all of them plus fork flags").isEqualTo(EPERM);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void allowsPlainThreadClone(String arch) {
        Target t = Target.of(arch);
        // What glibc's pthread_create passes: VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID.
        assertThat(t.run(t.cloneNr(), 0x003D0F00L)).isEqualTo(ALLOW);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void allowsForkStyleClone(String arch) {
        Target t = Target.of(arch);
        // fork(): CHILD_SETTID|CHILD_CLEARTID|SIGCHLD; posix_spawn/vfork: VM|VFORK|SIGCHLD.
        assertThat(t.run(t.cloneNr(), 0x01200011L)).isEqualTo(ALLOW);
        assertThat(t.run(t.cloneNr(), 0x00004111L)).isEqualTo(ALLOW);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void makesClone3LookUnimplemented(String arch) {
        Target t = Target.of(arch);
        assertThat(t.run(t.clone3Nr(), 0x7ffd1000L, 88)).isEqualTo(ENOSYS);
    }

    @Test
    void deniesX32Syscalls() {
        Target t = Target.of("x86_64");
        int x32 = 0x40000000;
        assertThat(t.run(x32)).as("x32 read").isEqualTo(EPERM);
        assertThat(t.run(x32 | 41, 2)).as("x32 socket(AF_INET)").isEqualTo(EPERM);
        assertThat(t.run(x32 | 521)).as("x32 ptrace").isEqualTo(EPERM);
        assertThat(t.run(0xFFFFFFFF)).as("nr -1").isEqualTo(EPERM);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void deniesTiocsti(String arch) {
        Target t = Target.of(arch);
        assertThat(t.run(t.ioctlNr(), 0, 0x5412)).isEqualTo(EPERM);
        assertThat(t.run(t.ioctlNr(), 0, (1L << 32) | 0x5412)).as("upper half ignored by the kernel").isEqualTo(EPERM);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void deniesTioclinux(String arch) {
        Target t = Target.of(arch);
        assertThat(t.run(t.ioctlNr(), 0, 0x541C)).isEqualTo(EPERM);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch64"})
    void allowsOrdinaryIoctls(String arch) {
        Target t = Target.of(arch);
        assertThat(t.run(t.ioctlNr(), 0, 0x5401)).as("TCGETS").isEqualTo(ALLOW);
        assertThat(t.run(t.ioctlNr(), 0, 0x5413)).as("TIOCGWINSZ").isEqualTo(ALLOW);
        assertThat(t.run(t.ioctlNr(), 0, 0x541B)).as("FIONREAD").isEqualTo(ALLOW);
        assertThat(t.run(t.ioctlNr(), 0x5412, 0)).as("TIOCSTI's value in the fd, not the request").isEqualTo(ALLOW);
    }

    // --- a classic-BPF interpreter covering exactly the opcodes the generator emits ---

    private static final int LD_W_ABS = 0x20;
    private static final int JMP_JEQ_K = 0x15;
    private static final int JMP_JGE_K = 0x35;
    private static final int JMP_JSET_K = 0x45;
    private static final int RET_K = 0x06;
    private static final int ALU_AND_K = 0x54;

    /** Returns the action; fails on anything a kernel verifier would reject or we did not mean to emit. */
    static int execute(byte[] program, int nr, int auditArch, long... args) {
        assertThat(args.length).isLessThanOrEqualTo(6);
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, nr).putInt(4, auditArch).putLong(8, 0x7f00_1234_5678L);
        for (int i = 0; i < args.length; i++) {
            data.putLong(16 + 8 * i, args[i]);
        }
        ByteBuffer code = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        int length = program.length / 8;
        int accumulator = 0;
        int pc = 0;
        while (true) {
            assertThat(pc).as("program counter").isBetween(0, length - 1);
            int op = Short.toUnsignedInt(code.getShort(pc * 8));
            int jt = Byte.toUnsignedInt(code.get(pc * 8 + 2));
            int jf = Byte.toUnsignedInt(code.get(pc * 8 + 3));
            int k = code.getInt(pc * 8 + 4);
            pc++;
            switch (op) {
                case LD_W_ABS -> {
                    assertThat(k).as("load offset").isBetween(0, 60).matches(off -> off % 4 == 0, "aligned");
                    accumulator = data.getInt(k);
                }
                case JMP_JEQ_K -> pc += accumulator == k ? jt : jf;
                case ALU_AND_K -> accumulator &= k;
                case JMP_JGE_K -> pc += Integer.compareUnsigned(accumulator, k) >= 0 ? jt : jf;
                case JMP_JSET_K -> pc += (accumulator & k) != 0 ? jt : jf;
                case RET_K -> {
                    return k;
                }
                default -> throw new AssertionError("unexpected opcode 0x" + Integer.toHexString(op));
            }
        }
    }

    private static Map<String, Integer> parse(String table) {
        Map<String, Integer> numbers = new LinkedHashMap<>();
        for (String entry : table.trim().split("\\s+")) {
            String[] parts = entry.split("=");
            assertThat(numbers.put(parts[0], Integer.parseInt(parts[1]))).as("duplicate " + parts[0]).isNull();
        }
        return Map.copyOf(numbers);
    }
}
