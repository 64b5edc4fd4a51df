"""Rasa's default, trained with fewer epochs for the serving figures, is otherwise the same file."""

import yaml

from bench import pipelines, runner


def test_speed_only_config_changes_every_epochs_and_nothing_else(tmp_path):
    original = yaml.safe_load((pipelines.BENCH_DIR / "rasa_default_config.yml").read_text("utf-8"))
    written = pipelines.speed_only_config(7, tmp_path)
    changed = yaml.safe_load(written.read_text("utf-8"))

    def without_epochs(config):
        parts = config["pipeline"] + config["policies"]
        return [{k: v for k, v in part.items() if k != "epochs"} for part in parts]

    epochs = [p["epochs"] for p in changed["pipeline"] + changed["policies"] if "epochs" in p]
    before = [p for p in original["pipeline"] + original["policies"] if "epochs" in p]
    assert epochs == [7] * len(before) and len(before) == 4
    assert without_epochs(changed) == without_epochs(original)
    assert {k: v for k, v in changed.items() if k not in ("pipeline", "policies")} == {
        k: v for k, v in original.items() if k not in ("pipeline", "policies")
    }


def test_the_default_column_uses_the_speed_only_config_only_when_asked(tmp_path):
    plain = {p.name: p.config for p in pipelines.pipelines(tmp_path)}
    fewer = {
        p.name: p.config
        for p in pipelines.pipelines(tmp_path, default_epochs=3, models_dir=tmp_path / "m")
    }
    assert plain["default"].name == "rasa_default_config.yml"
    assert fewer["default"] == tmp_path / "m" / "rasa_default_config_3_epochs.yml"
    assert fewer["ours"] == plain["ours"]


def test_the_footer_says_when_the_default_was_trained_with_fewer_epochs():
    plain = runner.footer(runner.Plan(levels=(1,)), {}, 1.0)
    fewer = runner.footer(runner.Plan(levels=(1,), default_epochs=5), {}, 1.0)
    assert not any("epochs" in line for line in plain)
    assert any("5 epochs instead of 100" in line for line in fewer)
