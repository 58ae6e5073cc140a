"""Runs a SQL script against an in-memory SQLite database (installed at /opt/mcp-sandbox/sql/sqlrun.py).

    sqlrun.py SCRIPT                  run it: load the inputs, then each statement in order
    sqlrun.py --database FILE SCRIPT  the same against the database FILE, kept between runs (a session's)
    sqlrun.py --check SCRIPT          only look for syntax errors; prints a JSON list of problems

With --database (a session's calls), the database outlives the run: each statement commits as it runs, so when
one fails, what ran before it stays. An input ``sales.csv`` is loaded into ``sales`` when that table is missing or
the file changed (size or modification time) since the run that last loaded it, replacing the table; otherwise the
table is kept as the earlier calls left it. What was loaded when is recorded beside the database in
``.FILE.inputs.json``. The ``stdin`` table is replaced when a run has stdin and left alone when it has none.

Before the script runs:
- every input file ``*.csv`` at the top of the work directory becomes a table named after the file
  (``sales.csv`` -> ``sales``; any name works, quote it in SQL when it is not a plain identifier:
  ``"2024 sales"``). The first row names the columns (an empty name becomes ``column<N>``, a repeated one
  gets ``_2``, ``_3``...). The file is UTF-8 (a BOM is dropped), comma-separated, with RFC 4180 double
  quotes. A column whose every non-empty value is an integer is INTEGER (no leading zeros: ``007``
  stays text), else if every one is a number REAL, else TEXT; empty values are NULL in INTEGER and REAL
  columns and '' in TEXT ones. A short row is padded with NULLs; a row longer than the header is an error.
- what the execution received on stdin becomes the table ``stdin(line TEXT)``, one row per line
  (only when stdin is not empty).

Statements are split with sqlite3.complete_statement, so semicolons inside strings, comments and
CREATE TRIGGER bodies are handled. Before any statement runs, all of them are checked for syntax errors,
so a typo on line 20 does not leave lines 1-19 half done. Then each runs in order; the first error
stops the script (exit status 1) with ``main.sql:LINE: Type: message`` on stderr, LINE being the line
the statement starts on.

Output: each statement that returns rows prints a text table (a header, then the rows; numbers
right-aligned; NULL as NULL; a blob as X'..'), tables separated by a blank line. A result of exactly one
row and one column prints just the value, like a scalar. The rows also come back structured, as the
execution's ``result``: {"sqlite": version, "results": [{"line", "columns", "rows", "rowCount",
"truncated"}]}, rows as lists in column order, capped so the whole result stays under the bridge's 1 MiB.
"""

import csv
import json
import math
import os
import re
import sqlite3
import sys

RESULT_BUDGET = 900_000
"""Bytes of JSON the structured rows may take (the bridge takes at most 1 MiB per message)."""
SYNTAX = re.compile(r"syntax error|incomplete input|unrecognized token|unterminated")
INTEGER = re.compile(r"[+-]?(0|[1-9][0-9]*)")


class ScriptError(Exception):
    def __init__(self, line, kind, message):
        super().__init__(message)
        self.line = line
        self.kind = kind
        self.message = message


def statements(script):
    """(line the statement starts on, its text) for each statement of the script."""
    out = []
    start = 0
    i = 0
    n = len(script)
    while i < n:
        j = script.find(";", i)
        if j < 0:
            break
        candidate = script[start:j + 1]
        if sqlite3.complete_statement(candidate):
            if not blank(candidate):
                out.append((line_of(script, start + leading(candidate)), candidate))
            start = j + 1
        i = j + 1
    rest = script[start:]
    if not blank(rest):
        out.append((line_of(script, start + leading(rest)), rest))
    return out


def leading(text):
    """Offset of the first character that is neither white space nor inside a comment."""
    i = 0
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i):
            nl = text.find("\n", i)
            i = n if nl < 0 else nl + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            return i
    return n


def blank(text):
    rest = text[leading(text):].strip()
    return rest == "" or rest == ";" or set(rest) <= {";"}


def line_of(script, offset):
    return script.count("\n", 0, offset) + 1


