# Spike (issue 16), host side: starts template.py in bwrap (as uid 65534, like the bubblewrap backend), then per
# execution pre-creates memory and pids cgroups (v1) and FIFOs, asks the template to fork, finds the child's host
# PID (the template's children, matched on NSpid), moves it into its cgroups, lets it go and times the first byte
# of output. Compares with the bare interpreter running the same program in the same run, wall time and CPU.
#   python3 host.py N PROGRAM_FILE [MODULE...]   (root; MODULEs are pre-imported by the template)
#   SPIKE_CHECKS=1 python3 host.py 0 /dev/null json   runs the isolation probe and the security checks instead
import os, sys, subprocess, time, shutil, statistics, tempfile
HERE = os.path.dirname(os.path.abspath(__file__))
N, PROGRAM, PRELOAD = int(sys.argv[1]), open(sys.argv[2]).read(), sys.argv[3:]
BPF = os.environ.get('SPIKE_BPF', os.path.join(HERE, 'seccomp.bpf'))
ROOT = tempfile.mkdtemp(prefix='fork-spike-'); os.chmod(ROOT, 0o755); os.chown(ROOT, 65534, 65534)
CG = {'memory': '/sys/fs/cgroup/memory/mcp-fork-spike', 'pids': '/sys/fs/cgroup/pids/mcp-fork-spike'}
for c in CG.values(): os.makedirs(c, exist_ok=True)
tpl = subprocess.Popen(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', 'bwrap',
    # like the backend's profile, except no --disable-userns: each child takes a nested user namespace
    '--unshare-all', '--unshare-user', '--uid', '65534', '--gid', '65534',
    '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--hostname', 'sandbox', '--clearenv',
    '--setenv', 'PATH', '/usr/bin:/bin', '--setenv', 'HOME', '/workspace', '--setenv', 'OPENBLAS_NUM_THREADS', '1',
    '--ro-bind', '/usr', '/usr', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin',
    '--ro-bind', '/etc/alternatives', '/etc/alternatives', '--ro-bind', '/etc/ld.so.cache', '/etc/ld.so.cache',
    '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--dir', '/workspace', '--bind', ROOT, '/forks',
    '--ro-bind', os.path.join(HERE, 'template.py'), '/template.py', '--ro-bind', BPF, '/seccomp.bpf',
    '--remount-ro', '/', '/usr/bin/python3', '-E', '-s', '-B', '-u', '/template.py'] + PRELOAD,
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={})
def children(pid):
    out = []
    for t in os.listdir(f'/proc/{pid}/task'):
        try: out += [int(x) for x in open(f'/proc/{pid}/task/{t}/children').read().split()]
        except OSError: pass
    return out
def nspid(pid):
    for l in open(f'/proc/{pid}/status'):
        if l.startswith('NSpid:'): return [int(x) for x in l.split()[1:]]
def cpu(pid, children_only=False):
    # cutime misses what bwrap's init does not reap, so the template's side is counted by a cpuacct cgroup
    if not children_only:
        return int(open(ACCT + '/cpuacct.usage').read()) / 1e6
    f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return sum(int(x) for x in f[13:15]) / os.sysconf('SC_CLK_TCK') * 1000
def read_line(kind, n=None):
    while True:
        l = tpl.stdout.readline().decode().split()
        if not l: raise SystemExit('the template died')
        if l[0] == kind and (n is None or l[1] == str(n)): return l
while True:  # the template: below bwrap's init in its PID namespace
    kids = children(tpl.pid)
    if kids and children(kids[0]): T = children(kids[0])[0]; break
    time.sleep(0.001)
