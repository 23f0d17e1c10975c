"""The package's shape, measured from its imports (docs/ARCHITECTURE.md states the rules).

Layers, bottom up: core (results, catalogue, facts, settings) < parsers < probes < checks
< workloads < reports < state < session, fixtures < plugin, cli < __main__, suites. An
import may run down or sideways, never in a circle; at most two may run up. Parsers only
read: no finding codes, no Findings, no import of checks. The scripts under
workloads/scripts/ run by path in other interpreters and are outside the graph.
"""
from __future__ import annotations

import ast
import os
from typing import Dict, List, Set, Tuple

import pytest

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pytest_dlready")
SCRIPTS = os.path.join(PACKAGE, "workloads", "scripts")

LAYERS = {
    "__init__": 0, "results": 0, "catalogue": 0, "facts": 0, "settings": 0,
    "parsers": 1, "probes": 2, "checks": 3, "workloads": 4, "reports": 5,
    "state": 6, "session": 7, "fixtures": 7, "plugin": 8, "cli": 8, "__main__": 9, "suites": 9,
}


def _modules() -> Dict[str, str]:
    out = {}
    for folder, _dirs, files in os.walk(PACKAGE):
        if folder.startswith(SCRIPTS) or "__pycache__" in folder:
            continue
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3].replace(os.sep, ".")
                out[rel[:-len(".__init__")] if rel.endswith(".__init__") else rel] = path
    return out


MODULES = _modules()


def _imports(module: str) -> Set[str]:
    """Every pytest_dlready module ``module`` imports, at the top or inside a function."""
    path = MODULES[module]
    package = module if path.endswith("__init__.py") else module.rsplit(".", 1)[0]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        targets: List[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for target in targets:
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in MODULES and target != module and target.startswith("pytest_dlready"):
                found.add(target)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def _layer(module: str) -> int:
    parts = module.split(".")[1:] or ["__init__"]
    return LAYERS[parts[0]]


def _cycles() -> List[List[str]]:
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on: Set[str] = set()
    found: List[List[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer():
    assert len(MODULES) > 60
    for module in MODULES:
        _layer(module)  # KeyError names a folder the layer table does not know
    # the graph is read, not empty: a few edges every version has
    assert "pytest_dlready.parsers.signals" in GRAPH["pytest_dlready.checks.speedup"]
    assert "pytest_dlready.state" in GRAPH["pytest_dlready.plugin"]


def test_no_import_cycles():
    assert _cycles() == []


def test_imports_run_down_at_most_twice_up():
    upward: List[Tuple[str, str]] = sorted((m, t) for m, targets in GRAPH.items() for t in targets
                                            if _layer(t) > _layer(m))
    assert len(upward) <= 2, upward


def test_parsers_only_read():
    for module, path in MODULES.items():
        if not module.startswith("pytest_dlready.parsers"):
            continue
        assert not any(t.startswith(("pytest_dlready.checks", "pytest_dlready.catalogue", "pytest_dlready.results"))
                       for t in GRAPH[module]), (module, GRAPH[module])
        source = open(path, encoding="utf-8").read()
        assert "define(" not in source and "Finding(" not in source, module


def test_at_most_ten_modules_at_the_top():
    top = [name for name in os.listdir(PACKAGE) if name.endswith(".py")]
    assert len(top) <= 10, sorted(top)


@pytest.mark.parametrize("line", ["Using npmat instead", "Ignoring (?:visible )?gpu device", "Skipping registering GPU devices"])
def test_one_table_of_fallback_lines(line):
    """The lines that betray a CPU fallback are listed once (scripts run by path keep their own copy)."""
    holders = []
    for module, path in MODULES.items():
        tree = ast.parse(open(path, encoding="utf-8").read())
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                   and id(n) not in docstrings]
        if any(line in s for s in strings):
            holders.append(module)
    assert holders == ["pytest_dlready.parsers.signals"]
