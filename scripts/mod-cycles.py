#!/usr/bin/env python3
"""Lists pairs of modules of one crate that name each other, so the issue's
"no module that imports a module that imports it back" stays checked.

A module names another when its file mentions a path into it: `crate::x`,
`super::x`, `self::x`, or a child module's name (`x::...` after `mod x;`),
in a `use` (groups expanded) or anywhere in the code. A path is credited to
the longest module prefix it has (`crate::routes::AppState` names `routes`,
`crate::routes::files::f` names `routes::files`). Inline `mod tests { ... }`
blocks count as their file (their `super::` is the file itself). Also
lists longer cycles (groups of modules that reach each other). Exits 1 when
it finds any.

    scripts/mod-cycles.py [CRATE_SRC ...]      (default: crates/*/src)
"""

import re
import sys
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_of(src, f):
    """`crate::a::b` for src/a/b.rs or src/a/b/mod.rs, `crate` for lib.rs/main.rs."""
    rel = f.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts in (["lib"], ["main"]):
        parts = []
    return tuple(["crate"] + parts)


def strip_comments_and_strings(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r'r(#*)".*?"\1', '""', text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return text


def expand_use(tree):
    """`a::{b, c::{d, e as f}}` -> [a::b, a::c::d, a::c::e] (as segment lists)."""
    tree = re.sub(r"\s+as\s+" + IDENT, "", tree)
    tree = re.sub(r"\s+", "", tree)
    out = []

    def go(prefix, s):
        depth, start, items = 0, 0, []
        for i, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                items.append(s[start:i])
                start = i + 1
        items.append(s[start:])
        for it in items:
            if not it:
                continue
            if "{" in it:
                head, rest = it.split("{", 1)
                go(prefix + [x for x in head.split("::") if x], rest[: rest.rfind("}")])
            else:
                out.append(prefix + [x for x in it.split("::") if x])

    go([], tree)
    return out


def references(text, children):
    """Paths (segment lists, relative to the file) its code mentions, each
    with the depth of inline modules it sits in."""
    spans = inline_spans(text)

    def inline_depth(pos):
        return sum(1 for a, b in spans if a <= pos < b)

    refs = []
    # `use` trees, with their braces expanded.
    for m in re.finditer(r"\buse\s+([^;]*);", text):
        depth = inline_depth(m.start())
        for segs in expand_use(m.group(1)):
            refs.append((segs, depth))
    # Paths anywhere else (also catches the `use` heads again; harmless).
    heads = ["crate", "super", "self"] + sorted(children)
    pat = re.compile(r"(?<![A-Za-z0-9_:])((?:%s)(?:::%s)+)" % ("|".join(heads), IDENT))
    for m in pat.finditer(text):
        refs.append((m.group(1).split("::"), inline_depth(m.start())))
    return refs


def inline_spans(text):
    """Where inline `mod x { ... }` blocks are: (start, end) offsets."""
    spans = []
    for m in re.finditer(r"\bmod\s+%s\s*\{" % IDENT, text):
        depth, i = 0, m.end() - 1
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        spans.append((m.end(), i))
    return spans


def resolve(me, segs, depth, children, modules):
    """The module (tuple) a path names, or None (another crate, std, ...)."""
    if not segs:
        return None
    if segs[0] == "crate":
        path = ["crate"] + segs[1:]
    elif segs[0] in ("super", "self"):
        base = list(me)
        ups = 0
        rest = list(segs)
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                ups += 1
            rest.pop(0)
        ups -= depth  # `super` inside an inline module is the file itself
        if ups > 0:
            base = base[:-ups] if len(base) > ups else ["crate"]
        path = base + rest
    elif segs[0] in children:
        path = list(me) + segs
    else:
        return None
    for n in range(len(path), 0, -1):
        if tuple(path[:n]) in modules:
            return tuple(path[:n])
    return None


def crate_graph(src):
    files = sorted(src.rglob("*.rs"))
    modules = {module_of(src, f): f for f in files}
    graph = {}
    for mod, f in modules.items():
        text = strip_comments_and_strings(f.read_text(encoding="utf-8"))
        children = {
            c
            for c in re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(%s)\s*;" % IDENT, text, re.M)
            if mod + (c,) in modules
        }
        targets = set()
        for segs, depth in references(text, children):
            t = resolve(mod, segs, depth, children, modules)
            if t is not None and t != mod:
                targets.add(t)
        graph[mod] = targets
    return graph


def name(m):
    return "::".join(m)


def longer_cycles(graph):
    """Strongly connected groups of more than two modules (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 2:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(argv):
    roots = [Path(a) for a in argv] or sorted(Path("crates").glob("*/src"))
    found = 0
    for src in roots:
        graph = crate_graph(src)
        for a, outs in sorted(graph.items()):
            for b in sorted(outs):
                if a < b and a in graph.get(b, ()):
                    print(f"{src}: {name(a)} <-> {name(b)}")
                    found += 1
        for group in longer_cycles(graph):
            print(f"{src}: cycle through {', '.join(name(m) for m in group)}")
            found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
