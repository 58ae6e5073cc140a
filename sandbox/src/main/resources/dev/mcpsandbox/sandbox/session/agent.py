"""The session agent: the first process of a session's sandbox (installed at /opt/mcp-sandbox/session/agent.py).

It never runs user code itself. It starts, per call, either a language's persistent kernel (kept between calls)
or a fresh process, forwards what they print to the host, and does the session's file work inside the sandbox,
with the sandbox's rights, so the host never opens a path in a workspace that live processes can change.

Host -> agent, on stdin, one JSON object per line:
  {"op": "run", "call": N, "mode": "kernel", "key": "python", "argv": [...], "file": "/workspace/main.py",
   "stdin": "<base64>"}                  run FILE in the kernel KEY (started with ARGV when it is not running)
  {"op": "run", "call": N, "mode": "process", "argv": [...], "input": "<base64>"}
                                         run ARGV as a new process; INPUT is its whole stdin (go line first)
  {"op": "interrupt", "call": N}         SIGINT to a kernel's process group (state kept); SIGKILL to a process's
  {"op": "kill", "call": N}              SIGKILL to the call's kernel or process group (a kernel's state is lost)
  {"op": "write", "id": I, "path": "rel", "data": "<base64>", "exec": bool}
  {"op": "mkdir", "id": I, "path": "rel"}
  {"op": "harvest", "id": I, "dir": "out", "maxFiles": M, "each": E, "total": T}
                                         what a run created or changed in DIR since that run started
Agent -> host, on stdout: a JSON header line, then "n" bytes of payload when the header has "n":
  {"ready": true}
  {"out": N, "fd": 1|2, "n": LEN} + bytes
  {"exit": N, "code": C|null, "signal": S|null, "kernel": "kept"|"died"|"none", "fresh": bool,
   "result": "<json>"|absent, "globals": [names]|absent}
                                         "fresh": the kernel was started for this call (no earlier state);
                                         "globals": the top-level names the kernel holds (JavaScript's)
  {"ack": I} / {"ack": I, "error": "..."} / {"ack": I, "files": [{"path", "size", "exec", "n", "whole"}], "omitted": K, "n": TOTAL}
                                         + the files' bytes in order (whole, or the first 4096 bytes)

A kernel is started with fd 0 = /dev/null, fd 1 and 2 = pipes to this agent, fd 3 = its requests and fd 4 = its
replies. A request is one line "CALL FILE STDIN-FILE" (paths without spaces, chosen by the server; STDIN-FILE is
"-" for none); the kernel answers "ready" once when it can take requests, then one line "CALL EXIT [JSON]" per
request, after flushing what the code printed, and may send "globals CALL [JSON list of names]" just before it.
SIGINT to its process group must end the running call with its state kept (exit 130).

A kernel whose command is this agent's own interpreter and flags followed by a script (Python's) is started as a
fork of this agent rather than a new interpreter: it runs the script as that command would, with what the agent's
process already imported. When the agent was itself forked from a fork-server template (bubblewrap), that includes
the template's preloaded modules, so the kernel starts in milliseconds with numpy already imported.
"""

import base64
import builtins
import errno
import fcntl
import json
import os
import selectors
import signal
import stat
import sys
import types

CHUNK = 65536
STATE = "/tmp/.mcp-session"
HEAD_BYTES = 4096
# The work directory; only tests that run this agent outside a sandbox set the variable.
WORKSPACE = os.environ.get("MCP_SESSION_WORKSPACE", "/workspace")
MAX_DEPTH = 8
MAX_WALK = 10000


def parse_names(text):
    """A kernel's list of the top-level names its calls left, passed on as sent (the host checks each name)."""
    try:
        names = json.loads(text)
    except ValueError:
        return None
    return names if isinstance(names, list) else None


def write_all(fd, data):
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except InterruptedError:
            continue
        view = view[written:]


def send(header, payload=b""):
    write_all(1, (json.dumps(header, separators=(",", ":")) + "\n").encode() + payload)


