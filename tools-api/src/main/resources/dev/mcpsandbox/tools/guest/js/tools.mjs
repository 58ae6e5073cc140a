// Call the MCP tools this execution may use ("code mode"). Node.js 20+, no dependencies.
//
// Installed read-only in every sandbox at /opt/mcp-sandbox/js/tools.mjs; the preload puts `tools` and
// `ToolError` on globalThis, so code uses them without an import.
//
//   const sum = await tools.everything.get_sum({ a: 1, b: 2 });          // the tool's value
//   const same = await tools.call('everything.get-sum', { a: 1, b: 2 }); // by its real name
//   const list = await tools.list();                                     // [{name, description, inputSchema}]
//   await tools.result({ sum });                                         // hand a value back
//
// Server and tool names become identifiers in one documented way (see `identifier`). A refused or
// failing call rejects with a ToolError carrying `reason` (the bridge's data.reason), `code` (the
// JSON-RPC error code) and `tool` (the qualified name).
//
// One Unix socket per process (per worker thread), opened on first use, at $MCP_TOOLS_SOCKET or
// /run/mcp/tools.sock. Calls may overlap: answers are matched by id, at most 16 requests are in
// flight and the rest wait their turn. The socket holds the process open only while a request is
// pending, so a program ends as soon as its own work is done.

const DEFAULT_SOCKET = '/run/mcp/tools.sock';
/** The longest message (without its newline) the bridge accepts. */
const MAX_LINE = 1048576;
/** The bridge refuses more requests in flight than this; the client queues the rest. */
const MAX_IN_FLIGHT = 16;

export const CODES = Object.freeze({
  parse_error: -32700,
  invalid_request: -32600,
  unknown_method: -32601,
  invalid_params: -32602,
  unknown_tool: -32010,
  denied: -32011,
  invalid_arguments: -32012,
  budget_exhausted: -32013,
  declined: -32014,
  unavailable: -32015,
  tool_error: -32016,
});
const REASONS = new Map(Object.entries(CODES).map(([reason, code]) => [code, reason]));

/**
 * The identifier a server or tool name is reached by: every character other than an ASCII letter,
 * digit or '_' becomes '_' (per UTF-16 code unit, as in Java), and a name that starts with a digit
 * (or is empty) gets a '_' in front: get-sum → get_sum, 2fa → _2fa.
 */
export function identifier(name) {
  const id = String(name).replace(/[^A-Za-z0-9_]/g, '_');
  return id === '' || (id.charCodeAt(0) >= 48 && id.charCodeAt(0) <= 57) ? '_' + id : id;
}

/**
 * A tool call (or tools.result / tools.list) that did not succeed. `reason` is the bridge's
 * data.reason (denied, unknown_tool, invalid_arguments, budget_exhausted, declined, unavailable,
 * tool_error, ...), `code` the JSON-RPC error code (null when there is none), `tool` the qualified
 * server.tool name (null for tools.result / tools.list), `data` the error's data object (`errors`
 * for invalid_arguments, `text` for tool_error), `detail` the message without tool and reason.
 */
export class ToolError extends Error {
  constructor(tool, reason, detail, { code, data, subject } = {}) {
    super(`${subject ?? tool} ${reason}: ${detail}`);
    this.tool = tool ?? null;
    this.reason = reason;
    this.code = code !== undefined ? code : (CODES[reason] ?? null);
    this.data = data && typeof data === 'object' ? data : {};
    this.detail = detail;
  }

  get errors() {
    return this.data.errors;
  }

  get text() {
    return this.data.text;
  }
}
Object.defineProperty(ToolError.prototype, 'name', { value: 'ToolError', writable: true, configurable: true });

/** Points a rejection's stack at the caller's line rather than at the socket handler. */
function atCallSite(error, site) {
  if (site?.stack) {
    const nl = site.stack.indexOf('\n');
    error.stack = `${error.name}: ${error.message}${nl >= 0 ? site.stack.slice(nl) : ''}`;
  }
  return error;
}

function callSite(fn) {
  const site = {};
  Error.captureStackTrace(site, fn);
  return site;
}

