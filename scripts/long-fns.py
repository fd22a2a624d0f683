#!/usr/bin/env python3
"""Lists Rust functions longer than a limit (default 80 lines, from the `fn`
line to its closing brace), longest first, so the issue's "no function over
80 lines" stays checked. A function is exempt when a comment in the lines
just above it (or on its `fn` line) says "one piece", which is where it says
why it must not be split. Exits 1 when it finds any.

    scripts/long-fns.py [--max N] [PATH ...]     (default PATH: crates/*/src)
"""

import re
import sys
from pathlib import Path

FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?((const|async|unsafe|extern\s+\"[^\"]*\")\s+)*fn\s+(\w+)")


def strip(line, state):
    """The line without comments, strings and char literals (so their braces
    do not count); `state` carries a block comment or a raw/plain string
    across lines."""
    out = []
    i = 0
    while i < len(line):
        if state["block"]:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out)
            state["block"] = False
            i = end + 2
        elif state["string"] is not None:
            close = state["string"]
            if close == '"':
                if line[i] == "\\":
                    i += 2
                    continue
                if line[i] == '"':
                    state["string"] = None
                i += 1
            else:
                end = line.find(close, i)
                if end < 0:
                    return "".join(out)
                state["string"] = None
                i = end + len(close)
        elif line.startswith("//", i):
            break
        elif line.startswith("/*", i):
            state["block"] = True
            i += 2
        else:
            raw = re.match(r'b?r(#*)"', line[i:])
            if raw:
                state["string"] = '"' + raw.group(1)
                i += raw.end()
            elif line[i] == '"':
                state["string"] = '"'
                i += 1
            elif re.match(r"'(\\.|[^\\'])'", line[i:]):
                i += len(re.match(r"'(\\.|[^\\'])'", line[i:]).group(0))
            else:
                out.append(line[i])
                i += 1
    return "".join(out)


def functions(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    state = {"block": False, "string": None}
    code = [strip(l, state) for l in lines]
    for start, text in enumerate(code):
        m = FN.match(text)
        if not m:
            continue
        depth = 0
        opened = False
        for end in range(start, len(code)):
            for ch in code[end]:
                if ch == "{":
                    depth += 1
                    opened = True
                elif ch == "}":
                    depth -= 1
                elif ch == ";" and not opened and depth == 0:
                    break  # a declaration without a body
            else:
                if opened and depth == 0:
                    above = lines[max(0, start - 12) : start + 1]
                    exempt = any("one piece" in l for l in above if "//" in l)
                    yield m.group(5), start + 1, end - start + 1, exempt
                    break
                continue
            break


def main(argv):
    limit = 80
    if argv[:1] == ["--max"]:
        limit, argv = int(argv[1]), argv[2:]
    roots = [Path(a) for a in argv] or sorted(Path("crates").glob("*/src"))
    found = []
    for root in roots:
        files = [root] if root.is_file() else sorted(root.rglob("*.rs"))
        for f in files:
            for name, line, length, exempt in functions(f):
                if length > limit:
                    found.append((length, f"{f}:{line}", name, exempt))
    failing = 0
    for length, where, name, exempt in sorted(found, reverse=True):
        note = "  (one piece, says why)" if exempt else ""
        failing += not exempt
        print(f"{length:4} {where} {name}{note}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
