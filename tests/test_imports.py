"""No import cycle among the modules of `bot/`, counting imports inside functions too.

A lazy import inside a function hides a cycle from Python but not from a reader: `bot.report`
once imported the console for its templates while the console imported the report.
"""

from __future__ import annotations

import ast
from pathlib import Path

from bot.settings import ROOT

BOT = ROOT / "bot"
# Cycles another change removes, each with where: delete the entry when it lands. (The tracker
# store and the turn store: gone, both are in `bot/engine/` now and only one imports the other.)
KNOWN: set[frozenset[str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The `bot` modules `path` imports anywhere in it (a package import counts as its module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known}


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in BOT.rglob("*.py") if "migrations" not in p.parts}
    known = set(paths)
    return {name: imports_of(path, known) - {name} for name, path in paths.items()}


def cycles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [frozenset({"a", "b", "c"})]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_lazy_imports() -> None:
    edges = graph()
    assert "bot.report" in edges["bot.console.report_page"]
    assert "bot.engine.graph_runner" in edges["bot.engine.patches"]  # inside a function


def test_no_import_cycle_in_bot() -> None:
    assert [sorted(c) for c in cycles(graph()) if c not in KNOWN] == []


def test_the_report_does_not_import_the_console() -> None:
    assert not any(m.startswith("bot.console") for m in graph()["bot.report"])