function notJson(value) {
  switch (typeof value) {
    case 'bigint':
      return `a BigInt (${value}n) has no JSON form; convert it with Number() or String()`;
    case 'function':
    case 'symbol':
      return `a ${typeof value} has no JSON form`;
    case 'number':
      return Number.isFinite(value) ? null : `${value} has no JSON form`;
    case 'object':
      if (value instanceof Map) return 'a Map has no JSON form (it would be sent as {}); use Object.fromEntries(map)';
      if (value instanceof Set) return 'a Set has no JSON form (it would be sent as {}); use [...set]';
      return null;
    default:
      return null;
  }
}

function strictReplacer(key, value) {
  const problem = notJson(value);
  if (problem) throw new TypeError(problem);
  return value;
}

function encode(what, value) {
  try {
    return JSON.stringify(value, strictReplacer);
  } catch (e) {
    throw new TypeError(`${what} is not JSON-serialisable: ${e.message}`);
  }
}

/** Serialises a call's arguments, naming the argument that cannot be sent. */
function encodeArguments(tool, args) {
  try {
    return JSON.stringify(args, strictReplacer);
  } catch (e) {
    for (const [key, value] of Object.entries(args)) {
      encode(`argument "${key}" of ${tool}`, value);
    }
    throw new TypeError(`the arguments of ${tool} are not JSON-serialisable: ${e.message}`);
  }
}

function checkArguments(tool, args) {
  if (args === undefined || args === null) return {};
  if (typeof args !== 'object' || Array.isArray(args)) {
    throw new TypeError(`${tool} takes one object of arguments, not ${Array.isArray(args) ? 'an array' : typeof args}`);
  }
  return args;
}

class Unavailable {
  constructor(detail) {
    this.detail = detail;
  }
}

/** One connection to the bridge: requests out, answers matched back by id. */
class Bridge {
  #net = null;
  #socket = null;
  #nextId = 0;
  #pending = new Map(); // id -> {resolve}
  #queue = []; // requests waiting for a slot: {id, line, resolve}
  #parts = [];
  #orphan = null;
  #lastError = null;

