"""The client behind ``mcp_tools.tools``: loaded on the first call, not at import.

It speaks the bridge protocol (docs/bridge-protocol.md: JSON-RPC 2.0, one message per line) over one
Unix socket per process, opened on first use at ``$MCP_TOOLS_SOCKET`` or /run/mcp/tools.sock, and
reopened after the bridge closes it; a forked child opens its own. It is thread-safe: threads may
call tools concurrently, answers are matched by id (whichever waiting thread is reading hands them
out), at most 16 requests are in flight and the rest wait for a free slot. It uses _socket and _thread, what socket and threading are built on, because
those two cost another ~9 ms to import and the ``tool`` command pays that on every call.
"""

import _socket
import _thread
import json
import os
import time

from mcp_tools import (CODES, DEFAULT_SOCKET, MAX_IN_FLIGHT, MAX_LINE, SOCKET_ENV, ToolError, UnknownToolError,
                       _error, identifier)

_REASONS = {code: reason for reason, code in CODES.items()}


def _dumps(obj):
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: send them escaped
        return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("ascii")


def _serialisable(what, value):
    """Raises TypeError naming ``what`` when ``value`` cannot be sent as JSON."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as e:
        raise TypeError("%s is not JSON-serialisable: %s" % (what, e)) from None


class _Waiter:
    """One request waiting for its answer. ``parked`` means its thread sleeps on ``lock`` and must be
    woken (by its answer, or to take over reading); only whoever clears ``parked`` releases ``lock``."""

    __slots__ = ("lock", "answer", "parked")

    def __init__(self):
        self.lock = _thread.allocate_lock()
        self.lock.acquire()
        self.answer = None
        self.parked = False


class _Closed(Exception):
    """The connection could not be opened, or ended before the answer came."""

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail


class _Slots:
    """A counting semaphore on bare locks: at most ``n`` holders, the others wait in order."""

    def __init__(self, n):
        self._mutex = _thread.allocate_lock()
        self._free = n
        self._queue = []

    def acquire(self):
        with self._mutex:
            if self._free > 0:
                self._free -= 1
                return
            turn = _thread.allocate_lock()
            turn.acquire()
            self._queue.append(turn)
        try:
            turn.acquire()  # released by release(), which hands its slot over
        except BaseException:
            with self._mutex:
                if turn in self._queue:
                    self._queue.remove(turn)
                    raise
            self.release()  # the slot was handed over just now: pass it on
            raise

    def release(self):
        with self._mutex:
            if self._queue:
                self._queue.pop(0).release()
            else:
                self._free += 1


class _Connection:
    """One socket to the bridge. There is no reader thread: a thread waiting for an answer reads the
    socket itself when no other thread is reading, hands the answers that are not its own to their
    threads, and when it has its own passes the reading on to a thread still waiting. A lone caller
    thus reads its own answer, with no thread switch."""

    def __init__(self, path):
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._mutex = _thread.allocate_lock()  # guards the waiters, reading and closed
        self._send_lock = _thread.allocate_lock()
        self._waiters = {}
        self._reading = False
        self._rest = b""  # bytes read past the last complete line (touched only by the reader)
        self._orphan = None
        self.closed = None

    def send(self, msg_id, line):
        """Sends one request; returns its waiter, to pass to ``wait``."""
        waiter = _Waiter()
        with self._mutex:
            if self.closed is not None:
                waiter.answer = _Closed(self.closed)
                return waiter
            self._waiters[msg_id] = waiter
        try:
            with self._send_lock:
                self._sock.sendall(line)
        except OSError as e:
            self._fail("the tool bridge closed the connection (%s)" % (e.strerror or e))
        return waiter

    def wait(self, msg_id, waiter):
        """Returns the answer: a dict, or a _Closed."""
        try:
            while True:
                with self._mutex:
                    if waiter.answer is not None:
                        return waiter.answer
                    reader = not self._reading
                    if reader:
                        self._reading = True
                    else:
                        waiter.parked = True
                if reader:
                    try:
                        while waiter.answer is None:
                            if not self._read_one():
                                break
                    finally:
                        with self._mutex:
                            self._reading = False
                            self._wake_reader()
                else:
                    waiter.lock.acquire()  # woken by the answer, or to take over reading
        except BaseException:  # interrupted: forget the request, and let another thread read on
            with self._mutex:
                self._waiters.pop(msg_id, None)
                waiter.parked = False
                if not self._reading:
                    self._wake_reader()
            raise

    def _wake_reader(self):
        """Wakes one parked waiter to take over reading (called holding the mutex)."""
        for other in self._waiters.values():
            if other.parked:
                other.parked = False
                other.lock.release()
                return

    def _read_one(self):
        """Reads and dispatches one message; False when the connection is gone."""
        rest = self._rest
        nl = rest.find(b"\n")
        if nl < 0:
            parts = [rest] if rest else []
            try:
                while True:
                    chunk = self._sock.recv(65536)
                    if not chunk:
                        detail = "the tool bridge closed the connection before answering"
                        if self._orphan:
                            detail += " (it said: %s)" % self._orphan
                        self._fail(detail)
                        return False
                    nl = chunk.find(b"\n")
                    if nl >= 0:
                        break
                    parts.append(chunk)
            except OSError as e:
                self._fail("the connection to the tool bridge failed (%s)" % (e.strerror or e))
                return False
            parts.append(chunk)
            rest = b"".join(parts) if len(parts) > 1 else chunk
            nl += len(rest) - len(chunk)
        line, self._rest = rest[:nl], rest[nl + 1:]
        return self._dispatch(line)

    def _dispatch(self, line):
        if not line.strip():
            return True
        try:
            msg = json.loads(line)
        except ValueError:
            msg = None
        if not isinstance(msg, dict):
            self._fail("the tool bridge sent a message that is not a JSON object")
            return False
        msg_id = msg.get("id")
        with self._mutex:
            waiter = self._waiters.pop(msg_id, None) if _hashable(msg_id) else None
            if waiter is not None:
                waiter.answer = msg
                if waiter.parked:
                    waiter.parked = False
                    waiter.lock.release()
        if waiter is None:
            err = msg.get("error")
            if isinstance(err, dict):  # e.g. an answer to a line the bridge could not read
                self._orphan = err.get("message")
        return True

    def _fail(self, detail):
        with self._mutex:
            if self.closed is None:
                self.closed = detail
            waiters, self._waiters = self._waiters, {}
            for waiter in waiters.values():
                waiter.answer = _Closed(detail)
                if waiter.parked:
                    waiter.parked = False
                    waiter.lock.release()
        try:
            self._sock.close()
        except OSError:
            pass


def _hashable(value):
    return isinstance(value, (int, str)) or value is None


class _Catalog:
    """The callable tools, indexed by identifier."""

    def __init__(self, entries):
        self.entries = entries
        self.by_name = {}
        self.servers = {}  # server identifier -> {real server names}
        self.tools = {}  # (server identifier, tool identifier) -> [qualified names]
        for entry in entries:
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(name, str) or "." not in name:
                continue
            server, tool = name.split(".", 1)
            sid, tid = identifier(server), identifier(tool)
            self.by_name[name] = entry
            self.servers.setdefault(sid, set()).add(server)
            names = self.tools.setdefault((sid, tid), [])
            if name not in names:
                names.append(name)

    def resolve(self, server, tool):
        """The qualified names ``tools.<server>.<tool>`` may mean: the real name itself when there is
        a tool by that name, otherwise every name whose identifiers are these."""
        exact = server + "." + tool
        if exact in self.by_name:
            return [exact]
        return self.tools.get((identifier(server), identifier(tool)), [])

    def tool_ids(self, sid):
        return sorted(tid for (s, tid) in self.tools if s == sid)


def _close_names(wanted, candidates, limit=5):
    """The candidates that look like a misspelling of ``wanted``, closest first."""
    wanted_l = wanted.lower()
    scored = []
    for cand in candidates:
        c = cand.lower()
        dist = _distance(wanted_l, c)
        if dist <= max(1, len(wanted_l) // 3) or (len(wanted_l) >= 3 and (wanted_l in c or c in wanted_l)):
            scored.append((dist, cand))
    scored.sort()
    return [cand for _, cand in scored[:limit]]


def _distance(a, b):
    if abs(len(a) - len(b)) > 8:
        return 99
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _some(names, limit=12):
    names = sorted(names)
    shown = ", ".join(names[:limit])
    return shown + (", ... (%d in all)" % len(names) if len(names) > limit else "")


class _Transport:
    """Requests out, answers back; the connection is (re)opened as needed."""

    def __init__(self):
        self._lock = _thread.allocate_lock()
        self._catalog_lock = _thread.allocate_lock()
        self._slots = _Slots(MAX_IN_FLIGHT)
        self._conn = None
        self._next_id = 0
        self._catalog = None
        self._catalog_at = 0.0

    def reset(self):
        """Forgets the connection, its locks and the cached list: a forked child must not share the
        parent's socket, nor inherit a lock some other thread of the parent held."""
        self.__init__()

    def _connection(self):
        conn = self._conn
        if conn is not None and conn.closed is None:
            return conn
        with self._lock:
            conn = self._conn
            if conn is not None and conn.closed is None:
                return conn
            path = os.environ.get(SOCKET_ENV) or DEFAULT_SOCKET
            try:
                conn = _Connection(path)
            except FileNotFoundError:
                raise _Closed("code mode is not enabled on this server (there is no tool bridge at %s)" % path)
            except ConnectionRefusedError:
                raise _Closed("the tool bridge at %s is not accepting connections (the execution may be ending)"
                              % path)
            except OSError as e:
                raise _Closed("cannot connect to the tool bridge at %s: %s" % (path, e.strerror or e))
            self._conn = conn
            return conn

    def request(self, method, params, tool=None, subject=None):
        """Sends one request and returns its ``result``; raises ToolError for an error answer."""
        with self._lock:
            self._next_id += 1
            msg_id = self._next_id
        line = _dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        if len(line) > MAX_LINE:
            raise _error(tool, "invalid_request",
                         "the request is %d bytes; the tool bridge accepts at most %d bytes per message"
                         % (len(line), MAX_LINE), subject=subject)
        line += b"\n"
        self._slots.acquire()
        try:
            try:
                conn = self._connection()
            except _Closed as closed:
                raise _error(tool, "unavailable", closed.detail, subject=subject) from None
            answer = conn.wait(msg_id, conn.send(msg_id, line))
        finally:
            self._slots.release()
        if isinstance(answer, _Closed):
            raise _error(tool, "unavailable", answer.detail, subject=subject)
        err = answer.get("error")
        if err is not None:
            raise self._refusal(err, tool, subject)
        result = answer.get("result")
        return result if isinstance(result, dict) else {}

    @staticmethod
    def _refusal(err, tool, subject):
        if not isinstance(err, dict):
            return _error(tool, "error", repr(err), subject=subject)
        code = err.get("code")
        data = err.get("data") if isinstance(err.get("data"), dict) else {}
        reason = data.get("reason") or _REASONS.get(code) or "error"
        detail = err.get("message") or reason
        if reason == "tool_error" and isinstance(data.get("text"), str) and data["text"].strip():
            detail = data["text"]
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            listed = [e if isinstance(e, str) else json.dumps(e, ensure_ascii=False) for e in errors]
            if listed[0] not in detail:
                detail = "%s: %s" % (detail, "; ".join(listed))
        return _error(tool, reason, detail, code=code if isinstance(code, int) else None, data=data,
                      subject=subject)

    def call(self, name, arguments):
        result = self.request("tools/call", {"name": name, "arguments": arguments}, tool=name)
        return result.get("value")

    def catalog(self, refresh=False):
        """The tools/list answer, fetched once; ``refresh`` fetches again unless it was fetched
        within the last second (a miss on a server that was restarting gets a second look)."""
        with self._catalog_lock:
            if self._catalog is None or (refresh and time.monotonic() - self._catalog_at > 1.0):
                self._fetch_catalog()
            return self._catalog

    def _fetch_catalog(self):
        result = self.request("tools/list", {}, subject="tools.list()")
        entries = result.get("tools")
        self._catalog = _Catalog(entries if isinstance(entries, list) else [])
        self._catalog_at = time.monotonic()
        return self._catalog

    def fresh_catalog(self):
        with self._catalog_lock:
            return self._fetch_catalog()


