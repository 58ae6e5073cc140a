// A session's persistent JavaScript (installed at /opt/mcp-sandbox/session/js_kernel.mjs; protocol: agent.py).
//
// The main thread only serves the protocol; the calls run in one worker thread whose global scope is the session's
// state. Each call's file is evaluated there as a REPL script through the inspector (Runtime.evaluate, replMode):
// V8's own console semantics, so top-level var/let/const/function/class persist between calls, a later call may
// declare a let or const again (as when a notebook cell is re-run; within one call a duplicate is still an error),
// and top-level await works. The code's completion value (as in the Node REPL: the value of the last expression
// statement run) is the call's result, as JSON when it converts, else as util.inspect's text.
//
// The file is an ES module in a single-use run, so the kernel rewrites what only a module may say, keeping every
// line where it was: static `import ... from 'x'` becomes a `const` bound to `await import('x')` (imported names
// are then ordinary constants, declared where the import stands), `export` is dropped, `import.meta` and `import()`
// resolve relative to the file as in a module. The script runs in strict mode, like a module.
//
// A call ends when its top-level code has settled; timers and callbacks it left pending run later, in the
// background, and what they print reaches whichever call is running then. An uncaught error prints as Node prints
// it (location, source line, caret, stack, "Node.js v..") and ends the call with status 1; an error thrown later by a
// callback, or a promise rejection nobody handles, is printed the same way and fails the running call, but never
// ends the kernel. process.exit(n) ends the call with status n and keeps the state. SIGINT ends the running call
// with status 130 and keeps the state: a call that is waiting is abandoned (what it awaits may still settle later),
// a busy one (even `while (true) {}`) is stopped by the inspector's Runtime.terminateExecution, which V8 delivers
// between two bytecodes. That is safe for the call's own code, at its top level or after an await; but when what
// runs is a callback Node called with its async bookkeeping open (a timer, an immediate, a nextTick: say
// `setTimeout(() => { for (;;) {} })`; with async_hooks in use, e.g. an AsyncLocalStorage, also code after an
// await), Node finds that bookkeeping broken and ends the process: the kernel dies, the agent says so, and the
// next call starts fresh, as when the host kills a kernel that does not stop. Stdin is the call's: process.stdin and fs.readFileSync(0 or '/dev/stdin') read it.
// Running out of heap ends the worker and with it the kernel (the next call starts fresh).
//
// Known differences from a single-use run: a top-level await that can never settle (nothing left to run) waits
// until the call is interrupted instead of exiting with status 13; an error thrown by a callback that an earlier
// call left behind is shown with the current file's source line (both calls' files have the same name), and so
// is TypeScript's source map applied; process.exit outside any call does nothing.

import fs from 'node:fs';
import inspector from 'node:inspector';
import net from 'node:net';
import { SourceMap } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { asScript } from './js_script_syntax.mjs';

const GLOBALS = '/opt/mcp-sandbox/js/globals.mjs';
const RESULT_LIMIT = 65536;
const MAX_GLOBALS = 2000;
// The interrupt word the threads share: whether the running call is to stop, and who stops it.
const IDLE = 0, REQUESTED = 1, WORKER_STOPPED = 2, TERMINATING = 3;
// How long the worker has to take an interrupt itself (it can whenever the call's code is not running) before it
// is treated as busy and terminated. Generous, because terminating a callback is not always safe (see above);
// the host waits 2 s before it kills the kernel.
const BUSY_AFTER_MS = 500;
// ... and only once the process has used this much CPU since the interrupt: a worker that got no CPU at all (a
// starved machine) has had no chance to take it, and terminating a callback it was about to finish loses the state.
const BUSY_CPU_MS = 250;
// Put before the code on its first line (modules are strict): columns of line 1 are this much too far right.
const STRICT = '"use strict";';

if (isMainThread) {
  serve();
} else {
  await runCalls();
}

// ---- the main thread: the protocol, SIGINT, the worker's life

