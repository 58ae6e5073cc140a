// Renders a Mermaid diagram inside the sandbox (installed at /opt/mcp-sandbox/mermaid/render.mjs).
//
//   render.mjs SOURCE FORMAT     draws SOURCE into out/diagram.FORMAT (png or svg) with mermaid-cli's Chromium
//   render.mjs --check SOURCE    parses SOURCE without a browser; prints a JSON list of {line, column, message}
//
// Chromium runs with --no-sandbox: its own sandbox needs user namespaces, which our sandbox (bubblewrap with
// --disable-userns and a seccomp filter denying unshare) does not allow; our sandbox is the boundary. It talks
// to puppeteer over a pipe, not a TCP port (the seccomp filter refuses every socket but AF_UNIX), and it has
// no network at all. When drawing fails, the diagram is parsed again here (Mermaid's parser runs in plain
// Node once DOMPurify, which needs a DOM, is stubbed) to name the line of the user's file: Mermaid numbers
// lines after dropping front matter, directives and comments, so its numbers are mapped back.
import { readFileSync, writeFileSync } from 'node:fs';

// Node's module loader opens a graph's files all at once: Mermaid's (some 1,240 files) needs between 256 and 512
// open at its peak. The launcher gives every run 1024 (SandboxRun.OPEN_FILES). A loader hook that read 32 at a
// time did this before; it runs on a thread of its own and cost every module a round trip to it (0.5 s on the
// host, 6 s under gVisor).

const CLI = '/usr/local/lib/node_modules/@mermaid-js/mermaid-cli';
const MODULES = CLI + '/node_modules/';
const PUPPETEER = '/opt/mcp-sandbox/mermaid/puppeteer.json';

const frontMatterRegex = /^([^\S\n\r]*)-{3}\s*[\n\r](.*?)[\n\r]\1-{3}\s*[\n\r]+/s;
const directiveRegex = /%{2}{\s*(?:(\w+)\s*:|(\w+))\s*(?:(\w+)|((?:(?!}%{2}).|\r?\n)*))?\s*(?:}%{2})?/gi;