_transport = _Transport()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_transport.reset)


def new_execution():
    """A session's interpreter starts another execution: the bridge of the last one is gone, and the next
    request opens a connection to this one's."""
    _transport.reset()


def _arguments(what, arguments, kwargs):
    if arguments is None:
        args = kwargs
    elif isinstance(arguments, dict):
        if kwargs:
            both = sorted(set(arguments) & set(kwargs))
            if both:
                raise TypeError("%s got argument %r both in the dict and as a keyword" % (what, both[0]))
            args = dict(arguments, **kwargs)
        else:
            args = arguments
    else:
        raise TypeError("%s takes keyword arguments or one dict of arguments, not %s"
                        % (what, type(arguments).__name__))
    for key in args:
        if not isinstance(key, str):
            raise TypeError("%s: argument names must be strings, not %r" % (what, key))
    return args


def _call(name, args):
    try:
        return _transport.call(name, args)
    except UnknownToolError as e:
        raise _with_suggestions(e, name) from None
    except (TypeError, ValueError, RecursionError):  # only encoding the request raises these
        for key, value in args.items():
            _serialisable("argument %r of %s" % (key, name), value)
        raise


def _qualified_id(name):
    server, _, tool = name.partition(".")
    return identifier(server) + "." + identifier(tool)


def _with_suggestions(e, name):
    """Adds the real names close to ``name`` to an unknown_tool refusal from the bridge."""
    try:
        catalog = _transport.catalog(refresh=True)
    except ToolError:
        return e
    wanted = _qualified_id(name)
    close = [n for n in catalog.by_name if _qualified_id(n) == wanted] or _close_names(name, catalog.by_name)
    if not close:
        return e
    return _error(e.tool, e.reason, "%s (did you mean %s?)" % (e.detail, " or ".join(close)), code=e.code,
                  data=e.data)


