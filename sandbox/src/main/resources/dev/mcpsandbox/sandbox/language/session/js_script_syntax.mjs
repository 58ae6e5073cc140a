// Module syntax as script syntax, line for line: what a session's JavaScript kernel (js_kernel.mjs, beside this
// file) does to a call's file, an ES module in a single-use run, before evaluating it as a REPL script.

/**
 * Rewrites what only an ES module may contain so the code runs as a REPL script. A small scanner skips strings,
 * template literals, comments and regular expressions, so `import` inside them is left alone.
 */
export function asScript(source) {
  let out = '';
  let i = 0;
  let last = ''; // the last significant token's kind: '' (start), 'word', 'value' or the punctuator
  let lastWord = '';
  const templates = []; // brace depths at which template literals resume
  let depth = 0;
  const n = source.length;
  const startsStatement = () => last === '' || last === ';' || last === '}' || last === '{';
  while (i < n) {
    const c = source[i];
    if (c === '/' && source[i + 1] === '/') {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      out += source.slice(i, stop);
      i = stop;
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += source.slice(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      const stop = skipString(source, i);
      out += source.slice(i, stop);
      i = stop;
      last = 'value';
    } else if (c === '`' || (c === '}' && templates.length && templates[templates.length - 1] === depth)) {
      if (c === '}') templates.pop();
      const [stop, opened] = skipTemplate(source, i + 1);
      out += source.slice(i, stop);
      i = stop;
      if (opened) templates.push(depth); else last = 'value';
    } else if (c === '/' && regexAllowed(last, lastWord)) {
      const stop = skipRegex(source, i);
      out += source.slice(i, stop);
      i = stop;
      last = 'value';
    } else if (/[A-Za-z_$\u0080-\uffff]/.test(c)) {
      let stop = i + 1;
      while (stop < n && /[\w$\u0080-\uffff]/.test(source[stop])) stop++;
      const word = source.slice(i, stop);
      const afterDot = last === '.';
      if (!afterDot && word === 'import') {
        const next = skipSpace(source, stop);
        if (source[next] === '(') {
          out += '__mcpImport';
          i = stop;
          last = 'word'; lastWord = 'import';
          continue;
        }
        if (source[next] === '.' && source.startsWith('meta', skipSpace(source, next + 1))) {
          const metaEnd = skipSpace(source, next + 1) + 4;
          out += '__mcpImportMeta' + keepLines(source.slice(stop, metaEnd));
          i = metaEnd;
          last = 'value';
          continue;
        }
        if (startsStatement()) {
          const declaration = importDeclaration(source, stop);
          if (declaration !== null) {
            out += declaration.text;
            i = declaration.end;
            last = ';';
            continue;
          }
        }
      }
      if (!afterDot && word === 'export' && startsStatement()) {
        // `export` before a declaration is dropped (blanked, so columns stay); a list of names exports nothing here.
        const next = skipSpace(source, stop);
        const list = /^(?:\*(?:\s*as\s+[\w$]+)?|\{[^}]*\})(?:\s*from\s*(["'])(?:\\.|(?!\1)[^\\\n])*\1)?[ \t]*;?/
          .exec(source.slice(next));
        let end = list ? next + list[0].length : stop;
        if (!list && /^default\b/.test(source.slice(next))) end = next + 7;
        out += source.slice(i, end).replace(/[^\n]/g, ' ');
        i = end;
        if (list) last = ';';
        continue;
      }
      out += word;
      i = stop;
      last = 'word';
      lastWord = word;
    } else if (/[0-9]/.test(c)) {
      let stop = i + 1;
      while (stop < n && /[\w.]/.test(source[stop])) stop++;
      out += source.slice(i, stop);
      i = stop;
      last = 'value';
    } else if (/\s/.test(c)) {
      out += c;
      i++;
    } else {
      if (c === '{') depth++;
      if (c === '}') depth--;
      out += c;
      i++;
      last = c === ')' || c === ']' ? 'value' : c;
    }
  }
  return out;
}

function skipSpace(s, i) {
  for (;;) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (s.startsWith('//', i)) {
      const end = s.indexOf('\n', i);
      i = end < 0 ? s.length : end;
    } else if (s.startsWith('/*', i)) {
      const end = s.indexOf('*/', i + 2);
      i = end < 0 ? s.length : end + 2;
    } else {
      return i;
    }
  }
}

function skipString(s, i) {
  const quote = s[i];
  for (i++; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === quote || s[i] === '\n') return i + 1;
  }
  return i;
}

/** From just inside a template literal: [where it ends or a `${` opens, whether a `${` opened]. */
function skipTemplate(s, i) {
  for (; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '`') return [i + 1, false];
    else if (s[i] === '$' && s[i + 1] === '{') return [i + 2, true];
  }
  return [i, false];
}

