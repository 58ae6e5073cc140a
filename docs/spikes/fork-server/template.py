# Spike (issue 16): a fork-server template, started inside a bwrap sandbox (see host.py), that never runs user
# code itself. Per request it forks a child that waits until the host has moved it into its own cgroups, then
# takes new user/mount/PID/IPC/UTS/net namespaces (nested inside the template's), mounts its own /proc, /tmp,
# /dev/shm and workspace, hides the other children's directories, drops every capability and forks the user
# process (PID 2 under a reaper at PID 1), which sets no_new_privs and stacks the project's seccomp filter
# before running the program. Timestamps of each step go to the child's stderr as a 'T ...' line.
import os, sys, time, ctypes, random
libc = ctypes.CDLL(None, use_errno=True)
NEWNS, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET = 0x20000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000
MS_BIND, MS_REC, MS_NOSUID, MS_NODEV, MS_PRIVATE, MS_NOEXEC = 4096, 16384, 2, 4, 1 << 18, 8
class Filter(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]
class CapHeader(ctypes.Structure):
    _fields_ = [('version', ctypes.c_uint32), ('pid', ctypes.c_int)]
class CapData(ctypes.Structure):
    _fields_ = [('effective', ctypes.c_uint32), ('permitted', ctypes.c_uint32), ('inheritable', ctypes.c_uint32)]
BPF = open('/seccomp.bpf', 'rb').read()
for m in sys.argv[1:]:
    __import__(m)
def ok(r, what):
    if r != 0:
        e = ctypes.get_errno(); raise OSError(e, what + ': ' + os.strerror(e))
def drop_caps():
    for c in range(64):
        if libc.prctl(24, c, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # PR_CAPBSET_DROP until EINVAL
            break
    data = (CapData * 2)()
    ok(libc.capset(ctypes.byref(CapHeader(0x20080522, 0)), data), 'capset')
def child(n, gate):
    os.read(gate, 1)  # the host has put us in our cgroups
    T = [('go', time.perf_counter())]
    uid, gid = os.getuid(), os.getgid()
    ok(libc.unshare(NEWUSER | NEWNS | NEWPID | NEWIPC | NEWUTS | NEWNET), 'unshare')
    with open('/proc/self/setgroups', 'w') as f: f.write('deny')
    with open('/proc/self/uid_map', 'w') as f: f.write(f'{uid} {uid} 1')
    with open('/proc/self/gid_map', 'w') as f: f.write(f'{gid} {gid} 1')
    T.append(('unshare+maps', time.perf_counter()))
    pid = os.fork()
    if pid:
        _, st = os.waitpid(pid, 0); os._exit(os.waitstatus_to_exitcode(st) & 255)
    # pid 1 of the new namespace
    T.append(('fork pid1', time.perf_counter()))
    ok(libc.mount(b'none', b'/', None, MS_REC | MS_PRIVATE, None), 'private')
    ok(libc.mount(b'proc', b'/proc', b'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC, None), 'proc')
    ok(libc.mount(b'tmpfs', b'/tmp', b'tmpfs', MS_NOSUID | MS_NODEV, b'size=64m'), 'tmp')
    # bwrap's --dev makes /dev/shm a directory of the template's /dev tmpfs: shared by every child unless covered
    ok(libc.mount(b'tmpfs', b'/dev/shm', b'tmpfs', MS_NOSUID | MS_NODEV, b'size=64m'), 'shm')
    base = f'/forks/{n}'
    ok(libc.mount(f'{base}/ws'.encode(), b'/workspace', None, MS_BIND, None), 'workspace')
    fout = os.open(f'{base}/io/out', os.O_WRONLY); ferr = os.open(f'{base}/io/err', os.O_WRONLY); fin = os.open(f'{base}/io/in', os.O_RDONLY)
    ok(libc.mount(b'tmpfs', b'/forks', b'tmpfs', MS_NOSUID | MS_NODEV, b'size=4k,mode=0'), 'cover')
    T.append(('mounts+fifos', time.perf_counter()))
    os.dup2(fin, 0); os.dup2(fout, 1); os.dup2(ferr, 2)
    for fd in (fin, fout, ferr): os.close(fd)
    os.closerange(3, 1024)
    drop_caps()
    os.chdir('/workspace')
    T.append(('caps', time.perf_counter()))
    pid = os.fork()
    if pid:
        while True:  # reaper
            try:
                p, st = os.wait()
            except ChildProcessError:
                os._exit(0)
            if p == pid:
                os._exit(os.waitstatus_to_exitcode(st) & 255)
    # the user process: pid 2
    ok(libc.prctl(38, 1, 0, 0, 0), 'no_new_privs')
    buf = ctypes.create_string_buffer(BPF)
    ok(libc.prctl(22, 2, ctypes.byref(Filter(len(BPF) // 8, ctypes.addressof(buf))), 0, 0), 'seccomp')
    T.append(('fork user+nnp+seccomp', time.perf_counter()))
    random.seed(); os.environ['PYTHONHASHSEED'] = 'random'
    os.write(2, ('T ' + ' '.join(f'{k.replace(" ", "_")}={v:.6f}' for k, v in T) + '\n').encode())
    code = compile(open('/workspace/main.py').read(), '/workspace/main.py', 'exec')
    exec(code, {'__name__': '__main__'})
    sys.stdout.flush()
    os._exit(0)
import select, signal
gates = {}
wake_r, wake_w = os.pipe(); os.set_blocking(wake_w, False); os.set_blocking(wake_r, False)
signal.set_wakeup_fd(wake_w); signal.signal(signal.SIGCHLD, lambda *a: None)
names = {}
buf = b''
sys.stdout.write('ready\n'); sys.stdout.flush()
while True:
    ready, _, _ = select.select([0, wake_r], [], [])
    if wake_r in ready:
        try: os.read(wake_r, 4096)
        except BlockingIOError: pass
        while True:
            try:
                p, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if p == 0: break
            sys.stdout.write(f'exit {names.pop(p, "?")} {os.waitstatus_to_exitcode(st)}\n'); sys.stdout.flush()
    if 0 not in ready: continue
    chunk = os.read(0, 4096)
    if not chunk: break
    buf += chunk
    while b'\n' in buf:
        line, buf = buf.split(b'\n', 1)
        cmd, n = line.decode().split()
        if cmd == 'fork':
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                try:
                    os.close(w); os.close(wake_r); os.close(wake_w); signal.set_wakeup_fd(-1); signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    child(n, r)
                except BaseException as e:
                    os.write(2, f'child {n} failed: {e!r}\n'.encode()); os._exit(126)
            os.close(r); gates[n] = (pid, w); names[pid] = n
            sys.stdout.write(f'pid {n} {pid}\n'); sys.stdout.flush()
        elif cmd == 'go':
            pid, w = gates.pop(n); os.write(w, b'g'); os.close(w)
