#!/usr/bin/env python3
"""The floors check (docs/ARCHITECTURE.md): firebreak's module import graph.

    python3 tests/tools/floors.py [src] [-v] [-e]

Resolves every `crate::`, `super::` and `self::` path of src/ (tests
excluded: what follows `#[cfg(test)]`) to the file that defines it, then
prints the import circles between top-level modules and between files, and
the files below state/ and ui/ that import them. Exits 1 if there is any:
tests/run.sh runs it with the lints. -v lists the top-level arrows, -e
every cross-module file arrow."""
import os, re, sys, collections
root = sys.argv[1] if len(sys.argv) > 1 else 'src'
files = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'):
            p = os.path.join(d, f)
            rel = os.path.relpath(p, root)[:-3]
            parts = rel.split(os.sep)
            if parts[-1] == 'mod': parts = parts[:-1]
            if parts in (['lib'], ['main']): mod = ()
            else: mod = tuple(parts)
            files[mod] = p
def strip_comments(s):
    s = re.sub(r'//[^\n]*', '', s)
    s = re.sub(r'/\*.*?\*/', '', s, flags=re.S)
    s = re.sub(r'"(\\.|[^"\\])*"', '""', s)
    return s
def expand_use(tree):
    # expand use trees like a::{b, c::{d, e}} -> list of paths
    tree = tree.replace(' ', '').replace('\n', '')
    def rec(prefix, t):
        out = []
        # split top-level by commas
        depth = 0; cur = ''; items = []
        for ch in t:
            if ch == '{': depth += 1
            if ch == '}': depth -= 1
            if ch == ',' and depth == 0:
                items.append(cur); cur = ''
            else: cur += ch
        if cur: items.append(cur)
        for it in items:
            if '{' in it:
                i = it.index('{')
                head = it[:i].rstrip(':')
                body = it[i+1:it.rindex('}')]
                out += rec(prefix + ([h for h in head.split('::') if h]), body)
            else:
                it = it.split('as')[0] if '::' not in it.split('as')[-1] else it
                out.append(prefix + [x for x in it.split('::') if x])
        return out
    return rec([], tree)
def resolve(path):
    # longest prefix that is a module file
    for n in range(len(path), -1, -1):
        if tuple(path[:n]) in files: return tuple(path[:n])
    return None
edges = collections.defaultdict(set)
for mod, p in files.items():
    src = strip_comments(open(p).read().split('#[cfg(test)]')[0])
    paths = []
    for m in re.finditer(r'\buse\s+([^;]+);', src):
        paths += expand_use(m.group(1))
    for m in re.finditer(r'\b((?:crate|super|self)(?:::\w+)+)', src):
        paths.append(m.group(1).split('::'))
    for path in paths:
        if not path: continue
        if path[0] == 'crate': absu = path[1:]
        elif path[0] == 'super':
            base = list(mod)
            # file-level module: super of a::b is a
            i = 0
            while i < len(path) and path[i] == 'super':
                base = base[:-1]; i += 1
            absu = base + path[i:]
        elif path[0] == 'self': absu = list(mod) + path[1:]
        elif path[0] == 'firebreak': absu = path[1:]
        else: continue
        t = resolve(absu)
        if t is not None and t != mod and not (len(t) < len(mod) and mod[:len(t)] == t and False):
            edges[mod].add(t)
# top-level graph
top = collections.defaultdict(set)
for a, bs in edges.items():
    for b in bs:
        if a and b and a[0] != b[0]:
            top[a[0]].add(b[0])
def sccs(nodes, g):
    index = {}; low = {}; st = []; on = set(); out = []; c = [0]
    sys.setrecursionlimit(10000)
    def sc(v):
        index[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
        for w in g.get(v, ()):
            if w not in index: sc(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = st.pop(); on.discard(w); comp.append(w)
                if w == v: break
            out.append(comp)
    for v in nodes:
        if v not in index: sc(v)
    return [s for s in out if len(s) > 1]
tops = sorted(set(m[0] for m in files if m))
print('top-level modules:', ' '.join(tops))
tc = sccs(tops, top)
print('top-level import circles:', len(tc))
for s in tc: print('  ', ' <-> '.join(sorted(s)))
# file-level SCCs (ignoring parent->child edges: a mod.rs declaring its children is not an import)
g = collections.defaultdict(set)
for a, bs in edges.items():
    for b in bs:
        if b[:len(a)] == a: continue  # parent uses its own child: fine
        g[a].add(b)
fc = sccs(list(files), g)
print('file-level import circles:', len(fc))
for s in sorted(fc, key=len, reverse=True):
    print('  %d files:' % len(s), ', '.join('/'.join(x) or 'lib' for x in sorted(s)))
if '-v' in sys.argv:
    for a in sorted(top): print(a, '->', sorted(top[a]))
if '-e' in sys.argv:
    for a in sorted(edges):
        for b in sorted(edges[a]):
            if a and b and a[0] != b[0]:
                print('/'.join(a), '->', '/'.join(b))

below = sorted('/'.join(a) for a, bs in edges.items()
               if a and a[0] not in ('state', 'ui', 'app', 'effects')
               and any(b and b[0] in ('state', 'ui') for b in bs))
print('files below state/ and ui/ that import them:', len(below))
for f in below: print('  ', f)
sys.exit(1 if (tc or fc or below) else 0)
