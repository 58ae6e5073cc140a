# The fork-server template (issue 16). Started by the server inside a bwrap sandbox (the backend's profile without
# --disable-userns, see ForkTemplate), it pre-imports the operator's modules and never runs user code itself.
#   argv: BOOTSTRAP MODULE...   (BOOTSTRAP: the code `python -c` would run in a single-use sandbox)
# Protocol on stdin/stdout, one line each:
#   host: fork NAME ENTRY UID -> template: pid NAME PID  (PID in the template's PID namespace), or fail NAME WHY
#   host: go NAME            (the host has moved the child into its own cgroups), or drop NAME (it could not)
#   template: exit NAME STATUS   once the child is gone (128+signal when a signal ended it)
# A forked child first takes a user namespace of its own, whose uid and gid maps the template writes before it
# answers pid: the child's 65534 is UID of the template's namespace (a root server maps a block of host uids into it,
# one per live child; a server that is not root maps only the template's own, which UID then names); a child the
# template could not map is killed before it has set anything up (fail). Once let go, the child becomes UID; takes
# new mount/PID/IPC/UTS/net namespaces; forks PID 1 of
# the new PID namespace, which makes every mount private, mounts its own /proc and /dev/shm, binds its own scratch
# (/forks/NAME/fs/work, tmp and bridge) over /workspace, /tmp and /run/mcp, connects its stdin, stdout
# and stderr to the host's socket /forks/NAME/io.sock (in that order), covers /forks, closes every other
# descriptor, drops every capability, sets no_new_privs and stacks the project's seccomp filter; then forks the
# user process (PID 2), which reseeds its random generators and runs BOOTSTRAP as `python -c` would.
import builtins, ctypes, os, random, select, signal, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
NEWNS, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET = 0x20000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 1, 4, 24, 38, 22
BOOTSTRAP = sys.argv[1]
FILTER = open('/run/fork/seccomp.bpf', 'rb').read()
# Native thread pools started at import (OpenBLAS under numpy, OpenMP) do not survive fork: a child would wait on
# threads it does not have. One thread each, set only while the modules load, so children see the usual environment.
POOLS = ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'NUMEXPR_NUM_THREADS')
inherited = {name: os.environ.get(name) for name in POOLS}
os.environ.update({name: '1' for name in POOLS})
for module in sys.argv[2:]:
    try:
        __import__(module)
    except BaseException as e:  # a missing module costs its import in every child, not the template
        os.write(2, f'preload of {module} failed: {e!r}\n'.encode())
for name, value in inherited.items():
    if value is None:
        del os.environ[name]
    else:
        os.environ[name] = value


class SockFprog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]