class _relabelled:
    """Reports a failure to fetch the tool list as a failure of what the code asked for."""

    def __init__(self, tool, subject):
        self.tool, self.subject = tool, subject

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        if isinstance(e, ToolError):
            raise _error(self.tool, e.reason, e.detail, code=e.code, data=e.data, subject=self.subject) from None
        return False


class Tool:
    """One callable tool: ``tools.<server>.<tool>(**arguments)`` returns its value."""

    def __init__(self, name, entry, attribute):
        self.name = name
        self.description = entry.get("description") or ""
        self.input_schema = entry.get("inputSchema") or {}
        self.__doc__ = self.description
        self.__name__ = attribute
        self.__qualname__ = attribute

    def __call__(self, arguments=None, /, **kwargs):
        try:
            return _call(self.name, _arguments(self.name, arguments, kwargs))
        except (ToolError, TypeError) as e:
            raise e.with_traceback(None)  # the traceback ends here, not deep in the client

    def __repr__(self):
        return "<tool %s>" % self.name


class Server:
    """The tools of one server (or of the servers whose names share this identifier)."""

    def __init__(self, name):
        self.__name = name
        self.__sid = identifier(name)
        self.__tools = {}

    def __getattr__(self, tid):
        if (tid.startswith("__") and tid.endswith("__")) or tid.startswith("_Server__"):
            raise AttributeError(tid)
        try:
            return self.__lookup(tid)
        except ToolError as e:
            raise e.with_traceback(None)

    def __getitem__(self, name):
        """``tools["my-server"]["get-sum"]``: a tool by its real name (or its identifier)."""
        if not isinstance(name, str):
            raise TypeError("tools.%s[...] takes a tool name, not %s" % (self.__name, type(name).__name__))
        try:
            return self.__lookup(name)
        except ToolError as e:
            raise e.with_traceback(None)

    def __lookup(self, tool_name):
        found = self.__tools.get(tool_name)
        if found is not None:
            return found
        server_name, sid, tid = self.__name, self.__sid, identifier(tool_name)
        label = "%s.%s" % (server_name, tool_name)
        with _relabelled(label, label):
            catalog = _transport.catalog()
            names = catalog.resolve(server_name, tool_name)
            if not names:
                catalog = _transport.catalog(refresh=True)
                names = catalog.resolve(server_name, tool_name)
        if not names:
            available = catalog.tool_ids(sid)
            close = _close_names(tid, available)
            hint = ("close names: %s" % ", ".join(close)) if close else \
                ("its tools: %s" % _some(available) if available else "it has no callable tools")
            real = sorted(catalog.servers.get(sid, ())) or [server_name]
            raise _error(label, "unknown_tool",
                         "%s is not among the tools this execution may call on %s (no such tool, or the policy "
                         "does not allow it, or its server is down; tools.call(%r, ...) tells which); %s"
                         % (tool_name, " or ".join(real), real[0] + "." + tool_name, hint))
        if len(names) > 1:
            raise _error(label, "ambiguous_name",
                         "%s could be any of %s; call it by its real name, e.g. tools.call(%r, ...)"
                         % (label, ", ".join(names), names[0]))
        tool = Tool(names[0], catalog.by_name[names[0]], tid)
        self.__tools[tool_name] = tool
        return tool

    def __dir__(self):
        try:
            return _transport.catalog().tool_ids(self.__sid)
        except ToolError:
            return []

    def __repr__(self):
        return "<tools.%s: dir() lists its tools>" % self.__sid




