"""The layout is the architecture: data flows one way and the market never sees the network.

Every ``import`` in the package (at module level or deferred inside a function) is read with
``ast`` and resolved to the module it names; the rules below are checked on that graph.
"""
import ast
from pathlib import Path

import networkx as nx
import pytest

import tempp_core

ROOT = Path(tempp_core.__file__).parent

#: Rank of each top-level part: a module may import its own rank or lower ranks only.
RANKS = {
    "units": 0, "errors": 0, "messages": 0, "options": 0, "lp": 0,
    "network": 1, "market": 1,
    "case": 2,
    "clearing": 3,
    "io": 4,
    "cases": 5,
    "studies": 6, "plots": 6, "privacy": 6,
    "cli": 7, "__init__": 7,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the package that ``name`` imports (resolved, deferred imports included)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in known else target)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if m in known and m != name}


@pytest.fixture(scope="module")
def graph():
    modules = _modules()
    g = nx.DiGraph()
    for name, path in modules.items():
        g.add_node(name)
        g.add_edges_from((name, target) for target in _imports(name, path, set(modules)))
    return g


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_top_level_part_has_a_rank(graph):
    assert {_part(m) for m in graph} <= set(RANKS)


def test_market_never_imports_the_network(graph):
    """The privacy line in the code: nothing under market/ reaches network/."""
    leaks = [(a, b) for a, b in graph.edges if _part(a) == "market" and _part(b) == "network"]
    assert leaks == []
    assert any(_part(a) == "market" for a in graph)  # the rule checks something


def test_network_never_imports_the_market(graph):
    assert [(a, b) for a, b in graph.edges if _part(a) == "network" and _part(b) == "market"] == []


def test_no_upward_imports(graph):
    upward = [(a, b) for a, b in graph.edges if RANKS[_part(b)] > RANKS[_part(a)]]
    assert upward == []


def test_no_import_cycles(graph):
    cycles = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_the_checker_sees_a_cycle_and_a_leak():
    """The rules above can fail: a made-up graph with a cycle and a market -> network edge."""
    g = nx.DiGraph([("tempp_core.market.a", "tempp_core.network.b"), ("tempp_core.network.b", "tempp_core.market.a")])
    assert [c for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert [(a, b) for a, b in g.edges if _part(a) == "market" and _part(b) == "network"]
