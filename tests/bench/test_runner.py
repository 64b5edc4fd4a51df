"""A bench run keeps each pipeline's figures as soon as they are measured."""

import json

import pytest

from bench import load, runner


def test_figures_of_finished_pipelines_survive_a_later_failure(tmp_path, monkeypatch):
    def measure(root, pipeline, plan, pool):
        if pipeline.name == "default":
            raise KeyboardInterrupt  # Rasa's default stopped hours into its training
        return {"train_s": 12.5}, []

    monkeypatch.setattr(runner, "measure", measure)
    monkeypatch.setattr(load, "load_pool", lambda root: None)
    with pytest.raises(KeyboardInterrupt):
        runner.run(tmp_path, runner.Plan(levels=(1,)))
    saved = json.loads((tmp_path / "bench-results" / "partial.json").read_text("utf-8"))
    assert saved["ours"] == {"train_s": 12.5}
    assert "default" not in saved
    assert saved["plan"]["levels"] == [1]