def syntax_problems(parts):
    """Prepares each statement (as EXPLAIN, which runs nothing) in an empty database: an unknown table
    or column is fine there (an earlier statement may create it); a syntax error is not."""
    db = sqlite3.connect(":memory:")
    problems = []
    for line, text in parts:
        body = text[leading(text):]
        probe = body if re.match(r"(?i)explain\b", body) else "EXPLAIN " + body
        try:
            db.execute(probe)
        except sqlite3.Warning as e:  # more than one statement: only happens when splitting failed
            problems.append((line, "Warning", str(e)))
        except sqlite3.Error as e:
            message = str(e)
            if SYNTAX.search(message):
                problems.append((line, type(e).__name__, message))
    db.close()
    return problems


def column_names(header):
    names = []
    seen = set()
    for i, raw in enumerate(header, 1):
        name = raw.strip() or "column%d" % i
        base, k = name, 2
        while name.lower() in seen:
            name = "%s_%d" % (base, k)
            k += 1
        seen.add(name.lower())
        names.append(name)
    return names


def number_kind(values):
    kind = "INTEGER"
    for v in values:
        if v == "":
            continue
        if kind == "INTEGER" and INTEGER.fullmatch(v.strip()):
            continue
        try:
            f = float(v)
        except ValueError:
            return "TEXT"
        if not math.isfinite(f) and v.strip().lower() not in ("inf", "-inf", "+inf", "infinity", "-infinity"):
            return "TEXT"
        if re.fullmatch(r"[+-]?0[0-9]+", v.strip()):
            return "TEXT"
        kind = "REAL"
    return kind


def convert(value, kind):
    if kind == "TEXT":
        return value
    if value == "":
        return None
    return int(value) if kind == "INTEGER" else float(value)


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def load_csv(db, path, table):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ScriptError(None, "CsvError", "%s is empty: the first row must name the columns" % os.path.basename(path))
    names = column_names(rows[0])
    body = rows[1:]
    for number, row in enumerate(body, 2):
        if len(row) > len(names):
            raise ScriptError(None, "CsvError", "%s row %d has %d values but the header names %d columns"
                              % (os.path.basename(path), number, len(row), len(names)))
    body = [row + [""] * (len(names) - len(row)) for row in body if row]
    kinds = [number_kind([row[c] for row in body]) for c in range(len(names))]
    db.execute("CREATE TABLE %s (%s)" % (quote(table), ", ".join(
        "%s %s" % (quote(n), k) for n, k in zip(names, kinds))))
    db.executemany("INSERT INTO %s VALUES (%s)" % (quote(table), ", ".join("?" * len(names))),
                   ([convert(v, k) for v, k in zip(row, kinds)] for row in body))


def load_inputs(db, workdir, stdin_text, database=None):
    loaded = loaded_inputs(database)
    for name in sorted(os.listdir(workdir)):
        path = os.path.join(workdir, name)
        if name.lower().endswith(".csv") and len(name) > 4 and os.path.isfile(path):
            table = name[:-4]
            st = os.stat(path)
            version = [st.st_size, st.st_mtime_ns]
            if database is not None and loaded.get(name) == version and has_table(db, table):
                continue  # loaded by an earlier call and unchanged since: the table as the calls left it
            try:
                db.execute("BEGIN")
                if database is not None:
                    db.execute("DROP TABLE IF EXISTS %s" % quote(table))
                load_csv(db, path, table)
                db.execute("COMMIT")
            except UnicodeDecodeError as e:
                raise ScriptError(None, "CsvError", "%s is not UTF-8 text (%s)" % (name, e.reason))
            except (csv.Error, sqlite3.Error) as e:
                raise ScriptError(None, "CsvError", "%s: %s" % (name, e))
            finally:
                if db.in_transaction:
                    db.execute("ROLLBACK")
            loaded[name] = version
            if database is not None:
                record_inputs(database, loaded)
    if stdin_text:
        if database is not None:
            db.execute("DROP TABLE IF EXISTS stdin")
        db.execute("CREATE TABLE stdin (line TEXT)")
        db.executemany("INSERT INTO stdin VALUES (?)", ((l,) for l in stdin_text.splitlines()))


def inputs_record(database):
    return os.path.join(os.path.dirname(database), "." + os.path.basename(database) + ".inputs.json")


def loaded_inputs(database):
    """{csv file name: [size, mtime_ns]} as of the runs that loaded them into DATABASE."""
    if database is None:
        return {}
    try:
        with open(inputs_record(database), encoding="utf-8") as f:
            record = json.load(f)
        return record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        return {}


