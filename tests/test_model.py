import shutil
from pathlib import Path

from bot.engine import model
from bot.settings import ROOT, Settings


def _copy_project(tmp_path: Path) -> Path:
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "nlu_data", tmp_path / "nlu_data")
    shutil.copytree(ROOT / "bot" / "nlu", tmp_path / "bot" / "nlu")
    return tmp_path


def test_fingerprint_is_stable_and_follows_data_and_code(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    first = model.training_fingerprint(root)
    assert model.training_fingerprint(root) == first
    greet = root / "nlu_data" / "nlu" / "greet.yml"
    greet.write_text(greet.read_text(encoding="utf-8") + "    - chào buổi sáng nha\n", "utf-8")
    second = model.training_fingerprint(root)
    assert second != first
    rules = root / "bot" / "nlu" / "data" / "safety_rules.yml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# edited\n", "utf-8")
    assert model.training_fingerprint(root) != second


def test_current_and_latest_model(tmp_path: Path) -> None:
    settings = Settings.from_env({"DONGHANH_MODELS_DIR": str(tmp_path)})
    assert model.current_model(settings) is None
    assert model.latest_model(settings) is None
    stale = tmp_path / "donghanh-000000000000.tar.gz"
    stale.write_bytes(b"old")
    assert model.current_model(settings) is None
    assert model.latest_model(settings) == stale
    fresh = tmp_path / f"{model.model_name(settings.root)}.tar.gz"
    fresh.write_bytes(b"new")
    assert model.current_model(settings) == fresh
    assert model.latest_model(settings) == fresh


def test_train_skips_when_the_matching_model_exists(tmp_path: Path) -> None:
    settings = Settings.from_env({"DONGHANH_MODELS_DIR": str(tmp_path)})
    existing = tmp_path / f"{model.model_name(settings.root)}.tar.gz"
    existing.write_bytes(b"already trained")
    assert model.train(settings) == existing
    assert existing.read_bytes() == b"already trained"
