"""`IntentPolicy`: the project's rules as an intent → action table, on Rasa's public Policy API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.engine.policy import IntentPolicy, UnsupportedRule, table_row
from bot.settings import ROOT


def rules() -> dict[str, str]:
    """intent → action, as nlu_data/rules/answers.yml writes them."""
    data = yaml.safe_load((ROOT / "nlu_data" / "rules" / "answers.yml").read_text("utf-8"))
    return {r["steps"][0]["intent"]: r["steps"][1]["action"] for r in data["rules"]}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def new_policy(tmp_path: Path, **config: Any) -> IntentPolicy:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    return IntentPolicy.create({**IntentPolicy.get_default_config(), **config}, storage,
                               Resource("policy"), context)  # fmt: skip


def rule_tracker(name: str, *events: Any) -> DialogueStateTracker:
    tracker = DialogueStateTracker(name, [], is_rule_tracker=True)
    tracker.update(ActionExecuted("..."))  # Rasa's marker: the rule applies anywhere
    for event in events:
        tracker.update(event)
    tracker.update(ActionExecuted("action_listen"))
    return tracker


def said(intent: str) -> UserUttered:
    return UserUttered("…", intent={"name": intent, "confidence": 0.9})


def trained(tmp_path: Path, domain: Domain) -> IntentPolicy:
    policy = new_policy(tmp_path)
    trackers = [rule_tracker(i, said(i), ActionExecuted(a)) for i, a in rules().items()]
    policy.train(trackers, domain)  # type: ignore[arg-type]
    return policy


def predicted(policy: IntentPolicy, domain: Domain, *events: Any) -> tuple[str, float]:
    tracker = DialogueStateTracker.from_events("p", list(events), domain.slots)
    prediction = policy.predict_action_probabilities(tracker, domain)
    best = prediction.max_confidence_index
    return domain.action_names_or_texts[best], prediction.max_confidence


def test_each_rule_is_one_table_row(tmp_path: Path, domain: Domain) -> None:
    assert trained(tmp_path, domain).table == rules()
    assert len(rules()) == 27


def test_after_the_person_speaks_the_intents_action_then_listen(
    tmp_path: Path, domain: Domain
) -> None:
    policy = trained(tmp_path, domain)
    start = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]
    for intent, action in rules().items():
        assert predicted(policy, domain, *start, said(intent)) == (action, 1.0)
        done = [*start, said(intent), ActionExecuted(action), BotUttered("…"), SlotSet("shown")]
        assert predicted(policy, domain, *done) == ("action_listen", 1.0)
        later = [*done, ActionExecuted("action_listen"), said("urgent_danger")]
        assert predicted(policy, domain, *later) == ("action_urgent", 1.0)


def test_rasas_default_intents_and_the_fallback(tmp_path: Path, domain: Domain) -> None:
    policy = trained(tmp_path, domain)
    listening = ActionExecuted("action_listen")
    assert predicted(policy, domain, listening, said("restart")) == ("action_restart", 1.0)
    assert predicted(policy, domain, listening, said("session_start")) == (
        "action_session_start",
        1.0,
    )
    assert predicted(policy, domain, listening, said("nlu_fallback")) == (
        "action_default_fallback",
        0.3,
    )


def test_the_table_survives_persist_and_load(tmp_path: Path, domain: Domain) -> None:
    policy = trained(tmp_path, domain)
    loaded = IntentPolicy.load(policy.config, policy._model_storage, Resource("policy"),
                               ExecutionContext(GraphSchema({}), "test"))  # fmt: skip
    assert loaded.table == policy.table == rules()


@pytest.mark.parametrize(
    "events",
    [
        (said("greet"), ActionExecuted("action_answer"), said("thank")),  # two user turns
        (said("greet"),),  # no action
        (said("greet"), SlotSet("audience", "child"), ActionExecuted("action_answer")),
        (ActionExecuted("action_answer"), said("greet")),  # action first
    ],
)
def test_a_rule_the_table_cannot_hold_is_refused(events: tuple[Any, ...]) -> None:
    with pytest.raises(UnsupportedRule):
        table_row(rule_tracker("odd", *events))


def test_two_actions_for_one_intent_are_refused(tmp_path: Path, domain: Domain) -> None:
    trackers = [rule_tracker("a", said("greet"), ActionExecuted("action_answer")),
                rule_tracker("b", said("greet"), ActionExecuted("action_urgent"))]  # fmt: skip
    with pytest.raises(UnsupportedRule, match="two actions"):
        new_policy(tmp_path).train(trackers, domain)  # type: ignore[arg-type]


@pytest.mark.model
def test_the_trained_model_predicts_with_the_table(agent: Any) -> None:
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    found = [n._component for n in nodes if isinstance(n._component, IntentPolicy)]
    assert len(found) == 1 and found[0].table == rules()
