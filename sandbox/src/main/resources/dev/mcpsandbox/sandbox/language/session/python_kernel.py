"""A session's persistent Python (installed at /opt/mcp-sandbox/session/python_kernel.py; protocol: agent.py).

Each call runs like a notebook cell in one __main__ module: globals and imports persist; when the last statement
is an expression its value is the call's result (JSON when it can be, else its repr) instead of being printed.
SIGINT interrupts the running call with KeyboardInterrupt and keeps the state; SystemExit ends the call with its
status and keeps the state too. Tracebacks start at the user's own frames, as in a single-use run.
"""

import ast
import builtins
import importlib
import io
import json
import os
import signal
import sys
import traceback
import types

RESULT_LIMIT = 65536

sys.path.insert(1, "/opt/mcp-sandbox/python")
try:
    import mcp_tools

    builtins.tools, builtins.ToolError = mcp_tools.tools, mcp_tools.ToolError
    del mcp_tools
except ImportError:
    pass

if os.environ.get("MCP_USER_SITE"):
    # A session opened with the network may pip install --user into /workspace/.local; -s left that site off
    # sys.path. Created now, so that packages installed by any later call are found.
    import site

    os.makedirs(site.getusersitepackages(), exist_ok=True)
    sys.path.append(site.getusersitepackages())

for _fd in (3, 4):
    os.set_inheritable(_fd, False)  # user code's subprocesses must not hold the kernel's channel
_requests = io.open(3, "rb", buffering=0, closefd=False)
_replies = io.open(4, "wb", buffering=0, closefd=False)
_main = types.ModuleType("__main__")
_main.__builtins__ = builtins
sys.modules["__main__"] = _main


def _trimmed(tb, filename):
    """The traceback from the first frame in the user's file (the kernel's own frames are noise)."""
    t = tb
    while t is not None and t.tb_frame.f_code.co_filename != filename:
        t = t.tb_next
    return t if t is not None else tb


def _print_exception(error, filename):
    tb = None if isinstance(error, SyntaxError) else _trimmed(error.__traceback__, filename)
    traceback.print_exception(type(error), error, tb)


def _result(value):
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        text = json.dumps(repr(value))
    if len(text) > RESULT_LIMIT:
        text = json.dumps(repr(value)[:RESULT_LIMIT] + "... (cut)")
    return text


def _use_stdin(path):
    fd = os.open(path if path != "-" else "/dev/null", os.O_RDONLY)
    os.dup2(fd, 0)
    os.close(fd)
    sys.stdin = io.TextIOWrapper(io.open(0, "rb", closefd=False), encoding="utf-8", errors="replace")


def _run(filename):
    """Runs the file in __main__; returns (exit status, result JSON or None)."""
    with open(filename, "rb") as source:
        tree = ast.parse(source.read(), filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    _main.__file__ = filename
    exec(compile(tree, filename, "exec"), _main.__dict__)
    if last is None:
        return 0, None
    value = eval(compile(last, filename, "eval"), _main.__dict__)
    return 0, None if value is None else _result(value)


def _call(filename, stdin_path):
    importlib.invalidate_caches()  # an earlier call may have installed or written modules
    bridge = sys.modules.get("_mcp_tools_client")
    if bridge is not None:
        bridge.new_execution()  # each call has a tool bridge of its own
    try:
        _use_stdin(stdin_path)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            return _run(filename)
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0, None
        if isinstance(code, int):
            return code & 0xFF, None
        print(code, file=sys.stderr)
        return 1, None
    except KeyboardInterrupt as e:
        _print_exception(e, filename)
        return 130, None
    except BaseException as e:  # the code's own error: reported, the kernel goes on
        _print_exception(e, filename)
        return 1, None


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _serve():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _replies.write(b"ready\n")
    buffer = b""
    while True:
        data = _requests.read(4096)
        if not data:
            return
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            call, filename, stdin_path = line.decode().split(" ", 2)
            try:
                code, result = _call(filename, stdin_path)
            except KeyboardInterrupt:  # arrived between the code's end and the reply
                code, result = 130, None
            _flush()
            reply = "%s %d" % (call, code) + (" " + result if result is not None else "")
            _replies.write((reply + "\n").encode())


if __name__ == "__main__":
    _serve()
