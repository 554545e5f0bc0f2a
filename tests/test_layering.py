"""The package layout's rules, by static analysis (ast; imports inside functions count too):

- no loop between packages: at every level (labkit's subpackages and top-level modules; the rooms of
  ``labkit.grading``; …) the graph of "a unit imports from another unit" has no cycle;
- the layers point one way: ``labkit.cli`` → ``labkit.course`` → ``labkit.grading`` → the rest;
- no module imports another module's private (``_underscore``) name;
- no module over ~400 lines.
"""

import ast
from collections import defaultdict

from test_code_health import MODULES, PACKAGE, import_edges

MAX_MODULE_LINES = 400
LAYERS = ["labkit.cli", "labkit.course", "labkit.grading"]  # each may import only the ones after it (and the rest)
# Modules over MAX_MODULE_LINES today; split them and delete the line (the list can only shrink).
KNOWN_LONG_MODULES: set[str] = set()


def _merged_edges() -> dict[str, set[str]]:
    top, lazy = import_edges()
    return {m: top[m] | lazy[m] for m in MODULES}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def unit(module: str, parent: str) -> str | None:
    """The child of package ``parent`` that holds ``module`` (a subpackage or a module), or None."""
    if not module.startswith(parent + "."):
        return None
    return f"{parent}.{module[len(parent) + 1 :].split('.')[0]}"


def unit_graph(parent: str, edges=None) -> dict[str, set[str]]:
    """``{child: {children it imports from}}`` for the children of package ``parent``."""
    graph = defaultdict(set)
    for source, targets in (edges or _merged_edges()).items():
        src = unit(source, parent)
        for target in targets:
            dst = unit(target, parent)
            if src and dst and src != dst:
                graph[src].add(dst)
    return graph


def loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

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
            component = []
            while (w := stack.pop()) != v:
                on.discard(w)
                component.append(w)
            on.discard(v)
            if component:
                found.append(sorted([v, *component]))

    for node in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if node not in index:
            visit(node)
    return found


def _describe(component, graph) -> str:
    return " ; ".join(f"{a} -> {b}" for a in component for b in sorted(graph.get(a, ())) if b in component)


def test_no_loop_between_packages_at_any_level():
    edges = _merged_edges()
    found = []
    for package in sorted(m for m in MODULES if _is_package(m)):
        graph = unit_graph(package, edges)
        found += [f"in {package}: {_describe(c, graph)}" for c in loops(graph)]
    assert not found, "package loops (make the dependency point one way):\n" + "\n".join(found)


def test_layers_point_one_way():
    edges = _merged_edges()
    wrong = []
    for i, layer in enumerate(LAYERS):
        above = LAYERS[:i]
        for source, targets in edges.items():
            if source == layer or source.startswith(layer + "."):
                wrong += [f"{source} -> {t}" for t in sorted(targets) for a in above if t == a or t.startswith(a + ".")]
    assert not wrong, f"imports against the layers {' → '.join(LAYERS)}:\n" + "\n".join(wrong)


def private_imports() -> list[str]:
    """``module -> other.module._name`` for every import of another labkit module's private name."""
    found = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("labkit") and not node.level:
                for alias in node.names:
                    private = alias.name.startswith("_") and not alias.name.startswith("__")
                    if private and f"{node.module}.{alias.name}" not in MODULES and node.module != module:
                        found.append(f"{module} -> {node.module}.{alias.name}")
    return found


def test_no_import_of_another_modules_private_name():
    found = private_imports()
    assert not found, "imports of private names (make the name public, or move it):\n" + "\n".join(found)


def long_modules() -> dict[str, int]:
    return {
        m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }


def test_no_module_over_the_line_limit():
    offenders = {m: n for m, n in long_modules().items() if m not in KNOWN_LONG_MODULES}
    assert not offenders, f"modules over {MAX_MODULE_LINES} lines (split them): {offenders}"


def test_known_long_modules_are_still_long():
    fixed = sorted(m for m in KNOWN_LONG_MODULES if m in MODULES and m not in long_modules())
    assert not fixed, f"now short or gone — delete from KNOWN_LONG_MODULES in tests/test_layering.py: {fixed}"


def test_the_analysis_sees_a_package_loop():
    """The loop finder on a made-up graph: two subpackages importing each other through different modules."""
    edges = {"labkit.a.x": {"labkit.b.y"}, "labkit.b.z": {"labkit.a.w"}, "labkit.c": {"labkit.a.x"}}
    graph = unit_graph("labkit", edges)
    assert loops(graph) == [["labkit.a", "labkit.b"]]
    assert unit("labkit.grading.sandbox.jail", "labkit.grading") == "labkit.grading.sandbox"
    assert PACKAGE.name == "labkit"