class CapHeader(ctypes.Structure):
    _fields_ = [('version', ctypes.c_uint32), ('pid', ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [('effective', ctypes.c_uint32), ('permitted', ctypes.c_uint32), ('inheritable', ctypes.c_uint32)]


def ok(result, what):
    if result != 0:
        e = ctypes.get_errno()
        raise OSError(e, what + ': ' + os.strerror(e))


def mount(source, target, fstype, flags, data=None):
    ok(libc.mount(source.encode(), target.encode(), fstype and fstype.encode(), flags, data and data.encode()),
       'mount ' + target)


def kept_flags(path):
    """The flags a bind remount of path must repeat: a nested user namespace may not clear them (they are locked)."""
    flags = os.statvfs(path).f_flag
    pairs = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
             (os.ST_NOATIME, 1024), (os.ST_NODIRATIME, 2048), (os.ST_RELATIME, 1 << 21))
    return sum(ms for st, ms in pairs if flags & st)


def status(wait_status):
    code = os.waitstatus_to_exitcode(wait_status)
    return 128 - code if code < 0 else code


SANDBOX_ID = os.getuid()  # what code in a sandbox runs as, in its own namespace (65534)


def give_uid(pid, uid, told):
    """Maps the child's SANDBOX_ID to uid of this namespace once the child has its user namespace; '' or why not."""
    if not select.select([told], [], [], 2)[0]:
        return 'no user namespace within 2 s'
    if os.read(told, 1) != b'u':
        return 'it ended first'
    for file, line in (('setgroups', 'deny'), ('uid_map', f'{SANDBOX_ID} {uid} 1'), ('gid_map', f'{SANDBOX_ID} {uid} 1')):
        try:
            with open(f'/proc/{pid}/{file}', 'w') as f:
                f.write(line)
        except OSError as e:
            return f'{file}: {e.strerror}'
    return ''


def own_user_namespace(told):
    """The template maps it (writing a map that names another uid takes privilege over the template's namespace)."""
    ok(libc.unshare(NEWUSER), 'unshare user')
    os.write(told, b'u')
    os.close(told)


def become_own_uid():
    """SANDBOX_ID here is the child's own uid on the host: setresuid fails (EINVAL) when the template did not map it.
    Until then the child is the template's uid, unmapped in its namespace: what it may do to the template's files is
    what the template may (the mounts), and to its own what its capabilities in its namespace allow (its uid is)."""
    ok(libc.setresgid(SANDBOX_ID, SANDBOX_ID, SANDBOX_ID), 'setresgid')
    ok(libc.setresuid(SANDBOX_ID, SANDBOX_ID, SANDBOX_ID), 'setresuid')


def namespaces():
    ok(libc.unshare(NEWNS | NEWPID | NEWIPC | NEWUTS | NEWNET), 'unshare')


def own_filesystem(name, sockets):
    base = '/forks/' + name
    mount('none', '/', None, MS_REC | MS_PRIVATE)
    mount('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # bwrap's --dev is one tmpfs for the template and all its children: /dev/shm and /dev/pts get instances of their
    # own, and /dev itself (writable to the sandbox's uid) turns read-only, or a child could leave files for the next
    mount('tmpfs', '/dev/shm', 'tmpfs', MS_NOSUID | MS_NODEV, 'size=64m,mode=1777')
    mount('devpts', '/dev/pts', 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=0620')
    mount('none', '/dev', None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags('/dev'))
    mount(base + '/fs/work', '/workspace', None, MS_BIND)
    mount(base + '/fs/tmp', '/tmp', None, MS_BIND)
    mount(base + '/fs/bridge', '/run/mcp', None, MS_BIND)
    streams = []
    for s in sockets:  # stdin, stdout, stderr: the host accepts them in this order
        s.connect(base + '/io.sock')
        streams.append(s.detach())
    mount('tmpfs', '/forks', 'tmpfs', MS_NOSUID | MS_NODEV, 'size=4k,mode=0')
    return streams


def lock_down():
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break
    ok(libc.capset(ctypes.byref(CapHeader(0x20080522, 0)), (CapData * 2)()), 'capset')
    ok(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 'dumpable')
    ok(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 'no_new_privs')
    program = ctypes.create_string_buffer(FILTER)
    ok(libc.prctl(PR_SET_SECCOMP, 2, ctypes.byref(SockFprog(len(FILTER) // 8, ctypes.addressof(program))), 0, 0),
       'seccomp')


def run_user(entry):
    """What `python -E -s -B -u -c BOOTSTRAP ENTRY` does, from the point the interpreter is up."""
    random.seed()
    numpy = sys.modules.get('numpy')
    if numpy is not None:
        numpy.random.seed()
    sys.argv = ['-c', entry]
    sys.path[0] = ''
    sys.modules['__main__'] = main = type(sys)('__main__')
    main.__builtins__ = builtins
    try:
        exec(compile(BOOTSTRAP, '<string>', 'exec'), main.__dict__)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
        if not isinstance(e.code, int) and e.code is not None:
            print(e.code, file=sys.stderr)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    threading = sys.modules.get('threading')
    if threading is not None:
        threading._shutdown()
    import atexit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    os._exit(code & 255)


def child(name, entry, gate, told):
    own_user_namespace(told)
    if os.read(gate, 1) != b'g':  # the host has moved us into our own cgroups, or given up on us
        os._exit(125)
    os.close(gate)
    # Made before the child's own network namespace: the host's ends of a connection are created in the namespace of
    # the socket that connects, with the host's path (/proc/net/unix would show the code the server's run directory).
    sockets = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(3)]
    namespaces()
    pid = os.fork()
    if pid:
        become_own_uid()
        os._exit(status(os.waitpid(pid, 0)[1]))
    ok(libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0), 'pdeathsig')  # our parent's death takes the namespace with it
    streams = own_filesystem(name, sockets)  # the loopback stays down: the filter refuses IP sockets to forked runs anyway
    become_own_uid()  # only now: /run, where the bridge is mounted, is the template's alone (mode 0700)
    ok(libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0), 'pdeathsig')  # a change of uid cleared it
    for target, fd in enumerate(streams):
        os.dup2(fd, target)
        os.close(fd)
    os.closerange(3, 65536)
    os.chdir('/workspace')
    lock_down()
    pid = os.fork()
    if pid == 0:
        run_user(entry)
    while True:  # PID 1: reap orphans; end with the user process, which takes the namespace with it
        try:
            reaped, wait_status = os.wait()
        except ChildProcessError:
            os._exit(0)
        if reaped == pid:
            os._exit(status(wait_status))


def serve():
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *a: None)
    gates, names, pending = {}, {}, b''

    def say(line):
        os.write(1, (line + '\n').encode())

    say(f'ready {os.getpid()}')
    while True:
        ready = select.select([0, wake_r], [], [])[0]
        if wake_r in ready:
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
            while True:
                try:
                    reaped, wait_status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if reaped == 0:
                    break
                gate = gates.pop(names.get(reaped), None)
                if gate is not None:
                    os.close(gate)
                say(f'exit {names.pop(reaped, "?")} {status(wait_status)}')
        if 0 not in ready:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            return  # the server closed our stdin: retired, or the server is gone
        pending += chunk
        while b'\n' in pending:
            line, pending = pending.split(b'\n', 1)
            command, name, *rest = line.decode().split(' ')
            if command == 'fork':
                r, w = os.pipe()
                told_r, told_w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    try:
                        os.close(w)
                        os.close(told_r)
                        os.close(wake_r)
                        os.close(wake_w)
                        signal.set_wakeup_fd(-1)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        quiet = os.open('/dev/null', os.O_RDWR)  # the protocol pipes stay the template's alone
                        os.dup2(quiet, 0)
                        os.dup2(quiet, 1)
                        os.close(quiet)
                        child(name, rest[0], r, told_w)
                    except BaseException as e:
                        os.write(2, f'child {name} failed: {e!r}\n'.encode())
                    os._exit(126)
                os.close(r)
                os.close(told_w)
                names[pid] = name
                problem = give_uid(pid, int(rest[1]), told_r)
                os.close(told_r)
                if problem:
                    os.kill(pid, signal.SIGKILL)
                    os.close(w)
                    say(f'fail {name} {problem}')
                    continue
                gates[name] = w
                say(f'pid {name} {pid}')
            elif command == 'go' and name in gates:
                gate = gates.pop(name)
                os.write(gate, b'g')
                os.close(gate)
            elif command == 'drop' and name in gates:
                os.close(gates.pop(name))


serve()