read_line('ready')
ACCT = '/sys/fs/cgroup/cpuacct/mcp-fork-spike'
os.makedirs(ACCT, exist_ok=True)
for p in [tpl.pid] + children(tpl.pid) + [T]: open(ACCT + '/cgroup.procs', 'w').write(str(p))
STEPS = []
def fork(n, code):
    base = f'{ROOT}/{n}'; os.makedirs(base + '/ws'); os.makedirs(base + '/io')
    for f in ('in', 'out', 'err'): os.mkfifo(f'{base}/io/{f}', 0o600)
    open(base + '/ws/main.py', 'w').write(code)
    for d, _, fs in os.walk(base):
        os.chown(d, 65534, 65534)
        for f in fs: os.chown(os.path.join(d, f), 65534, 65534)
    groups = {k: f'{c}/c{n}' for k, c in CG.items()}
    for g in groups.values(): os.mkdir(g)
    open(groups['memory'] + '/memory.limit_in_bytes', 'w').write(str(256 << 20))
    open(groups['pids'] + '/pids.max', 'w').write('64')
    outfd = os.open(base + '/io/out', os.O_RDONLY | os.O_NONBLOCK)
    errfd = os.open(base + '/io/err', os.O_RDONLY | os.O_NONBLOCK)
    t0 = time.perf_counter()
    tpl.stdin.write(f'fork {n}\n'.encode()); tpl.stdin.flush()
    p = read_line('pid', n)[2]
    hp = next(c for c in children(T) if nspid(c)[1] == int(p))
    for g in groups.values(): open(g + '/cgroup.procs', 'w').write(str(hp))
    t_attach = time.perf_counter()
    tpl.stdin.write(f'go {n}\n'.encode()); tpl.stdin.flush()
    os.close(os.open(base + '/io/in', os.O_WRONLY))  # the child opens out and err first, then in
    os.set_blocking(outfd, True); os.set_blocking(errfd, True)
    out = os.read(outfd, 65536); t1 = time.perf_counter()
    while True:
        b = os.read(outfd, 65536)
        if not b: break
        out += b
    err = b''
    while True:
        b = os.read(errfd, 65536)
        if not b: break
        err += b
    os.close(outfd); os.close(errfd)
    read_line('exit', n)
    for g in groups.values():
        for _ in range(1000):
            try: os.rmdir(g); break
            except OSError: time.sleep(0.001)
    shutil.rmtree(base)
    steps, prev = {}, t_attach
    for l in err.decode().splitlines():
        if l.startswith('T '):
            for kv in l.split()[1:]:
                k, v = kv.split('='); steps[k] = (float(v) - prev) * 1000; prev = float(v)
            steps['code_to_first_output'] = (t1 - prev) * 1000
    STEPS.append(steps)
    err = '\n'.join(l for l in err.decode().splitlines() if not l.startswith('T '))
    return (t_attach - t0) * 1000, (t1 - t0) * 1000, out.decode(), err
def bare(code):
    t0 = time.perf_counter()
    p = subprocess.Popen(['/usr/bin/python3', '-c', code], stdout=subprocess.PIPE, cwd=ROOT)
    p.stdout.read(1); t1 = time.perf_counter(); out = p.stdout.read(); p.wait()
    return (t1 - t0) * 1000