function serve() {
  const heap = process.execArgv.map((a) => /^--max-old-space-size=(\d+)$/.exec(a)).find(Boolean);
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { interrupt, globals: process.env.MCP_SESSION_JS_GLOBALS || GLOBALS },
    stdin: false,
    resourceLimits: heap ? { maxOldGenerationSizeMb: Number(heap[1]) } : undefined,
  });
  const debug = new inspector.Session();
  debug.connect();
  let workerSession = null;
  let current = null; // the running call: { call }
  // A termination sent to the worker and not yet answered. V8 answers once it has stopped some execution; until
  // then it would stop the next one, which must not be a later call's code, so requests wait for the answer.
  let termination = null; // { id, call, poke }
  let waiting = [];
  debug.on('NodeWorker.attachedToWorker', (m) => { workerSession = m.params.sessionId; });
  // Node hands the worker's messages to this thread in a V8 interrupt, between any two bytecodes of whatever runs
  // here, say in the middle of the timers' priority queue; clearing the poke there left that queue broken and the
  // kernel died of a TypeError in node:internal/timers (exit 1; 5 in 20 interrupts of a busy loop that prints or
  // builds stacks, 0 in 20 since). A promise reaction runs where JavaScript may run other JavaScript.
  debug.on('NodeWorker.receivedMessageFromWorker', (m) => { Promise.resolve(m).then(answered); });
  const answered = (m) => {
    const answer = JSON.parse(m.params.message);
    if (termination === null || answer.id !== termination.id) return;
    clearInterval(termination.poke);
    // When the execution stopped was not the call's own code (it was waiting, and the worker ran something else
    // meanwhile), the call is still open and ends here.
    worker.postMessage({ type: 'interrupted', call: termination.call });
    termination = null;
    const requests = waiting;
    waiting = [];
    requests.forEach((request) => request());
  };
  debug.post('NodeWorker.enable', { waitForDebuggerOnStart: false });

  const reply = (line) => fs.writeSync(4, line + '\n');
  const run = (call, file, stdin) => {
    current = { call };
    worker.postMessage({ type: 'run', call, file, stdin });
  };
  worker.on('message', (m) => {
    if (m.type === 'ready') {
      reply('ready');
      readRequests((call, file, stdin) => {
        if (termination === null) run(call, file, stdin);
        else waiting.push(() => run(call, file, stdin));
      });
    } else if (m.type === 'done') {
      if (current !== null && current.call === m.call) current = null;
      if (m.globals !== undefined) reply('globals ' + m.call + ' ' + JSON.stringify(m.globals));
      reply(m.call + ' ' + m.code + (m.result === undefined ? '' : ' ' + m.result));
    }
  });
  worker.on('error', (e) => {
    fs.writeSync(2, (e && e.code === 'ERR_WORKER_OUT_OF_MEMORY'
      ? 'FATAL ERROR: JavaScript heap out of memory (' + e.message + ')' : String(e && e.stack || e)) + '\n');
    process.exit(e && e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 134 : 1);
  });
  worker.on('exit', (code) => process.exit(code));

  let nextId = 1;
  process.on('SIGINT', () => {
    if (current === null || termination !== null) return;
    const call = current.call;
    Atomics.store(interrupt, 0, REQUESTED);
    worker.postMessage({ type: 'interrupt', call });
    const cpuAtInterrupt = process.cpuUsage();
    const terminateIfBusy = () => {
      if (current === null || current.call !== call || workerSession === null || termination !== null) return;
      if (Atomics.load(interrupt, 0) !== REQUESTED) return;
      const used = process.cpuUsage(cpuAtInterrupt);
      if ((used.user + used.system) / 1000 < BUSY_CPU_MS) {
        setTimeout(terminateIfBusy, 100);
        return;
      }
      if (Atomics.compareExchange(interrupt, 0, REQUESTED, TERMINATING) !== REQUESTED) return;
      // The worker did not take the interrupt itself: its code is running (or it is slow). Stop whatever runs;
      // harmless messages make sure something does, so the answer comes even if the worker was idle after all.
      termination = { id: nextId++, call, poke: setInterval(() => worker.postMessage({ type: 'poke' }), 50) };
      debug.post('NodeWorker.sendMessageToWorker', {
        sessionId: workerSession,
        message: JSON.stringify({ id: termination.id, method: 'Runtime.terminateExecution' }),
      });
    };
    setTimeout(terminateIfBusy, BUSY_AFTER_MS);
  });
}