def nonblocking(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def inside_workspace(path):
    if not isinstance(path, str) or path.startswith("/") or "\0" in path:
        raise ValueError("not a relative path: %r" % (path,))
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise ValueError("not a path inside the workspace: %r" % (path,))
    return WORKSPACE + "/" + "/".join(parts)


class Child:
    """A kernel or a process this agent started: its pid (also its process group) and the pipes it writes."""

    def __init__(self, pid, out_fd, err_fd):
        self.pid = pid
        self.streams = {out_fd: 1, err_fd: 2}
        self.status = None
        self.call = None  # the call whose output this child's pipes carry now

    def signal(self, sig):
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass


class Kernel(Child):
    def __init__(self, pid, out_fd, err_fd, requests_fd, replies_fd):
        super().__init__(pid, out_fd, err_fd)
        self.requests = requests_fd
        self.replies = replies_fd
        self.reply_buffer = b""
        self.ready = False
        self.started_for = None
        self.globals = None  # the top-level names the kernel reported for the running call
        self.pending = None  # (call, request line) sent once the kernel says it is ready
        self.stdin_file = None


class Agent:
    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.kernels = {}
        self.process = None
        self.commands = b""
        self.snapshots = {}
        self.input_left = {}
        wake_r, wake_w = os.pipe()
        nonblocking(wake_r)
        nonblocking(wake_w)
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        self.selector.register(wake_r, selectors.EVENT_READ, ("wake", None))
        nonblocking(0)
        self.selector.register(0, selectors.EVENT_READ, ("commands", None))
        os.makedirs(STATE, mode=0o700, exist_ok=True)

    # ---- the loop

    def serve(self):
        send({"ready": True})
        while True:
            for key, _ in self.selector.select():
                kind, owner = key.data
                if kind == "commands":
                    self.read_commands()
                elif kind == "wake":
                    self.drain_wake(key.fd)
                elif kind == "stream":
                    self.forward(key.fd, owner)
                elif kind == "replies":
                    self.read_replies(owner)
                elif kind == "input":
                    self.feed(key.fd)
            self.reap()

    def drain_wake(self, fd):
        try:
            while os.read(fd, 512):
                pass
        except BlockingIOError:
            pass

    def read_commands(self):
        try:
            data = os.read(0, CHUNK)
        except BlockingIOError:
            return
        if not data:
            # The host closed our stdin: the session is over.
            for child in list(self.kernels.values()) + ([self.process] if self.process else []):
                child.signal(signal.SIGKILL)
            sys.exit(0)
        self.commands += data
        while b"\n" in self.commands:
            line, self.commands = self.commands.split(b"\n", 1)
            if line.strip():
                self.command(json.loads(line))

    def command(self, c):
        op = c.get("op")
        if op == "run":
            self.snapshots = {"out": snapshot(WORKSPACE + "/out")}
            if c["mode"] == "kernel":
                self.run_in_kernel(c)
            else:
                self.run_process(c)
        elif op in ("interrupt", "kill"):
            child = self.child_of(c["call"])
            if child is not None:
                if op == "kill" or child is self.process:
                    child.signal(signal.SIGKILL)
                else:
                    child.signal(signal.SIGINT)
        elif op == "write":
            self.acknowledge(c, lambda: write_file(c["path"], base64.b64decode(c["data"]), bool(c.get("exec"))))
        elif op == "mkdir":
            self.acknowledge(c, lambda: os.makedirs(inside_workspace(c["path"]), exist_ok=True))
        elif op == "harvest":
            self.harvest(c)
        else:
            send({"ack": c.get("id"), "error": "unknown op %r" % (op,)})

    def acknowledge(self, c, action):
        try:
            action()
            send({"ack": c["id"]})
        except (OSError, ValueError) as e:
            send({"ack": c["id"], "error": "%s: %s" % (type(e).__name__, e)})

    def child_of(self, call):
        if self.process is not None and self.process.call == call:
            return self.process
        for kernel in self.kernels.values():
            if kernel.call == call:
                return kernel
        return None

    # ---- starting children

    def spawn(self, argv, stdin_fd, extra=()):
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        actions = [(os.POSIX_SPAWN_DUP2, stdin_fd, 0), (os.POSIX_SPAWN_DUP2, out_w, 1),
                   (os.POSIX_SPAWN_DUP2, err_w, 2)]
        actions += [(os.POSIX_SPAWN_DUP2, fd, target) for fd, target in extra]
        try:
            # Default dispositions: this agent ignores SIGINT and SIGPIPE, and a shell cannot trap a signal that
            # was ignored when it started.
            pid = os.posix_spawnp(argv[0], argv, dict(os.environ), file_actions=actions, setsid=True,
                                  setsigdef=(signal.SIGINT, signal.SIGPIPE, signal.SIGCHLD))
        finally:
            os.close(out_w)
            os.close(err_w)
        for fd in (out_r, err_r):
            nonblocking(fd)
        return pid, out_r, err_r

    def start_kernel(self, argv, stdin_fd, extra):
        """Forks this agent into the kernel when argv is this agent's own command line up to a script; else spawns."""
        own = own_interpreter()
        if own is None or len(argv) <= len(own) or argv[len(own)].startswith("-") \
                or os.path.realpath(argv[0]) != os.path.realpath(sys.executable) or argv[1:len(own)] != own[1:]:
            return self.spawn(argv, stdin_fd, extra)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        gate_r, gate_w = os.pipe()
        try:
            pid = os.fork()
            if pid == 0:
                become(argv[len(own):], [(stdin_fd, 0), (out_w, 1), (err_w, 2)] + list(extra), gate_w)
        except OSError:
            for fd in (out_r, err_r, gate_r):
                os.close(fd)
            raise
        finally:
            for fd in (out_w, err_w, gate_w):
                os.close(fd)
        try:
            os.read(gate_r, 1)  # closed once the child leads its own session: a signal to its group reaches it
        finally:
            os.close(gate_r)
        for fd in (out_r, err_r):
            nonblocking(fd)
        return pid, out_r, err_r

    def run_in_kernel(self, c):
        call, key = c["call"], c["key"]
        kernel = self.kernels.get(key)
        started = False
        if kernel is None:
            requests_r, requests_w = os.pipe()
            replies_r, replies_w = os.pipe()
            null = os.open("/dev/null", os.O_RDONLY)
            try:
                pid, out_r, err_r = self.start_kernel(c["argv"], null, ((requests_r, 3), (replies_w, 4)))
            except OSError as e:
                for fd in (requests_r, requests_w, replies_r, replies_w, null):
                    os.close(fd)
                os.write(2, ("cannot start %s: %s\n" % (c["argv"][0], e)).encode())
                send({"exit": call, "code": 127, "signal": None, "kernel": "none"})
                return
            for fd in (requests_r, replies_w, null):
                os.close(fd)
            nonblocking(replies_r)
            kernel = Kernel(pid, out_r, err_r, requests_w, replies_r)
            self.kernels[key] = kernel
            for fd in (out_r, err_r):
                self.selector.register(fd, selectors.EVENT_READ, ("stream", kernel))
            self.selector.register(replies_r, selectors.EVENT_READ, ("replies", kernel))
            started = True
        kernel.call = call
        kernel.started_for = call if started else None
        stdin_path = "-"
        data = base64.b64decode(c.get("stdin", ""))
        if data:
            stdin_path = "%s/stdin-%d" % (STATE, call)
            with open(stdin_path, "wb") as f:
                f.write(data)
            kernel.stdin_file = stdin_path
        request = ("%d %s %s\n" % (call, c["file"], stdin_path)).encode()
        if kernel.ready:
            self.request(kernel, request)
        else:
            kernel.pending = request

    def request(self, kernel, line):
        try:
            write_all(kernel.requests, line)
        except OSError:
            pass  # the kernel is gone; reaping it ends the call

    def run_process(self, c):
        stdin_r, stdin_w = os.pipe()
        try:
            pid, out_r, err_r = self.spawn(c["argv"], stdin_r)
        except OSError as e:
            os.close(stdin_w)
            os.write(2, ("cannot start %s: %s\n" % (c["argv"][0], e)).encode())
            send({"exit": c["call"], "code": 127, "signal": None, "kernel": "none"})
            return
        finally:
            os.close(stdin_r)
        child = Child(pid, out_r, err_r)
        child.call = c["call"]
        self.process = child
        for fd in (out_r, err_r):
            self.selector.register(fd, selectors.EVENT_READ, ("stream", child))
        nonblocking(stdin_w)
        self.input_left[stdin_w] = base64.b64decode(c.get("input", ""))
        self.selector.register(stdin_w, selectors.EVENT_WRITE, ("input", child))
        self.feed(stdin_w)

    def feed(self, fd):
        left = self.input_left.get(fd, b"")
        try:
            while left:
                left = left[os.write(fd, left):]
        except BlockingIOError:
            self.input_left[fd] = left
            return
        except OSError:
            pass  # the process closed its stdin: the rest is not read, as with a pipe
        self.input_left.pop(fd, None)
        self.selector.unregister(fd)
        os.close(fd)

    # ---- what children print and answer

    def forward(self, fd, child):
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return
        if not data:
            self.selector.unregister(fd)
            return
        if child.call is not None:
            send({"out": child.call, "fd": child.streams[fd], "n": len(data)}, data)

    def drain(self, child):
        """Forwards what the child's pipes hold now: everything it wrote before it answered or ended."""
        for fd in list(child.streams):
            while True:
                try:
                    data = os.read(fd, CHUNK)
                except (BlockingIOError, OSError):
                    break
                if not data:
                    break
                if child.call is not None:
                    send({"out": child.call, "fd": child.streams[fd], "n": len(data)}, data)

    def read_replies(self, kernel):
        try:
            data = os.read(kernel.replies, CHUNK)
        except BlockingIOError:
            return
        if not data:
            self.selector.unregister(kernel.replies)
            return  # the kernel is ending; reaping it ends its call
        kernel.reply_buffer += data
        while b"\n" in kernel.reply_buffer:
            line, kernel.reply_buffer = kernel.reply_buffer.split(b"\n", 1)
            self.reply(kernel, line.decode("utf-8", "replace"))

    def reply(self, kernel, line):
        if line == "ready":
            kernel.ready = True
            if kernel.pending is not None:
                pending, kernel.pending = kernel.pending, None
                self.request(kernel, pending)
            return
        fields = line.split(" ", 2)
        if fields[0] == "globals" and len(fields) == 3:
            kernel.globals = parse_names(fields[2])
            return
        try:
            call, code = int(fields[0]), int(fields[1])
        except (ValueError, IndexError):
            return
        if call != kernel.call:
            return
        self.drain(kernel)
        end = {"exit": call, "code": code, "signal": None, "kernel": "kept", "fresh": kernel.started_for == call}
        if len(fields) > 2 and fields[2]:
            end["result"] = fields[2]
        if kernel.globals is not None:
            end["globals"], kernel.globals = kernel.globals, None
        self.end_call(kernel)
        send(end)

    def end_call(self, kernel):
        kernel.call = None
        if kernel.stdin_file:
            try:
                os.unlink(kernel.stdin_file)
            except OSError:
                pass
            kernel.stdin_file = None

    # ---- children that ended

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.ended(pid, status)

    def ended(self, pid, status):
        code = os.waitstatus_to_exitcode(status)
        if self.process is not None and self.process.pid == pid:
            child, self.process = self.process, None
            self.drain(child)
            self.close_streams(child)
            send({"exit": child.call, "code": code if code >= 0 else None,
                  "signal": -code if code < 0 else None, "kernel": "none"})
            return
        for key, kernel in list(self.kernels.items()):
            if kernel.pid == pid:
                del self.kernels[key]
                call = kernel.call
                self.drain(kernel)
                self.close_streams(kernel)
                for fd in (kernel.requests, kernel.replies):
                    try:
                        self.selector.unregister(fd)
                    except (KeyError, ValueError):
                        pass
                    os.close(fd)
                if call is not None:
                    self.end_call(kernel)
                    send({"exit": call, "code": code if code >= 0 else None,
                          "signal": -code if code < 0 else None, "kernel": "died",
                          "fresh": kernel.started_for == call})
                return

    def close_streams(self, child):
        for fd in child.streams:
            try:
                self.selector.unregister(fd)
            except (KeyError, ValueError):
                pass
            os.close(fd)

    # ---- files

    def harvest(self, c):
        try:
            root = inside_workspace(c["dir"])
            before = self.snapshots.get(c["dir"], {})
            found = [(path, st) for path, st in walk(root) if before.get(path) != (st.st_mtime_ns, st.st_size)]
            found.sort()
            listed, payload, budget = [], [], int(c["total"])
            for path, st in found[:int(c["maxFiles"])]:
                whole = st.st_size <= int(c["each"]) and st.st_size <= budget
                data = read_file(root + "/" + path, st.st_size + 1 if whole else HEAD_BYTES)
                if data is None:
                    continue
                if whole and len(data) > st.st_size:
                    whole, data = False, data[:HEAD_BYTES]
                if whole:
                    budget -= len(data)
                listed.append({"path": path, "size": st.st_size, "exec": bool(st.st_mode & stat.S_IXUSR),
                               "n": len(data), "whole": whole})
                payload.append(data)
            data = b"".join(payload)
            send({"ack": c["id"], "files": listed, "omitted": max(0, len(found) - int(c["maxFiles"])), "n": len(data)},
                 data)
        except (OSError, ValueError, KeyError) as e:
            send({"ack": c.get("id"), "error": "%s: %s" % (type(e).__name__, e)})


def own_interpreter():
    """This process's interpreter and flags, as it was started (the words before its script or -c); None when a
    flag takes a value (-X, -W), which a fork could not be checked against."""
    words = getattr(sys, "orig_argv", None)
    if not words:
        return None
    own = [words[0]]
    for word in words[1:]:
        if not word.startswith("-") or word in ("-c", "-m"):
            return own
        if len(word) < 2 or not all(letter in "bBdEiIOqsSuv" for letter in word[1:]):
            return None
        own.append(word)
    return None


def become(argv, actions, gate):
    """In a fork of the agent: what posix_spawn with setsid and a new `python FLAGS SCRIPT ARGS` would give, then
    SCRIPT as __main__. Never returns into the agent's loop."""
    code = 1
    try:
        os.setsid()
        os.close(gate)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # SIGPIPE stays ignored, as Python sets it
        for fd, target in actions:
            os.dup2(fd, target)
        os.closerange(max(target for _, target in actions) + 1, os.sysconf("SC_OPEN_MAX"))
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            numpy.random.seed()  # random reseeds itself in a fork; numpy's generator does not
        sys.argv = list(argv)
        sys.path[0] = os.path.dirname(argv[0])
        main = types.ModuleType("__main__")
        main.__file__ = argv[0]
        main.__builtins__ = builtins
        sys.modules["__main__"] = main
        with open(argv[0], "rb") as source:
            compiled = compile(source.read(), argv[0], "exec")
        try:
            exec(compiled, main.__dict__)
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
            if not isinstance(e.code, int) and e.code is not None:
                print(e.code, file=sys.stderr)
    except BaseException:
        try:
            sys.excepthook(*sys.exc_info())
        except BaseException:
            pass
    try:
        import atexit
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    os._exit(code & 255)


def walk(root):
    """(path relative to root, stat) of each regular file below root; links are not followed."""
    found = []

    def visit(directory, relative, depth):
        if depth > MAX_DEPTH or len(found) >= MAX_WALK:
            return
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            name = relative + entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                found.append((name, st))
            elif stat.S_ISDIR(st.st_mode):
                visit(entry.path, name + "/", depth + 1)

    visit(root, "", 1)
    return found


def snapshot(root):
    return {path: (st.st_mtime_ns, st.st_size) for path, st in walk(root)}


def read_file(path, limit):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, left = [], limit
        while left > 0:
            data = os.read(fd, min(left, CHUNK))
            if not data:
                break
            chunks.append(data)
            left -= len(data)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_file(path, data, executable):
    target = inside_workspace(path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.unlink(target)  # a link left there is replaced, never written through
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise ValueError("%s is a directory" % path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o755 if executable else 0o644)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)


if __name__ == "__main__":
    Agent().serve()