class _Api:
    """What ``mcp_tools.tools`` delegates to."""

    def __init__(self):
        self._servers = {}

    def call(self, name, arguments, kwargs):
        if not isinstance(name, str) or name.find(".") <= 0 or name.endswith("."):
            raise _error(str(name), "invalid_params", "expected a qualified tool name, server.tool")
        return _call(name, _arguments(name, arguments, kwargs))

    def set_result(self, value):
        try:
            _transport.request("result/set", {"value": value}, subject="tools.result()")
        except (TypeError, ValueError, RecursionError) as e:  # only encoding the request raises these
            raise TypeError("the result value is not JSON-serialisable: %s" % e) from None

    def list_tools(self):
        return [dict(e) if isinstance(e, dict) else e for e in _transport.fresh_catalog().entries]

    def server_ids(self):
        return _transport.catalog().servers

    def server(self, name):
        server = self._servers.get(name)
        if server is not None:
            return server
        sid = identifier(name)
        with _relabelled(None, "tools.%s" % name):
            catalog = _transport.catalog()
            if sid not in catalog.servers:
                catalog = _transport.catalog(refresh=True)
        if sid not in catalog.servers:
            close = _close_names(sid, catalog.servers)
            hint = ("close names: %s" % ", ".join(close)) if close else \
                ("the servers: %s" % _some(catalog.servers) if catalog.servers else "no tool is callable at all")
            raise _error(name, "unknown_tool", "no server %s has a tool this execution may call (no such server, or "
                                               "the policy allows none of its tools, or it is down); %s" % (name, hint))
        server = Server(name)
        self._servers[name] = server
        return server


client = _Api()