function readRequests(onRequest) {
  // A pipe handle (epoll), not a file stream: a blocking read in libuv's thread pool would keep process.exit
  // waiting for the next request forever.
  const requests = new net.Socket({ fd: 3, readable: true, writable: false });
  let buffer = '';
  requests.on('data', (chunk) => {
    buffer += chunk.toString('utf8');
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const [call, file, stdin] = buffer.slice(0, newline).split(' ');
      buffer = buffer.slice(newline + 1);
      onRequest(Number(call), file, stdin);
    }
  });
  requests.on('end', () => process.exit(0));
}

// ---- the worker: the session's JavaScript

async function runCalls() {
  const util = await import('node:util');
  const vm = await import('node:vm');
  const { interrupt } = workerData;
  const session = new inspector.Session();
  session.connect();
  const stopper = new inspector.Session(); // terminates this thread's own execution for process.exit
  stopper.connect();
  const held = Symbol.for('mcp-sandbox.kernel.held');

  syncOutput(process.stdout, 1);
  syncOutput(process.stderr, 2);
  try {
    await import(workerData.globals); // require, tools, ToolError: what the preload gives a single-use run
  } catch (e) {
    if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  }

  let current = null; // { call, file, source, failed, exitCode }
  let stdinPath = '/dev/null';
  const readFileSync = fs.readFileSync;
  fs.readFileSync = function (path, options) {
    return readFileSync.call(this, path === 0 || path === '/dev/stdin' ? stdinPath : path, options);
  };
  let stdinStream = null;
  Object.defineProperty(process, 'stdin', {
    configurable: true,
    get: () => (stdinStream ??= fs.createReadStream(stdinPath)),
  });

  process.exit = (code) => {
    const call = current;
    if (call === null) return;
    call.exitCode = code === undefined ? (process.exitCode ?? 0) : Number(code) & 0xff;
    // Stops the code that called exit at once; if that was a callback, the call itself ends right after.
    stopper.post('Runtime.terminateExecution', () => setImmediate(() => finish(call, call.exitCode)));
  };
  process.on('uncaughtException', (error) => report(error));
  process.on('unhandledRejection', (error) => report(error));

  function report(error, details) {
    printUncaught(error, details, current);
    if (current !== null) current.failed = true;
  }

  function finish(call, code, result) {
    if (current !== call) return;
    current = null;
    Atomics.store(interrupt, 0, IDLE);
    parentPort.postMessage({ type: 'done', call: call.call, code, result, globals: globalNames() });
  }

  // The top-level names the calls have left so far (let/const/class, and var/function on the global object): the
  // server declares them to TypeScript's type checker, which sees one call's file at a time.
  function globalNames() {
    let lexical = [];
    try {
      session.post('Runtime.globalLexicalScopeNames', {}, (err, answer) => { if (!err) lexical = answer.names; });
    } catch {
      // the inspector is unusable only while the thread is being terminated; the names of the last call stay
    }
    const names = new Set(lexical);
    for (const name of Object.getOwnPropertyNames(globalThis)) if (!before.has(name)) names.add(name);
    return [...names].filter((name) => /^[A-Za-z_$][\w$]{0,127}$/.test(name)).slice(0, MAX_GLOBALS);
  }

  const emitWarning = process.emitWarning;
  process.emitWarning = function (warning, ...rest) {
    // The loader constant the kernel imports with is flagged experimental in Node 20; the user's code never used it.
    if (String(warning?.message ?? warning).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    return emitWarning.call(this, warning, ...rest);
  };
  const importers = new Map();
  function importerFor(file) {
    if (!importers.has(file)) {
      const loader = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
      importers.set(file, loader === undefined ? (s) => import(s)
        : new vm.Script('(specifier, options) => import(specifier, options)',
          { filename: file, importModuleDynamically: loader }).runInThisContext());
    }
    return importers.get(file);
  }
  let meta = null;
  Object.defineProperties(globalThis, {
    __mcpImport: { value: (specifier, options) => importerFor(current?.file ?? '/workspace/main.mjs')(specifier, options) },
    __mcpImportMeta: { get: () => meta },
  });
  const before = new Set(Object.getOwnPropertyNames(globalThis)); // the kernel's own, not the calls'

  function localValue(remote) {
    // The value an inspector RemoteObject stands for, in this thread.
    if (remote.objectId === undefined) {
      if (remote.unserializableValue !== undefined) {
        const u = remote.unserializableValue;
        return u.endsWith('n') ? BigInt(u.slice(0, -1)) : Number(u);
      }
      return remote.value;
    }
    let value;
    session.post('Runtime.callFunctionOn', {
      objectId: remote.objectId, functionDeclaration: `function () { globalThis[Symbol.for('mcp-sandbox.kernel.held')] = this; }`,
    }, () => {});
    value = globalThis[held];
    delete globalThis[held];
    return value;
  }

  function run(call) {
    const file = call.file;
    let source;
    try {
      source = readFileSync(file, 'utf8');
    } catch (e) {
      process.stderr.write(util.inspect(e) + '\n');
      finish(call, 1);
      return;
    }
    call.source = source;
    call.map = sourceMap(file, source);
    const url = pathToFileURL(file).href;
    meta = Object.freeze({
      url, filename: file, dirname: file.slice(0, file.lastIndexOf('/')) || '/',
      resolve: (specifier) => new URL(specifier, url).href,
    });
    // A hashbang is allowed only at the very start of a module; here it would follow the directive.
    const body = source.startsWith('#!') ? '//' + source.slice(2) : source;
    const expression = STRICT + asScript(body) + '\n//# sourceURL=' + url;
    const options = { expression, replMode: true, awaitPromise: true, objectGroup: 'call' };
    // The answer is handled outside the inspector's dispatch, where reading the values it names is safe.
    session.post('Runtime.evaluate', options, (err, answer) => setImmediate(() => settle(call, err, answer)));
  }

  function settle(call, err, answer) {
    try {
      settleCall(call, err, answer);
    } finally {
      session.post('Runtime.releaseObjectGroup', { objectGroup: 'call' });
    }
  }

  function settleCall(call, err, answer) {
    if (current !== call) return; // interrupted while waiting: the call has ended already
    if (err) { // the code was terminated: by process.exit or by an interrupt
      if (call.exitCode === undefined) {
        printInterrupted();
        finish(call, 130);
      } else {
        finish(call, call.exitCode);
      }
      return;
    }
    if (answer.exceptionDetails) {
      const details = answer.exceptionDetails;
      report(details.exception ? localValue(details.exception) : new Error(details.text), details);
      finish(call, 1);
      return;
    }
    finish(call, call.failed ? 1 : 0, resultText(localValue(answer.result)));
  }

  function printInterrupted() {
    process.stderr.write('Error [ERR_SCRIPT_EXECUTION_INTERRUPTED]: Script execution was interrupted by `SIGINT`\n');
  }

  function resultText(value) {
    if (value === undefined || value === null) return undefined;
    let text;
    try {
      text = JSON.stringify(value);
    } catch {
      text = undefined;
    }
    if (text === undefined || typeof value === 'function' || typeof value === 'symbol') {
      text = JSON.stringify(util.inspect(value));
    }
    if (text.length > RESULT_LIMIT) text = JSON.stringify(util.inspect(value).slice(0, RESULT_LIMIT) + '... (cut)');
    return text;
  }

  parentPort.on('message', (m) => {
    if (m.type === 'run') {
      stdinPath = m.stdin === '-' ? '/dev/null' : m.stdin;
      stdinStream = null;
      current = { call: m.call, file: m.file, failed: false, exitCode: undefined };
      run(current);
    } else if (m.type === 'interrupt' && current?.call === m.call) {
      // Taken here only when the call's code is not running (it awaits something): nothing to stop but the wait.
      if (Atomics.compareExchange(interrupt, 0, REQUESTED, WORKER_STOPPED) === REQUESTED) {
        printInterrupted();
        finish(current, 130);
      }
    } else if (m.type === 'interrupted' && current?.call === m.call) {
      printInterrupted();
      finish(current, current.exitCode ?? 130);
    }
  });
  parentPort.postMessage({ type: 'ready' });

  function printUncaught(error, details, call) {
    const isError = error instanceof Error;
    if (isError && typeof error.stack === 'string') error.stack = trimmed(error.stack, call);
    const where = location(isError ? error.stack : '', details, call);
    let text = '';
    if (where !== null) text += where.url + ':' + where.line + '\n' + where.source + '\n' + ' '.repeat(where.column) + '^\n\n';
    text += isError ? util.inspect(error) : (typeof error === 'string' ? error : util.inspect(error))
      + '\n(Use `node --trace-uncaught ...` to show where the exception was thrown)';
    text += '\n\nNode.js ' + process.version + '\n';
    process.stderr.write(text);
  }

  function location(stack, details, call) {
    let url, line, column;
    const frame = /\(?((?:file:\/\/|\/)[^\s()]*?):(\d+):(\d+)\)?$/m.exec(stack);
    if (frame) {
      [url, line, column] = [frame[1], Number(frame[2]), Number(frame[3]) - 1];
    } else if (details && details.url) {
      [url, line, column] = [details.url, details.lineNumber + 1, details.columnNumber];
      if (line === 1 && call !== null && url === pathToFileURL(call.file).href) column -= STRICT.length;
    } else {
      return null;
    }
    let source;
    try {
      const path = url.startsWith('file:') ? new URL(url).pathname : url;
      source = (call !== null && path === call.file ? call.source : readFileSync(path, 'utf8')).split('\n')[line - 1];
    } catch {
      return null;
    }
    return source === undefined ? null : { url, line, column: Math.max(0, column), source };
  }
}

/** Node's stack below the user's code (the inspector call that ran it, the message loop) is the kernel's. */
function trimmed(stack, call) {
  const lines = stack.split('\n');
  const at = lines.findIndex((l) => /^\s+at (?:Session\.post|.*\(node:inspector:)/.test(l));
  let text = (at < 0 ? lines : lines.slice(0, at)).join('\n');
  if (call !== null) {
    const url = pathToFileURL(call.file).href;
    text = text.split(url + ':').map((part, k) => {
      const position = k === 0 ? null : /^(\d+):(\d+)/.exec(part);
      if (position === null) return (k === 0 ? '' : url + ':') + part;
      let [line, column] = [Number(position[1]), Number(position[2])];
      if (line === 1) column = Math.max(1, column - STRICT.length);
      let where = url + ':' + line + ':' + column;
      const entry = call.map?.map.findEntry(line - 1, column - 1);
      if (entry?.originalSource !== undefined) {
        where = new URL(entry.originalSource, call.map.url).href + ':' + (entry.originalLine + 1) + ':'
          + (entry.originalColumn + 1);
      }
      return where + part.slice(position[0].length);
    }).join('');
  }
  return text;
}

/** The compiler's source map of a call's file (TypeScript's), so its stack traces name the source's lines. */
function sourceMap(file, source) {
  const link = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(source);
  if (link === null || link[1].startsWith('data:')) return null;
  try {
    const url = new URL(link[1], pathToFileURL(file));
    return { url, map: new SourceMap(JSON.parse(fs.readFileSync(url, 'utf8'))) };
  } catch {
    return null;
  }
}

/** Makes a worker's stdout or stderr write straight to the process's fd, so output precedes the call's reply. */
function syncOutput(stream, fd) {
  stream._writev = null;
  stream._write = (chunk, encoding, callback) => {
    try {
      fs.writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
      callback();
    } catch (e) {
      callback(e);
    }
  };
}