def record_inputs(database, loaded):
    path = inputs_record(database)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(loaded, f)
    os.replace(path + ".tmp", path)


def has_table(db, table):
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
                      (table,)).fetchone() is not None


def shown(value):
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return "X'" + value.hex().upper() + "'"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("Inf" if value > 0 else "-Inf")
    return str(value).replace("\r", "\\r").replace("\n", "\\n")


def table(columns, rows):
    if len(columns) == 1 and len(rows) == 1:
        return shown(rows[0][0]) + "\n"
    cells = [[shown(v) for v in row] for row in rows]
    widths = [len(shown(c)) for c in columns]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    numeric = [bool(rows) and all(isinstance(r[i], (int, float)) or r[i] is None for r in rows)
               for i in range(len(columns))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+\n"

    def line(values, align):
        return "|" + "|".join(" " + (v.rjust(w) if right else v.ljust(w)) + " "
                              for v, w, right in zip(values, widths, align)) + "|\n"

    out = [rule, line([shown(c) for c in columns], [False] * len(columns)), rule]
    out.extend(line(row, numeric) for row in cells)
    if rows:
        out.append(rule)
    else:
        out.append("(0 rows)\n")
    return "".join(out)


def json_value(value):
    if isinstance(value, bytes):
        return "X'" + value.hex().upper() + "'"
    if isinstance(value, float) and not math.isfinite(value):
        return "Inf" if value > 0 else ("-Inf" if value < 0 else "NaN")
    return value


def hand_back(results):
    """Sends the rows as the execution's result, through the code-mode bridge's Python client."""
    sys.path.insert(0, "/opt/mcp-sandbox/python")
    try:
        from mcp_tools import tools, ToolError
    except ImportError:
        return
    try:
        tools.result({"sqlite": sqlite3.sqlite_version, "results": results})
    except (ToolError, TypeError) as e:
        sys.stderr.write("note: the rows could not be handed back as the result: %s\n" % e)


def run(path, database=None):
    with open(path, encoding="utf-8") as f:
        script = f.read()
    name = os.path.basename(path)
    parts = statements(script)
    problems = syntax_problems(parts)
    if problems:
        line, kind, message = problems[0]
        raise ScriptError(line, kind, message)
    stdin_text = "" if sys.stdin is None else sys.stdin.read()
    db = sqlite3.connect(database or ":memory:", isolation_level=None)
    load_inputs(db, os.path.dirname(os.path.abspath(path)), stdin_text, database)
    results = []
    budget = RESULT_BUDGET
    first = True
    try:
        for line, text in parts:
            try:
                cursor = db.execute(text)
                if cursor.description is None:
                    cursor.fetchall()
                    continue
                columns = [d[0] for d in cursor.description]
                rows = cursor.fetchall()
            except sqlite3.Error as e:
                raise ScriptError(line, type(e).__name__, str(e))
            if not first:
                sys.stdout.write("\n")
            first = False
            sys.stdout.write(table(columns, rows))
            sys.stdout.flush()
            kept = []
            for row in rows:
                value = [json_value(v) for v in row]
                size = len(json.dumps(value, ensure_ascii=False)) + 1
                if size > budget:
                    break
                budget -= size
                kept.append(value)
            results.append({"line": line, "columns": columns, "rows": kept, "rowCount": len(rows),
                            "truncated": len(kept) < len(rows)})
    finally:
        if results:
            hand_back(results)
    return name


def main(argv):
    check = argv[:1] == ["--check"]
    path = argv[-1]
    if check:
        with open(path, encoding="utf-8") as f:
            script = f.read()
        problems = syntax_problems(statements(script))
        print(json.dumps([{"line": l, "column": None, "message": "%s: %s" % (k, m)} for l, k, m in problems]))
        return 0
    database = None
    if argv[:1] == ["--database"] and len(argv) == 3:
        database = argv[1]
    try:
        run(path, database)
    except ScriptError as e:
        sys.stdout.flush()
        where = "%s:%d: " % (os.path.basename(path), e.line) if e.line else "%s: " % os.path.basename(path)
        sys.stderr.write("%s%s: %s\n" % (where, e.kind, e.message))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
