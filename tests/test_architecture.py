"""The layers hold: imports go one way, the driver stays in store/, nothing imports in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "profilegraph"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> nx.DiGraph:
    """Module -> module it imports, for our modules and the neo4j driver."""
    graph = nx.DiGraph()
    modules = {_module_name(path) for path in PACKAGE.rglob("*.py")}
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        graph.add_node(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from package import submodule` imports the submodule, not the package's names
                names = [
                    f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                    for alias in node.names
                ]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("profilegraph") or name.split(".")[0] == "neo4j":
                    graph.add_edge(module, "neo4j" if name.startswith("neo4j") else name)
    return graph


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_the_package_has_no_import_cycle() -> None:
    # A module importing its own package's __init__ is how Python loads it, not a cycle.
    graph = _imports()
    graph.remove_edges_from([(a, b) for a, b in graph.edges if a.startswith(b + ".")])
    assert list(nx.simple_cycles(graph)) == []


def test_only_store_imports_the_driver() -> None:
    graph = _imports()
    assert sorted(m for m in graph.predecessors("neo4j") if _layer(m) != "store") == []


def test_domain_imports_nothing_of_ours_outside_domain() -> None:
    graph = _imports()
    outside = {
        (a, b)
        for a, b in graph.edges
        if _layer(a) == "domain" and b != "neo4j" and _layer(b) not in {"domain", "errors"}
    }
    assert outside == set()


def test_the_edges_reach_the_graph_only_through_services() -> None:
    graph = _imports()
    edges = {"cli", "api", "app", "console"}
    assert sorted((a, b) for a, b in graph.edges if _layer(a) in edges and _layer(b) == "store") == []