  /** Sends one request; resolves to the answer object or an Unavailable. */
  async request(id, line) {
    this.#net ??= await import('node:net');
    return new Promise((resolve) => {
      const req = { id, line, resolve };
      if (this.#pending.size < MAX_IN_FLIGHT) this.#send(req);
      else this.#queue.push(req);
    });
  }

  nextId() {
    return ++this.#nextId;
  }

  #connect() {
    const path = process.env.MCP_TOOLS_SOCKET || DEFAULT_SOCKET;
    const socket = this.#net.createConnection({ path });
    this.#parts = [];
    this.#orphan = null;
    this.#lastError = null;
    socket.on('data', (chunk) => this.#data(socket, chunk));
    socket.on('error', (err) => {
      if (socket === this.#socket) this.#lastError = err;
    });
    socket.on('close', () => this.#closed(socket, path));
    this.#socket = socket;
    return socket;
  }

  #send(req) {
    const socket = this.#socket ?? this.#connect();
    this.#pending.set(req.id, req);
    socket.ref();
    socket.write(req.line);
  }

  #data(socket, chunk) {
    if (socket !== this.#socket) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        if (start < chunk.length) this.#parts.push(start === 0 ? chunk : chunk.subarray(start));
        return;
      }
      let line;
      if (this.#parts.length) {
        this.#parts.push(chunk.subarray(start, nl));
        line = Buffer.concat(this.#parts);
        this.#parts = [];
      } else {
        line = chunk.subarray(start, nl);
      }
      start = nl + 1;
      if (!this.#dispatch(socket, line)) return;
    }
  }

  #dispatch(socket, line) {
    const text = line.toString('utf8');
    if (!text.trim()) return true;
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      msg = null;
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) {
      this.#lastError = new Error('the tool bridge sent a message that is not a JSON object');
      socket.destroy();
      return false;
    }
    const req = this.#pending.get(msg.id);
    if (!req) {
      if (msg.error && typeof msg.error === 'object') this.#orphan = msg.error.message;
      return true;
    }
    this.#pending.delete(msg.id);
    while (this.#queue.length && this.#pending.size < MAX_IN_FLIGHT) this.#send(this.#queue.shift());
    if (this.#pending.size === 0) socket.unref();
    req.resolve(msg);
    return true;
  }

  #closed(socket, path) {
    if (socket !== this.#socket) return;
    this.#socket = null;
    const err = this.#lastError;
    let detail;
    if (err?.code === 'ENOENT') {
      detail = `code mode is not enabled on this server (there is no tool bridge at ${path})`;
    } else if (err?.code === 'ECONNREFUSED') {
      detail = `the tool bridge at ${path} is not accepting connections (the execution may be ending)`;
    } else if (err && !('code' in err)) {
      detail = err.message;
    } else if (err && err.code !== 'EPIPE' && err.code !== 'ECONNRESET') {
      detail = `the connection to the tool bridge failed (${err.message})`;
    } else {
      detail = 'the tool bridge closed the connection before answering';
      if (this.#orphan) detail += ` (it said: ${this.#orphan})`;
    }
    const waiting = [...this.#pending.values(), ...this.#queue];
    this.#pending.clear();
    this.#queue = [];
    for (const req of waiting) req.resolve(new Unavailable(detail));
  }
}

function refusal(err, tool, subject) {
  if (!err || typeof err !== 'object') return new ToolError(tool, 'error', String(err), { code: null, subject });
  const data = err.data && typeof err.data === 'object' ? err.data : {};
  const code = Number.isInteger(err.code) ? err.code : null;
  const reason = data.reason || REASONS.get(code) || 'error';
  let detail = err.message || reason;
  if (reason === 'tool_error' && typeof data.text === 'string' && data.text.trim()) detail = data.text;
  if (Array.isArray(data.errors) && data.errors.length) {
    const listed = data.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
    if (!detail.includes(listed[0])) detail = `${detail}: ${listed.join('; ')}`;
  }
  return new ToolError(tool, reason, detail, { code, data, subject });
}

/** The callable tools, indexed by identifier. */
class Catalog {
  constructor(entries) {
    this.entries = entries;
    this.byName = new Map();
    this.servers = new Map(); // server identifier -> Set of real server names
    this.tools = new Map(); // "serverId\0toolId" -> [qualified names]
    for (const entry of entries) {
      const name = entry && typeof entry === 'object' ? entry.name : undefined;
      if (typeof name !== 'string') continue;
      const dot = name.indexOf('.');
      if (dot < 0) continue;
      const sid = identifier(name.slice(0, dot));
      const key = `${sid}\0${identifier(name.slice(dot + 1))}`;
      this.byName.set(name, entry);
      if (!this.servers.has(sid)) this.servers.set(sid, new Set());
      this.servers.get(sid).add(name.slice(0, dot));
      const names = this.tools.get(key) ?? [];
      if (!names.includes(name)) names.push(name);
      this.tools.set(key, names);
    }
  }

  /**
   * The qualified names tools.<server>.<tool> may mean: the real name itself when there is a tool by
   * that name, otherwise every name whose identifiers are these.
   */
  resolve(server, tool) {
    const exact = `${server}.${tool}`;
    if (this.byName.has(exact)) return [exact];
    return this.tools.get(`${identifier(server)}\0${identifier(tool)}`) ?? [];
  }

  toolIds(sid) {
    const ids = [];
    for (const key of this.tools.keys()) {
      const [s, t] = key.split('\0');
      if (s === sid) ids.push(t);
    }
    return ids.sort();
  }

  realServers(sid) {
    return [...(this.servers.get(sid) ?? [])].sort();
  }
}

function distance(a, b) {
  if (Math.abs(a.length - b.length) > 8) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The candidates that look like a misspelling of `wanted`, closest first. */
function closeNames(wanted, candidates, limit = 5) {
  const w = wanted.toLowerCase();
  const scored = [];
  for (const cand of candidates) {
    const c = cand.toLowerCase();
    const d = distance(w, c);
    if (d <= Math.max(1, Math.floor(w.length / 3)) || (w.length >= 3 && (c.includes(w) || w.includes(c)))) {
      scored.push([d, cand]);
    }
  }
  scored.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
  return scored.slice(0, limit).map((s) => s[1]);
}

function some(names, limit = 12) {
  const sorted = [...names].sort();
  const shown = sorted.slice(0, limit).join(', ');
  return sorted.length > limit ? `${shown}, ... (${sorted.length} in all)` : shown;
}

function qualifiedId(name) {
  const dot = name.indexOf('.');
  return dot < 0 ? identifier(name) : `${identifier(name.slice(0, dot))}.${identifier(name.slice(dot + 1))}`;
}

class Client {
  #bridge = new Bridge();
  #catalog = null;
  #catalogAt = 0;
  #fetching = null;

  /** Sends one request and returns its result object; rejects with a ToolError. */
  async request(method, params, { tool = null, subject, site, encoded } = {}) {
    const id = this.#bridge.nextId();
    const body = encoded ?? JSON.stringify(params);
    const line = `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)},"params":${body}}`;
    const size = Buffer.byteLength(line);
    if (size > MAX_LINE) {
      throw atCallSite(new ToolError(tool, 'invalid_request',
        `the request is ${size} bytes; the tool bridge accepts at most ${MAX_LINE} bytes per message`,
        { subject }), site);
    }
    const answer = await this.#bridge.request(id, line + '\n');
    if (answer instanceof Unavailable) throw atCallSite(new ToolError(tool, 'unavailable', answer.detail, { subject }), site);
    if (answer.error !== undefined && answer.error !== null) throw atCallSite(refusal(answer.error, tool, subject), site);
    return answer.result && typeof answer.result === 'object' ? answer.result : {};
  }

  async call(name, args, site) {
    let encoded;
    try {
      encoded = `{"name":${JSON.stringify(name)},"arguments":${encodeArguments(name, args)}}`;
    } catch (e) {
      throw atCallSite(e, site);
    }
    try {
      const result = await this.request('tools/call', null, { tool: name, site, encoded });
      return result.value;
    } catch (e) {
      if (e instanceof ToolError && e.reason === 'unknown_tool') throw await this.#withSuggestions(e, name, site);
      throw e;
    }
  }

  async #withSuggestions(e, name, site) {
    let catalog;
    try {
      catalog = await this.catalog(true);
    } catch {
      return e;
    }
    const wanted = qualifiedId(name);
    let close = [...catalog.byName.keys()].filter((n) => qualifiedId(n) === wanted);
    if (!close.length) close = closeNames(name, catalog.byName.keys());
    if (!close.length) return e;
    return atCallSite(new ToolError(e.tool, e.reason, `${e.detail} (did you mean ${close.join(' or ')}?)`,
      { code: e.code, data: e.data }), site);
  }

  /**
   * The tools/list answer, fetched once; `refresh` fetches again unless it was fetched within the
   * last second (a miss on a server that was restarting gets a second look).
   */
  async catalog(refresh = false) {
    if (this.#catalog && !(refresh && Date.now() - this.#catalogAt > 1000)) return this.#catalog;
    return this.freshCatalog();
  }

  freshCatalog(site) {
    this.#fetching ??= (async () => {
      try {
        const result = await this.request('tools/list', {}, { subject: 'tools.list()', site });
        this.#catalog = new Catalog(Array.isArray(result.tools) ? result.tools : []);
        this.#catalogAt = Date.now();
        return this.#catalog;
      } finally {
        this.#fetching = null;
      }
    })();
    return this.#fetching;
  }

  /** Resolves tools.<server>.<tool> to a qualified name, or throws unknown_tool / ambiguous_name. */
  async resolve(server, tool) {
    const label = `${server}.${tool}`;
    const sid = identifier(server);
    let catalog, names;
    try {
      catalog = await this.catalog();
      names = catalog.resolve(server, tool);
      if (!names.length) {
        catalog = await this.catalog(true);
        names = catalog.resolve(server, tool);
      }
    } catch (e) {
      // a failure to fetch the list is reported as a failure of the call the code made
      if (e instanceof ToolError) throw new ToolError(label, e.reason, e.detail, { code: e.code, data: e.data });
      throw e;
    }
    if (!names.length) {
      if (!catalog.servers.has(sid)) {
        const close = closeNames(sid, catalog.servers.keys());
        const hint = close.length ? `close names: ${close.join(', ')}`
          : catalog.servers.size ? `the servers: ${some(catalog.servers.keys())}` : 'no tool is callable at all';
        throw new ToolError(label, 'unknown_tool', `no server ${server} has a tool this execution may call `
          + `(no such server, or the policy allows none of its tools, or it is down); ${hint}`);
      }
      const available = catalog.toolIds(sid);
      const close = closeNames(identifier(tool), available);
      const hint = close.length ? `close names: ${close.join(', ')}`
        : available.length ? `its tools: ${some(available)}` : 'it has no callable tools';
      const real = catalog.realServers(sid);
      throw new ToolError(label, 'unknown_tool', `${tool} is not among the tools this execution may call `
        + `on ${real.join(' or ')} (no such tool, or the policy does not allow it, or its server is down; `
        + `tools.call("${real[0]}.${tool}", ...) tells which); ${hint}`);
    }
    if (names.length > 1) {
      throw new ToolError(label, 'ambiguous_name', `${label} could be any of ${names.join(', ')}; `
        + `call it by its real name, e.g. tools.call("${names[0]}", ...)`, { code: null });
    }
    return names[0];
  }
}

const client = new Client();

/**
 * Property names that must not look like tools, so that `await tools.x`, JSON.stringify, String()
 * and the like behave; tools by these names are reached with tools.call('server.tool', ...).
 */
const NOT_TOOLS = new Set(['then', 'catch', 'finally', 'toJSON', 'constructor', 'prototype', 'valueOf',
  'toLocaleString']);

function toolFunction(server, tool) {
  const fn = async function (args) {
    const site = callSite(fn);
    let name;
    try {
      name = await client.resolve(server, tool);
      args = checkArguments(name, args);
    } catch (e) {
      throw atCallSite(e, site);
    }
    return client.call(name, args, site);
  };
  Object.defineProperty(fn, 'name', { value: `${server}.${tool}` });
  return fn;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function serverProxy(server) {
  const cache = new Map();
  // console.log inspects a proxy's target, not the proxy: give the target something to show
  const target = Object.create(null);
  Object.defineProperty(target, INSPECT, { value: () => `[tools.${server}: await tools.list() shows the tools]` });
  return new Proxy(target, {
    get(target, prop) {
      if (typeof prop !== 'string' || NOT_TOOLS.has(prop)) return undefined;
      if (prop === 'toString') return () => `[tools.${server}]`;
      let fn = cache.get(prop);
      if (!fn) cache.set(prop, (fn = toolFunction(server, prop)));
      return fn;
    },
    set() {
      return false;
    },
  });
}

const api = {
  /** Calls a tool by its qualified name: await tools.call('server.tool', {...}). */
  async call(name, args) {
    const site = callSite(api.call);
    if (typeof name !== 'string' || name.indexOf('.') <= 0 || name.endsWith('.')) {
      throw atCallSite(new ToolError(String(name), 'invalid_params', 'expected a qualified tool name, server.tool'), site);
    }
    try {
      args = checkArguments(name, args);
    } catch (e) {
      throw atCallSite(e, site);
    }
    return client.call(name, args, site);
  },

  /** Hands a value back to the client: it becomes `result` in the execute_code answer (last call wins). */
  async result(value) {
    const site = callSite(api.result);
    let encoded;
    try {
      encoded = `{"value":${encode('the result value', value === undefined ? null : value)}}`;
    } catch (e) {
      throw atCallSite(e, site);
    }
    await client.request('result/set', null, { subject: 'tools.result()', site, encoded });
  },

  /** The tools this execution may call: [{name, description, inputSchema}]. */
  async list() {
    const catalog = await client.freshCatalog(callSite(api.list));
    return catalog.entries.map((e) => (e && typeof e === 'object' ? { ...e } : e));
  },

  ToolError,

  toString() {
    return '[tools: tools.<server>.<tool>(args), call(), list(), result()]';
  },
};

const servers = new Map();

/**
 * tools.<server>.<tool>(args) → Promise of the tool's value; tools.call / result / list.
 * tools['my-server']['get-sum'] reaches a server or tool by its real name as well.
 */
export const tools = new Proxy(api, {
  get(target, prop) {
    if (typeof prop !== 'string') return undefined;
    if (prop in target) return target[prop];
    if (NOT_TOOLS.has(prop)) return undefined;
    let server = servers.get(prop);
    if (!server) servers.set(prop, (server = serverProxy(prop)));
    return server;
  },
  set() {
    return false;
  },
});

export default tools;
