"""Rasa stays behind one door: `bot/engine/`, plus the NLU components of `bot/nlu/` (issue #19).

(No import cycle in `bot/`: tests/test_imports.py.)

Imports are read from the source (every `import` and `from … import`, inside functions and under
`TYPE_CHECKING` too), so a lazy import counts as much as a top-level one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from bot.settings import ROOT

BOT = ROOT / "bot"
ALLOWED_RASA = ("bot/engine/", "bot/nlu/")


def module_name(path: Path) -> str:
    """`bot/engine/model.py` → `bot.engine.model`; a package's `__init__` → the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> Iterator[str]:
    """Every absolute module name `path` imports (for `from a import b`: `a` and `a.b`)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def is_rasa(name: str) -> bool:
    """Rasa Open Source itself (`rasa`, `rasa.…`), not rasa_sdk."""
    return name == "rasa" or name.startswith("rasa.")


def sources(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)


def test_only_the_engine_and_the_nlu_components_import_rasa() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources(BOT)
        if not str(path.relative_to(ROOT)).startswith(ALLOWED_RASA)
        for name in imported(path)
        if is_rasa(name)
    ]
    assert offenders == []


def test_the_actions_use_rasa_sdk_only() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources(ROOT / "actions")
        for name in imported(path)
        if is_rasa(name)
    ]
    assert offenders == []


def test_the_engine_does_import_rasa() -> None:
    """The rule above is not empty: the engine is where Rasa is imported."""
    assert any(is_rasa(name) for path in sources(BOT / "engine") for name in imported(path))


def test_a_lazy_rasa_import_is_found(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from rasa.core.agent import Agent\n    import rasa_sdk\n")
    assert [n for n in imported(source) if is_rasa(n)] == [
        "rasa.core.agent",
        "rasa.core.agent.Agent",
    ]
