"""Call the MCP tools this execution may use ("code mode").

Installed read-only in every sandbox at /opt/mcp-sandbox/python. The sandbox's bootstrap puts
``tools`` into builtins, so code uses it without an import; ``from mcp_tools import tools, ToolError``
works too.

    total = tools.everything.get_sum(a=1, b=2)                # the tool's value
    total = tools.call("everything.get-sum", {"a": 1, "b": 2})  # the same, by its real name
    for t in tools.list():                                    # [{name, description, inputSchema}]
        print(t["name"])
    tools.result({"total": total})                            # hand a value back to the client

Server and tool names become identifiers in one documented way (see ``identifier``). A refused or
failing call raises ``ToolError`` with ``reason`` (the bridge's ``data.reason``), ``code`` (the
JSON-RPC error code) and ``tool`` (the qualified name).

This module is imported into every Python execution, so it is kept small and imports nothing; the
client (``_mcp_tools_client``, which speaks the bridge protocol over the Unix socket at
``$MCP_TOOLS_SOCKET`` or /run/mcp/tools.sock) is loaded on first use.
"""

__all__ = ["tools", "ToolError", "UnknownToolError", "identifier"]

SOCKET_ENV = "MCP_TOOLS_SOCKET"
DEFAULT_SOCKET = "/run/mcp/tools.sock"
MAX_LINE = 1048576
"""The longest message (without its newline) the bridge accepts."""
MAX_IN_FLIGHT = 16
"""The bridge refuses more requests in flight than this; the client queues the rest."""

CODES = {
    "parse_error": -32700,
    "invalid_request": -32600,
    "unknown_method": -32601,
    "invalid_params": -32602,
    "unknown_tool": -32010,
    "denied": -32011,
    "invalid_arguments": -32012,
    "budget_exhausted": -32013,
    "declined": -32014,
    "unavailable": -32015,
    "tool_error": -32016,
}


def identifier(name):
    """The identifier a server or tool name is reached by: every character other than an ASCII
    letter, digit or '_' becomes '_' (a character outside the Basic Multilingual Plane counts as
    two, as in Java and JavaScript), and a leading digit (or an empty name) gets a '_' in front."""
    out = []
    for ch in name:
        if ch.isascii() and (ch.isalnum() or ch == "_"):
            out.append(ch)
        else:
            out.append("__" if ord(ch) > 0xFFFF else "_")
    ident = "".join(out)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    return ident


class ToolError(Exception):
    """A tool call (or ``tools.result``/``tools.list``) that did not succeed.

    ``reason`` is the bridge's ``data.reason`` (``denied``, ``unknown_tool``, ``invalid_arguments``,
    ``budget_exhausted``, ``declined``, ``unavailable``, ``tool_error``, ...); ``code`` the JSON-RPC
    error code (None when there is none); ``tool`` the qualified ``server.tool`` name (None for
    ``tools.result``/``tools.list``); ``data`` the error's ``data`` object; ``errors`` the schema
    violations of an ``invalid_arguments`` refusal; ``text`` the tool's own message of a
    ``tool_error``; ``detail`` the message without the tool and reason in front.
    """

    def __init__(self, tool, reason, detail, code=None, data=None, subject=None):
        self.tool = tool
        self.reason = reason
        self.detail = detail
        self.code = code
        self.data = data if isinstance(data, dict) else {}
        self._subject = subject
        super().__init__("%s %s: %s" % (subject or tool, reason, detail))

    @property
    def errors(self):
        return self.data.get("errors")

    @property
    def text(self):
        return self.data.get("text")

    def __reduce__(self):
        return (type(self), (self.tool, self.reason, self.detail, self.code, self.data, self._subject))


class UnknownToolError(ToolError, AttributeError):
    """``unknown_tool``: no such tool or server. Also an AttributeError, so ``hasattr`` and
    ``getattr(tools.server, name, default)`` behave as usual."""


def _error(tool, reason, detail, code=None, data=None, subject=None):
    cls = UnknownToolError if reason == "unknown_tool" else ToolError
    if code is None:
        code = CODES.get(reason)
    return cls(tool, reason, detail, code, data, subject)


_api = None


def _client():
    global _api
    if _api is None:
        try:
            from _mcp_tools_client import client
        except ImportError:  # this directory is not on sys.path: load the client from beside this file
            import os
            import sys
            sys.path.append(os.path.dirname(os.path.abspath(__file__)))
            from _mcp_tools_client import client
        _api = client
    return _api


class Tools:
    """``tools``: ``tools.<server>.<tool>(...)``, ``tools.call``, ``tools.result``, ``tools.list``.

    ``tools["my-server"]["get-sum"]`` reaches a server or tool by its real name as well. Errors are
    re-raised here so that a traceback shows the caller's line and one line of this module."""

    ToolError = ToolError
    UnknownToolError = UnknownToolError

    def call(self, name, arguments=None, /, **kwargs):
        """Calls a tool by its qualified name, ``tools.call("server.tool", {...})`` or with keyword
        arguments, and returns its value."""
        try:
            return _client().call(name, arguments, kwargs)
        except (ToolError, TypeError) as e:
            raise e.with_traceback(None)

    def result(self, value, /):
        """Hands ``value`` back to the client: it becomes ``result`` in the execute_code answer.
        The last call wins; at most 1 MiB serialised."""
        try:
            _client().set_result(value)
        except (ToolError, TypeError) as e:
            raise e.with_traceback(None)

    def list(self):
        """The tools this execution may call: a list of {name, description, inputSchema}."""
        try:
            return _client().list_tools()
        except ToolError as e:
            raise e.with_traceback(None)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        try:
            return _client().server(name)
        except ToolError as e:
            raise e.with_traceback(None)

    def __getitem__(self, name):
        if not isinstance(name, str):
            raise TypeError("tools[...] takes a server name, not %s" % type(name).__name__)
        try:
            return _client().server(name)
        except ToolError as e:
            raise e.with_traceback(None)

    def __dir__(self):
        names = {"call", "list", "result"}
        try:
            names.update(_client().server_ids())
        except ToolError:
            pass
        return sorted(names)

    def __repr__(self):
        return "<tools: tools.<server>.<tool>(...), call(), list(), result(); dir(tools) lists the servers>"


tools = Tools()
