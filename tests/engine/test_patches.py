"""`bot.engine.patches`: one table, one `install()`, only on the pinned Rasa."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.engine import patches
from bot.settings import ROOT


def test_every_patch_says_what_it_replaces_why_and_what_it_buys() -> None:
    names = [p.name for p in patches.PATCHES]
    assert len(set(names)) == len(names)
    for patch in patches.PATCHES:
        assert patch.scope in ("process", "agent", "tracker store")
        assert patch.replaces and len(patch.reason) > 40 and patch.figure


def test_the_readme_lists_every_patch_and_nothing_else() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([a-z_]+)` \| (?:process|agent|tracker store) \|", readme, re.M)
    assert listed == [p.name for p in patches.PATCHES]


def test_the_pinned_version_is_the_one_pyproject_installs() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"rasa=={patches.PINNED_RASA}"' in pyproject
    patches.check_version()  # the installed Rasa


def test_another_rasa_is_refused_before_anything_is_patched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    applied: list[str] = []
    fake = [patches.Patch("p", "process", "x", "y" * 41, "z", lambda _: applied.append("p"))]
    monkeypatch.setattr(patches, "PATCHES", tuple(fake))
    import rasa

    monkeypatch.setattr(rasa, "__version__", "3.6.20")
    with pytest.raises(patches.UnsupportedRasa, match="3.6.20"):
        patches.install()
    assert applied == []


def test_process_patches_apply_once_and_object_patches_to_each_object(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str, Any]] = []
    table = tuple(
        patches.Patch(name, scope, "x", "y" * 41, "z", lambda t, n=name: seen.append((n, t)))
        for name, scope in (("once", "process"), ("agent", "agent"), ("store", "tracker store"))
    )
    monkeypatch.setattr(patches, "PATCHES", table)
    monkeypatch.setattr(patches, "_installed", set())
    assert patches.install() == ["once"]
    assert patches.install(agent="A") == ["agent"]
    assert patches.install(tracker_store="S") == ["store"]
    assert seen == [("once", None), ("agent", "A"), ("store", "S")]


def test_a_sqlite_store_gets_the_pooled_engine_and_postgres_the_pre_ping(tmp_path: Any) -> None:
    from bot.engine.tracker_store import tracker_store_for

    store = tracker_store_for(f"sqlite:///{tmp_path / 'x.db'}")
    assert type(store.engine.pool).__name__ != "NullPool"  # Rasa's engine, replaced
    assert not store.engine.pool._pre_ping  # SQLite needs none
    memory = tracker_store_for("sqlite://")
    assert memory.engine.url.database in (None, "", ":memory:")


@pytest.mark.model
def test_the_loaded_agent_runs_every_agent_patch(agent: Any) -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore

    from bot.engine.graph_runner import SequentialGraphRunner

    assert isinstance(agent.processor.graph_runner, SequentialGraphRunner)
    assert isinstance(agent.tracker_store, FailSafeTrackerStore)
    with pytest.raises(RuntimeError, match="boom"):
        agent.tracker_store._on_tracker_store_error(RuntimeError("boom"))