/** The text Mermaid's parsers see (mermaid's preprocessDiagram, as far as line numbers go). */
function preprocessed(source) {
  return source.replace(/\r\n?/g, '\n').replace(frontMatterRegex, '').replace(directiveRegex, '')
    .replace(/^\s*%%(?!{)[^\n]+\n?/gm, '').trimStart();
}

/** The 1-based line of the user's file that line {@code n} of the preprocessed text came from. */
export function originalLine(source, n) {
  const original = source.replace(/\r\n?/g, '\n').split('\n');
  const seen = preprocessed(source).split('\n');
  let j = 0;
  for (let i = 0; i < Math.min(n, seen.length); i++) {
    const want = seen[i].trim();
    let k = j;
    while (k < original.length && !(original[k].trim() === want || (want !== '' && original[k].includes(want)))) {
      k++;
    }
    if (k >= original.length) {
      return Math.min(original.length, j + (n - i));
    }
    if (i === n - 1) {
      return k + 1;
    }
    j = k + 1;
  }
  return Math.min(original.length, n);
}

async function loadMermaid() {
  const { default: purify } = await import(MODULES + 'dompurify/dist/purify.es.mjs');
  for (const name of ['addHook', 'removeHook', 'removeHooks', 'removeAllHooks', 'setConfig', 'clearConfig']) {
    purify[name] ??= () => {};
  }
  purify.sanitize ??= (text) => text;
  const { default: mermaid } = await import(MODULES + 'mermaid/dist/mermaid.core.mjs');
  return mermaid;
}

/** What is wrong with the diagram, as [{line, column, message, type}]; empty when it parses. */
export async function problems(source) {
  const mermaid = await loadMermaid();
  try {
    await mermaid.parse(source);
    return [];
  } catch (e) {
    const message = String(e?.message ?? e);
    const type = e?.name === 'UnknownDiagramError' ? 'UnknownDiagramError' : 'ParseError';
    if (e?.name === 'UnknownDiagramError') {
      return [{ line: originalLine(source, 1), column: null, type,
        message: 'no diagram type detected: the first line must name one (flowchart TD, sequenceDiagram, classDiagram, ...)' }];
    }
    const said = message.match(/line (\d+)(?:, column (\d+))?/);
    let line = e?.hash?.loc?.first_line ?? (said ? Number(said[1]) : null);
    let column = null;
    if (line != null) {
      const mapped = originalLine(source, line);
      const seenLine = preprocessed(source).split('\n')[line - 1];
      const originalText = source.replace(/\r\n?/g, '\n').split('\n')[mapped - 1];
      if (seenLine === originalText) {
        column = e?.hash?.loc ? e.hash.loc.first_column + 1 : (said && said[2] ? Number(said[2]) : null);
      }
      line = mapped;
    }
    const lines = message.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    let text = lines.length > 1 && /^(Parse|Lexical) error on line/.test(lines[0])
      ? lines[0].replace(/ on line \d+[:.]?$/, '').replace(/ on line \d+\.?/, '') + ': ' + lines[lines.length - 1]
      : lines.join(' ');
    text = text.replace(/^Parsing failed:\s*/, '').replace(/ on line \d+(?:, column \d+)?/, '');
    return [{ line, column, type, message: text }];
  }
}

async function check(path) {
  const found = await problems(readFileSync(path, 'utf8'));
  process.stdout.write(JSON.stringify(found.map(({ line, column, message }) => ({ line, column, message }))) + '\n');
}

/**
 * The browser as renderMermaid sees it: closing a page never fails. Chromium in single-process mode may drop
 * its connection while the drawn page closes (seen in CI: "Protocol error: Connection closed" from
 * page.close, after the drawing was in hand), which would otherwise lose a finished diagram.
 */
function keepingTheDrawing(browser) {
  return {
    newPage: async () => {
      const page = await browser.newPage();
      const close = page.close.bind(page);
      page.close = () => close().catch(() => {});
      return page;
    },
  };
}

/** Closes the browser, or kills it when it does not close within 2 s (it may already be gone). */
async function shut(browser) {
  await Promise.race([browser.close().catch(() => {}), new Promise((done) => setTimeout(done, 2000))]);
  try {
    browser.process()?.kill('SIGKILL');
  } catch (ignored) {
    // already gone
  }
}

async function draw(puppeteer, renderMermaid, source, format) {
  const browser = await puppeteer.launch(JSON.parse(readFileSync(PUPPETEER, 'utf8')));
  try {
    const { data } = await renderMermaid(keepingTheDrawing(browser), source, format, {
      mermaidConfig: { theme: 'default' },
      backgroundColor: 'white',
      viewport: { width: 800, height: 600, deviceScaleFactor: 2 },
    });
    return data;
  } finally {
    await shut(browser);
  }
}

async function render(path, format) {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const source = readFileSync(path, 'utf8');
  // Chromium writes its profile and caches under these; keep them out of the work directory.
  process.env.XDG_CONFIG_HOME = '/tmp/chromium/config';
  process.env.XDG_CACHE_HOME = '/tmp/chromium/cache';
  const { renderMermaid } = await import(CLI + '/src/index.js');
  const { default: puppeteer } = await import(MODULES + 'puppeteer/lib/esm/puppeteer/puppeteer.js');
  // Single-process Chromium now and then fails on its own (seen in CI on a loaded host: net::ERR_FAILED for
  // mermaid-cli's local page, a pipe dropped as the page closed) with no limit reached. A diagram that parses
  // is therefore drawn once more with a fresh browser before the failure is reported.
  for (let attempt = 1; ; attempt++) {
    try {
      writeFileSync('out/diagram.' + format, await draw(puppeteer, renderMermaid, source, format));
      process.exit(0);
    } catch (e) {
      let found = [];
      try {
        found = await problems(source);
      } catch (ignored) {
        // the parser could not be loaded: report what the renderer said
      }
      if (found.length > 0) {
        const p = found[0];
        process.stderr.write(`${name}:${p.line ?? ''}${p.line == null ? '' : ':'} ${p.type}: ${p.message}\n`);
        process.exit(1);
      }
      if (attempt < 2) {
        continue;
      }
      process.stderr.write(String(e?.stack ?? e) + '\n');
      const first = String(e?.message ?? e).split('\n')[0];
      process.stderr.write(`${name}: RenderError: ${first}\n`);
      process.exit(1);
    }
  }
}

const args = process.argv.slice(2);
if (args[0] === '--check') {
  await check(args[1]);
} else {
  await render(args[0], args[1] ?? 'png');
}
