import shutil
from pathlib import Path
from typing import Any

import pytest

from bot import model
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


@pytest.mark.model
async def test_a_message_does_not_turn_the_domain_into_a_dict(
    agent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa asks whether the domain is empty at every message; the loaded model answers at once."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.shared.core.domain import Domain

    calls: list[int] = []
    as_dict = Domain.as_dict
    monkeypatch.setattr(Domain, "as_dict", lambda self: calls.append(1) or as_dict(self))
    output = CollectingOutputChannel()
    await agent.handle_message(UserMessage("chào", output, sender_id="domain-asked"))
    assert output.messages and calls == []
    assert agent.domain.is_empty() is False


@pytest.mark.model
def test_values_are_copied_for_debug_lines_only_while_debug_is_on(
    agent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa deep-copies values for its DEBUG lines; with DEBUG off nothing reads the copy."""
    import rasa.core.policies.rule_policy
    import rasa.core.processor

    modules = (rasa.core.processor, rasa.core.policies.rule_policy)
    for module in modules:  # the agent was loaded with Rasa's logging above DEBUG
        assert isinstance(module.copy, model._CopyOnlyForDebug)
        monkeypatch.setattr(module, "copy", module.copy)  # put back after the test
    events = [{"event": "bot", "text": "111"}]
    for debug in (False, True):
        model.copy_for_debug_lines(debug)
        for module in modules:
            copied = module.copy.deepcopy(events)
            assert (copied is events) is not debug and copied == events
            assert module.copy.copy(events) == events and module.copy.copy(events) is not events


@pytest.mark.model
async def test_a_turn_copies_the_tracker_without_replaying_it(
    agent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa copies the tracker before each action: the loaded model copies without a replay."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.tracker_copy import copy_tracker

    assert DialogueStateTracker.copy is copy_tracker
    replays: list[int] = []
    travel = DialogueStateTracker.travel_back_in_time
    monkeypatch.setattr(DialogueStateTracker, "travel_back_in_time",
                        lambda self, t: replays.append(1) or travel(self, t))  # fmt: skip
    copies: list[int] = []
    monkeypatch.setattr(DialogueStateTracker, "copy",
                        lambda self: copies.append(1) or copy_tracker(self))  # fmt: skip
    output = CollectingOutputChannel()
    await agent.handle_message(UserMessage("con tôi bị lừa nạp thẻ game", output,
                                           sender_id="copied"))  # fmt: skip
    assert output.messages and copies and replays == []