function skipRegex(s, i) {
  let inClass = false;
  for (i++; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) break;
    else if (c === '\n') return i;
  }
  i++;
  while (i < s.length && /[a-z]/.test(s[i])) i++;
  return i;
}

const KEYWORDS_BEFORE_EXPRESSION = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void',
  'throw', 'case', 'do', 'else', 'yield', 'await']);

function regexAllowed(last, lastWord) {
  if (last === 'value') return false;
  if (last === 'word') return KEYWORDS_BEFORE_EXPRESSION.has(lastWord);
  return true;
}

/** Newlines of the text only: what replaces a rewritten span so later lines keep their numbers. */
function keepLines(text) {
  return text.replace(/[^\n]/g, '');
}

/** `import` at `end` of the keyword: the declaration up to its end rewritten as a `const`, or null if not one. */
function importDeclaration(s, i) {
  const re = /^([\s\S]*?)\bfrom\s*(["'])((?:\\.|(?!\2)[^\\\n])*)\2/y;
  let clause = null, quote, specifier, end;
  const direct = /^\s*(["'])((?:\\.|(?!\1)[^\\\n])*)\1/.exec(s.slice(i));
  if (direct) {
    [quote, specifier] = [direct[1], direct[2]];
    end = i + direct[0].length;
  } else {
    const m = re.exec(s.slice(i));
    if (!m || /[;"'`]/.test(m[1])) return null;
    [clause, quote, specifier] = [m[1], m[2], m[3]];
    end = i + m[0].length;
  }
  let options = '';
  const attributes = /^\s*(?:with|assert)\s*(\{[^}]*\})/.exec(s.slice(end));
  if (attributes) {
    options = ', { with: ' + attributes[1].replace(/\n/g, ' ') + ' }';
    end += attributes[0].length;
  }
  const semicolon = /^[ \t]*;/.exec(s.slice(end));
  if (semicolon) end += semicolon[0].length;
  const load = `await __mcpImport(${quote}${specifier}${quote}${options})`;
  const lines = keepLines(s.slice(i, end));
  if (clause === null) return { text: load + ';' + lines, end };
  const bindings = importBindings(clause.trim());
  if (bindings === null) return null;
  return { text: bindings(load) + lines, end };
}

/** What an import clause binds, as a function of the expression that loads the module. */
function importBindings(clause) {
  const name = '[A-Za-z_$\\u0080-\\uffff][\\w$\\u0080-\\uffff]*';
  let m;
  if ((m = new RegExp(`^(${name})$`).exec(clause))) return (load) => `const ${m[1]} = (${load}).default;`;
  if ((m = new RegExp(`^\\*\\s*as\\s+(${name})$`).exec(clause))) return (load) => `const ${m[1]} = ${load};`;
  if ((m = new RegExp(`^(${name})\\s*,\\s*\\*\\s*as\\s+(${name})$`).exec(clause))) {
    return (load) => `const ${m[2]} = ${load}, ${m[1]} = ${m[2]}.default;`;
  }
  if ((m = new RegExp(`^(?:(${name})\\s*,\\s*)?\\{([^}]*)\\}$`).exec(clause))) {
    const parts = [];
    if (m[1]) parts.push('default: ' + m[1]);
    for (const item of m[2].split(',').map((x) => x.trim()).filter(Boolean)) {
      const named = new RegExp(`^(${name}|"[^"]*"|'[^']*')(?:\\s+as\\s+(${name}))?$`).exec(item.replace(/\s+/g, ' '));
      if (!named) return null;
      parts.push(named[2] ? `${named[1]}: ${named[2]}` : named[1]);
    }
    return (load) => `const { ${parts.join(', ')} } = ${load};`;
  }
  return null;
}
