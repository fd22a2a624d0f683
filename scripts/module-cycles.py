#!/usr/bin/env python3
"""Pairs of modules in a crate's src that use each other. A module is a file
(mod.rs / lib.rs name their directory's module). Counts `crate::a::b`,
`crate::{a, b::c}`, `super::x` and `self::x` paths outside comments."""
import re, sys, os
root = sys.argv[1]
def modpath(f):
    rel = os.path.relpath(f, root)[:-3].split(os.sep)
    if rel[-1] in ('mod', 'lib', 'main'): rel = rel[:-1]
    return tuple(rel)
mods = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'): mods[modpath(os.path.join(d, f))] = os.path.join(d, f)
def resolve(path):
    # longest prefix of path that is a module; items of a module resolve to it
    for i in range(len(path), -1, -1):
        if tuple(path[:i]) in mods: return tuple(path[:i])
def expand(s):
    # a::{b, c::{d}} -> [a::b, a::c::d]
    s = s.replace(' ', '').replace('\n', '')
    m = re.match(r'^(.*?)\{(.*)\}$', s)
    if not m: return [s]
    pre, inner = m.group(1), m.group(2)
    parts, depth, cur = [], 0, ''
    for ch in inner:
        if ch == ',' and depth == 0: parts.append(cur); cur = ''; continue
        depth += ch == '{'; depth -= ch == '}'; cur += ch
    if cur: parts.append(cur)
    return [x for p in parts for x in expand(pre + p)]
edges = set()
for m, f in mods.items():
    src = re.sub(r'//[^\n]*', '', open(f).read())
    # inside an inline `mod tests { ... }`, `super` is this file's module
    t = re.search(r'\bmod\s+\w+\s*\{', src)
    if t: src = src[:t.end()] + src[t.end():].replace('super::', 'self::')
    # nested `mod tests` blocks are part of the file; fine for our purposes
    paths = []
    for u in re.finditer(r'\buse\s+([^;]+);', src): paths += expand(u.group(1))
    paths += re.findall(r'\b(?:crate|super|self)(?:::\w+)+', src)
    # a child module named by a relative path (`store::Store`, `mod store;`)
    for p in re.findall(r'(?<![:\w])(\w+)::\w+', src) + re.findall(r'\bmod\s+(\w+)\s*;', src):
        if m + (p,) in mods: paths.append('self::' + p)
    for p in paths:
        toks = [t for t in re.split(r'::', p) if t]
        toks = [re.sub(r'\bas\b.*', '', t) for t in toks]
        if not toks: continue
        if toks[0] == 'crate': base = []
        elif toks[0] == 'super': base = list(m[:-1]); 
        elif toks[0] == 'self': base = list(m)
        else: continue
        rest = toks[1:]
        while rest and rest[0] == 'super': base = base[:-1]; rest = rest[1:]
        target = resolve(base + rest)
        if target is not None and target != m:
            edges.add((m, target))
name = lambda t: '::'.join(t) or 'crate'
found = False
for a, b in sorted(edges):
    if (b, a) in edges and a < b:
        found = True; print(f"cycle: {name(a)} <-> {name(b)}")
if '-v' in sys.argv:
    for a, b in sorted(edges): print(f"  {name(a)} -> {name(b)}")
if not found: print("no module pair imports each other")
