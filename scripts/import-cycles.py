#!/usr/bin/env python3
"""Fails when a crate's source files import each other in a circle.

For each crate given (default: core, verify, cli), every `crate::`,
`super::` and `self::` path in a source file is resolved to the file that
defines the module it names (the longest prefix that is a module file), and
an edge is drawn from the importing file to that file. A strongly connected
set of more than one file is a cycle: one of its files imports, directly or
through others, a file that imports it back. Test modules (`#[cfg(test)]`
modules, and their files) are left out: a test may look at anything.

Usage: scripts/import-cycles.py [CRATE_DIR ...]
       scripts/import-cycles.py --self-test   (finds a planted cycle)
Exit 0 when no crate has a cycle, 1 otherwise (each cycle printed with the
imports that tie it).
"""

import os
import re
import sys

DEFAULT_CRATES = ["arx-migrate-core", "arx-migrate-verify", "arx-migrate-cli"]

LINE_COMMENT = re.compile(r"//[^\n]*")
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
STRING = re.compile(r'r#*"(?:.|\n)*?"#*|"(?:\\.|[^"\\])*"')
PATH = re.compile(r"\b(crate|super|self)((?:::(?:[A-Za-z_][A-Za-z0-9_]*|\{))+)")
TEST_MOD_DECL = re.compile(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;")
TEST_MOD_INLINE = re.compile(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{")
PATH_ATTR = re.compile(r'#\[path\s*=\s*"([^"]+)"\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;')


def strip(text):
    """Comments and string literals out, so that neither adds an import."""
    text = BLOCK_COMMENT.sub(" ", text)
    text = STRING.sub('""', text)
    return LINE_COMMENT.sub("", text)


def without_inline_test_modules(text):
    """Drops `#[cfg(test)] mod name { ... }` blocks, braces counted."""
    while True:
        match = TEST_MOD_INLINE.search(text)
        if not match:
            return text
        depth, end = 1, match.end()
        while end < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        text = text[: match.start()] + text[end:]


def module_files(src):
    """Maps each module path (a tuple) to its file, from the file layout."""
    modules = {}
    for root, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(root, name)
            parts = os.path.relpath(path, src)[:-3].split(os.sep)
            if parts in (["lib"], ["main"]):
                parts = []
            elif parts[-1] == "mod":
                parts = parts[:-1]
            modules[tuple(parts)] = path
    return modules


def test_files(modules):
    """Files that are only compiled for tests (declared under `#[cfg(test)]`)."""
    excluded = set()
    for module, path in modules.items():
        with open(path) as f:
            text = strip(f.read())
        for name in TEST_MOD_DECL.findall(text):
            child = module + (name,)
            excluded.update(p for m, p in modules.items() if m[: len(child)] == child)
    return excluded


def expand(rest):
    """`::a::{b, c::d}` tails are expanded by the caller; here a tail is
    split into names, stopping at a brace group."""
    names = []
    for part in rest.split("::")[1:]:
        if part == "{":
            break
        names.append(part)
    return names


def children(module, modules):
    """The names of a module's own submodules."""
    return {m[-1] for m in modules if len(m) == len(module) + 1 and m[: len(module)] == module}


def imports(module, path, text, modules):
    """The module paths a file names."""
    own = module
    targets = []
    for child in children(module, modules):
        for match in re.finditer(r"(?<![:\w])" + child + r"((?:::(?:[A-Za-z_][A-Za-z0-9_]*|\{))+)", text):
            rest = match.group(1)
            if rest.endswith("{"):
                for tail in group_paths(text, match.end() - 1):
                    targets.append(own + (child,) + tuple(expand(rest)) + tuple(tail))
            else:
                targets.append(own + (child,) + tuple(expand(rest)))
    for match in PATH.finditer(text):
        root, rest = match.group(1), match.group(2)
        names = expand(rest)
        if root == "crate":
            base = ()
        elif root == "self":
            base = own
        else:
            leading = 1
            while leading <= len(names) and names[leading - 1] == "super":
                leading += 1
            names = names[leading - 1 :]
            base = own[: max(len(own) - leading, 0)]
        brace = rest.endswith("{") or "::{" in rest
        if brace:
            start = match.end() - 1
            for tail in group_paths(text, start):
                if tail and tail[0] == "self":
                    tail = tail[1:]
                targets.append(base + tuple(names) + tuple(tail))
        else:
            targets.append(base + tuple(names))
    found = set()
    for target in targets:
        resolved = resolve(target, modules)
        if resolved is not None:
            found.add(resolved)
    found.discard(module)
    return found


REEXPORTS = {}


def reexports(module, modules):
    """Names a module file re-exports with `pub use`, each mapped to the
    path it comes from (made absolute)."""
    if module in REEXPORTS:
        return REEXPORTS[module]
    REEXPORTS[module] = {}
    with open(modules[module]) as f:
        text = strip(f.read())
    names = {}
    for match in re.finditer(r"pub(?:\([^)]*\))?\s+use\s+([^;]+);", text):
        spec = match.group(1)
        for path in use_paths(spec):
            alias = path[-1]
            if " as " in alias:
                original, alias = [p.strip() for p in alias.split(" as ")]
                path = path[:-1] + [original]
            absolute = absolute_path(module, path, modules)
            if absolute is not None and alias not in ("*", "self"):
                names[alias] = absolute
    REEXPORTS[module] = names
    return names


def use_paths(spec):
    """The paths of a `use` tree, braces expanded (`a::{b, c::d}`)."""
    spec = spec.strip()
    brace = spec.find("{")
    if brace == -1:
        return [[p.strip() for p in spec.split("::")]]
    head = [p.strip() for p in spec[:brace].split("::") if p.strip()]
    return [head + tail for tail in group_paths(spec, brace)]


def group_paths(text, start):
    """The paths inside a `{...}` group that starts at text[start] == '{'."""
    depth, end = 0, start
    while end < len(text):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        end += 1
        if depth == 0:
            break
    inner, items, depth, current = text[start + 1 : end - 1], [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        current += ch
    items.append(current)
    out = []
    for item in items:
        if item.strip():
            out.extend(use_paths(item))
    return out


def absolute_path(module, path, modules):
    """A `use` path as a path from the crate root, or None (another crate)."""
    if not path:
        return None
    if path[0] == "crate":
        return tuple(path[1:])
    if path[0] == "self":
        return module + tuple(path[1:])
    if path[0] == "super":
        base = module
        while path and path[0] == "super":
            base = base[:-1]
            path = path[1:]
        return base + tuple(path)
    if path[0] in children(module, modules):
        return module + tuple(path)
    return None


def resolve(target, modules, depth=0):
    """The file a path's item is defined in: the longest module prefix,
    followed through that module's `pub use` re-exports."""
    for cut in range(len(target), -1, -1):
        candidate = target[:cut]
        if candidate in modules:
            if cut < len(target) and depth < 20:
                again = reexports(candidate, modules).get(target[cut])
                if again is not None:
                    deeper = resolve(again + target[cut + 1 :], modules, depth + 1)
                    if deeper is not None:
                        return deeper
            return candidate
    return None


def cycles(crate):
    src = os.path.join(crate, "src")
    modules = module_files(src)
    excluded = test_files(modules)
    graph, why = {}, {}
    for module, path in modules.items():
        if path in excluded:
            continue
        with open(path) as f:
            text = without_inline_test_modules(strip(f.read()))
        edges = {t for t in imports(module, path, text, modules) if modules[t] not in excluded}
        graph[module] = edges
        for target in edges:
            why[(module, target)] = True
    # Tarjan's strongly connected components.
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    name = lambda m: "/".join(m) or "lib"
    reports = []
    for component in result:
        members = set(component)
        ties = sorted(
            f"{name(a)} -> {name(b)}" for a in component for b in graph[a] if b in members
        )
        reports.append((sorted(name(m) for m in component), ties))
    return reports


def self_test():
    """Plants a cycle (a parent that uses its child, which uses the parent
    back, through a re-export and a group import) and a clean crate, and
    checks that only the first is reported."""
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        def write(path, text):
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)

        write("knot/src/lib.rs", "mod a;\npub use a::Thing;\n")
        write("knot/src/a.rs", "mod b;\npub struct Thing;\npub use b::helper;\n")
        write("knot/src/a/b.rs", "use crate::{Thing};\npub fn helper(_: Thing) {}\n")
        write("clean/src/lib.rs", "mod a;\nmod b;\npub use a::Thing;\n#[cfg(test)]\nmod tests;\n")
        write("clean/src/a.rs", "pub struct Thing;\n")
        write("clean/src/b.rs", "use crate::a::Thing;\npub fn helper(_: Thing) {}\n")
        write("clean/src/tests.rs", "use crate::b::helper;\n")
        knot = cycles(os.path.join(root, "knot"))
        clean = cycles(os.path.join(root, "clean"))
    assert [members for members, _ in knot] == [["a", "a/b"]], knot
    assert clean == [], clean
    print("scripts/import-cycles.py: self-test passed")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    crates = sys.argv[1:] or DEFAULT_CRATES
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    failed = False
    for crate in crates:
        path = crate if os.path.isabs(crate) else os.path.join(root, crate)
        for members, ties in cycles(path):
            failed = True
            print(f"{crate}: import cycle through {len(members)} files: {', '.join(members)}")
            for tie in ties:
                print(f"    {tie}")
    if failed:
        print("scripts/import-cycles.py: break each cycle (move the shared item down, or pass it in)")
        return 1
    print(f"scripts/import-cycles.py: no import cycles in {', '.join(crates)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