CHECKS = [
    ('isolation probe', open(os.path.join(HERE, 'probe.py')).read()),
    ('write /dev/shm', 'open("/dev/shm/left-by-sibling", "w").write("x"); open("/tmp/left-by-sibling", "w"); print("written")'),
    ('the next child looks', 'import os; print(os.listdir("/dev/shm"), os.listdir("/tmp"))'),
    ('random differs 1', 'import random, os; print(random.random(), os.urandom(4).hex(), hash("x"))'),
    ('random differs 2', 'import random, os; print(random.random(), os.urandom(4).hex(), hash("x"))'),
    ('corrupt a pre-imported module', 'import json, sys; json.dumps = lambda *a, **k: "CORRUPTED"; sys.modules["json"].loads = None; print(json.dumps(1))'),
    ('the next child sees it intact', 'import json; print(json.dumps([1]), json.loads("2"))'),
    ('memory bomb (256 MB cgroup)', 'x = []\nwhile True: x.append(bytearray(16 << 20))'),
    ('the template still serves', 'print(6*7)'),
    ('fork bomb (pids.max 64)', 'import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(5); os._exit(0)\n        n += 1\nexcept OSError as e: print("refused after", n, e)'),
    ('kill -1', 'import os, signal\ntry: os.kill(-1, signal.SIGKILL)\nexcept OSError as e: print(e)'),
    ('the template still serves', 'print(6*7)'),
    ('ptrace pid 1', 'import ctypes; l = ctypes.CDLL(None, use_errno=True); print(l.ptrace(16, 1, 0, 0), ctypes.get_errno())'),
]
try:
    if os.environ.get('SPIKE_CHECKS'):
        for i, (name, code) in enumerate(CHECKS):
            r = fork(1000 + i, code)
            print(f'## {name} ({r[1]:.1f} ms to first output)\n{r[2].rstrip()}' + (f'\nstderr: {r[3].strip()[-200:]}' if r[3].strip() else ''))
        # the template killed mid-request: the child must not outlive it, and the host must learn it at once
        n = 2000; base = f'{ROOT}/{n}'; os.makedirs(base + '/ws'); os.makedirs(base + '/io')
        for f in ('in', 'out', 'err'): os.mkfifo(f'{base}/io/{f}', 0o600)
        open(base + '/ws/main.py', 'w').write('import time\nprint("started", flush=True)\ntime.sleep(30)\nprint("outlived the template")')
        for d, _, fs in os.walk(base):
            os.chown(d, 65534, 65534)
            for f in fs: os.chown(os.path.join(d, f), 65534, 65534)
        outfd = os.open(base + '/io/out', os.O_RDONLY | os.O_NONBLOCK); errfd = os.open(base + '/io/err', os.O_RDONLY | os.O_NONBLOCK)
        tpl.stdin.write(f'fork {n}\n'.encode()); tpl.stdin.flush(); read_line('pid', n)
        tpl.stdin.write(f'go {n}\n'.encode()); tpl.stdin.flush(); os.close(os.open(base + '/io/in', os.O_WRONLY))
        os.set_blocking(outfd, True); first = os.read(outfd, 100)
        t0 = time.perf_counter(); os.kill(T, 9)
        rest = os.read(outfd, 100); t1 = time.perf_counter()
        line = tpl.stdout.readline(); t2 = time.perf_counter()
        print(f'## the template killed mid-request\nfirst output {first!r}; after SIGKILL to the template: output ended'
              f' {(t1 - t0) * 1000:.1f} ms later with {rest!r}, template stdout ended {(t2 - t0) * 1000:.1f} ms later ({line!r})')
        raise SystemExit(0)
    for i in range(3): fork(i, PROGRAM); bare(PROGRAM)  # warm-up
    c0 = cpu(T); fk = [fork(100 + i, PROGRAM) for i in range(N)]; fork_cpu = (cpu(T) - c0) / N
    c0 = cpu(os.getpid(), True); br = [bare(PROGRAM) for _ in range(N)]; bare_cpu = (cpu(os.getpid(), True) - c0) / N
    assert len({r[2] for r in fk}) == 1, {r[2] for r in fk}
    f50, b50 = statistics.median(r[1] for r in fk), statistics.median(br)
    print(f'output {fk[0][2]!r}, preloaded {PRELOAD}, {N} runs each, load {os.getloadavg()[0]:.1f}')
    print(f'fork: request to first output p50 {f50:.2f} ms (of which fork+cgroup attach {statistics.median(r[0] for r in fk):.2f} ms);'
          f' CPU {fork_cpu:.2f} ms per execution (template and its children; host side not counted)')
    print(f'bare /usr/bin/python3 -c: spawn to first output p50 {b50:.2f} ms; CPU {bare_cpu:.2f} ms per execution')
    print(f'fork / bare: wall {f50 / b50:.2f}, CPU {fork_cpu / bare_cpu:.2f}')
    for k in STEPS[-1]:
        print(f'  step {k}: p50 {statistics.median(s[k] for s in STEPS[3:] if k in s):.2f} ms')
finally:
    tpl.stdin.close(); tpl.wait()
    for _ in range(500):  # bwrap's namespace may still be exiting
        try:
            if os.path.isdir('/sys/fs/cgroup/cpuacct/mcp-fork-spike'): os.rmdir('/sys/fs/cgroup/cpuacct/mcp-fork-spike')
            break
        except OSError: time.sleep(0.01)
    for c in CG.values():
        for d in os.listdir(c):
            if d.startswith('c') and os.path.isdir(f'{c}/{d}'): os.rmdir(f'{c}/{d}')
        os.rmdir(c)
    shutil.rmtree(ROOT, ignore_errors=True)
