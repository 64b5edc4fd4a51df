"""The test model's cache: reused while nothing the model is made of changed, else retrained."""

from __future__ import annotations

import ast
import importlib.util
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.engine import model
from bot.settings import ROOT, Settings
from tests.helpers.model_cache import cache_key, cached_model

VERSIONS = "3.10.0;rasa==3.6.21;scikit-learn==1.1.3"


class FakeTrainer:
    """Stands in for `bot.engine.model.train`: writes a small archive and counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, settings: Settings, *, output: Path, fixed_name: str) -> Path:
        self.calls += 1
        path = output / f"{fixed_name}.tar.gz"
        path.write_text(f"model {self.calls}")
        return path


@pytest.fixture
def project(tmp_path: Path, settings: Settings) -> Settings:
    """A copy of everything the fingerprint reads, as a project of its own."""
    root = tmp_path / "project"
    for name in ("config.yml", "domain.yml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "nlu_data", root / "nlu_data")
    shutil.copytree(ROOT / "bot", root / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    return replace(settings, root=root)


def cached(project: Settings, folder: Path, trainer: FakeTrainer, versions: str = VERSIONS) -> Path:
    return cached_model(project, folder=folder, train=trainer, versions=versions)


def append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")


def test_an_unchanged_project_is_trained_once(project: Settings, tmp_path: Path) -> None:
    trainer, folder = FakeTrainer(), tmp_path / "cache"
    first = cached(project, folder, trainer)
    assert cached(project, folder, trainer) == first and trainer.calls == 1
    assert first.read_text() == "model 1"
    assert [p.name for p in folder.glob("*.tar.gz")] == [first.name]
    assert not [p for p in folder.iterdir() if p.is_dir()]  # no half-trained folder left


@pytest.mark.parametrize(
    "change",
    [
        "nlu_data/nlu/greet.yml",  # training data
        "config.yml",  # the pipeline
        "domain.yml",
        "bot/nlu/tokenizer.py",  # a component's code
        "bot/nlu/data/teencode.yml",  # a component's word list
        "bot/engine/policy.py",  # the policy
    ],
)
def test_a_change_to_what_the_model_is_made_of_retrains(
    project: Settings, tmp_path: Path, change: str
) -> None:
    trainer, folder = FakeTrainer(), tmp_path / "cache"
    before = cached(project, folder, trainer)
    append(project.root / change, "\n# changed\n")
    after = cached(project, folder, trainer)
    assert trainer.calls == 2 and after != before and after.read_text() == "model 2"


def test_other_library_versions_retrain(project: Settings, tmp_path: Path) -> None:
    trainer, folder = FakeTrainer(), tmp_path / "cache"
    cached(project, folder, trainer)
    cached(project, folder, trainer, versions=VERSIONS.replace("1.1.3", "1.2.0"))
    assert trainer.calls == 2


def test_a_change_elsewhere_reuses_the_model(project: Settings, tmp_path: Path) -> None:
    trainer, folder = FakeTrainer(), tmp_path / "cache"
    before = cached(project, folder, trainer)
    append(project.root / "bot" / "console" / "app.py", "\n# changed\n")
    (project.root / "README.md").write_text("changed")
    assert cached(project, folder, trainer) == before and trainer.calls == 1


def test_old_entries_are_pruned(project: Settings, tmp_path: Path) -> None:
    trainer, folder = FakeTrainer(), tmp_path / "cache"
    for n in range(4):
        cached(project, folder, trainer, versions=f"{VERSIONS};{n}")
    assert len(list(folder.glob("*.tar.gz"))) == 2


def test_the_key_is_the_models_own_fingerprint(project: Settings) -> None:
    assert cache_key(project.root, VERSIONS).startswith(model.model_name(project.root) + "-")


def _component_modules() -> set[str]:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    names = [c["name"] for c in config.get("pipeline", []) + config.get("policies", [])]
    return {name.rsplit(".", 1)[0] for name in names if "." in name}


def _bot_imports(module: str, seen: set[str]) -> set[str]:
    """`module` and every `bot` module it imports, transitively (module level and lazy)."""
    if module in seen:
        return seen
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return seen
    seen.add(module)
    tree: Any = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            if node.module in ("bot.settings", "bot.runtime"):
                continue  # read at run time, not training
            _bot_imports(node.module, seen)
    return seen


def test_every_component_and_its_code_is_in_the_fingerprint() -> None:
    """A component module (or a module it uses) outside `TRAINING_INPUTS` would let a stale
    cached model through after a change to it."""
    modules = set()
    for module in _component_modules():
        modules |= _bot_imports(module, set())
    assert "bot.nlu.tokenizer" in modules  # the walk found the pipeline
    covered = {p.resolve() for pattern in model.TRAINING_INPUTS for p in ROOT.glob(pattern)}
    outside = []
    for module in sorted(modules):
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None
        if Path(spec.origin).resolve() not in covered:
            outside.append(module)
    assert outside == []
