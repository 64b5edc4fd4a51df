"""The in-process action endpoint, and the action-result check compiled once."""

from __future__ import annotations

import ast
import json

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import ClientResponseError

from bot.engine.actions_endpoint import InProcessActionEndpoint, validate_once_compiled
from bot.settings import ROOT


def test_the_compiled_check_accepts_what_rasa_accepts_and_rejects_what_it_rejects() -> None:
    validate_once_compiled()
    action = RemoteAction("action_answer", None)
    good = {"events": [{"event": "slot", "name": "audience", "value": "child"}], "responses": []}
    assert action._validate_action_result(good) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


async def test_an_unknown_action_is_a_404_like_the_action_server() -> None:
    endpoint = InProcessActionEndpoint("actions")
    body = {"next_action": "action_nobody_wrote", "sender_id": "x", "tracker": {}, "domain": {}}
    with pytest.raises(ClientResponseError) as raised:
        await endpoint.request(json=body)
    assert raised.value.status == 404


def test_the_domain_is_sent_only_to_actions_that_ask_for_it() -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    endpoint = InProcessActionEndpoint("actions")
    tracker = DialogueStateTracker("x", slots=[])
    plain = Domain.from_dict({"actions": ["action_answer"]})
    asking = Domain.from_dict({"actions": [{"action_answer": {"send_domain": True}}]})
    assert "domain" not in RemoteAction("action_answer", endpoint)._action_call_format(
        tracker, plain
    )
    assert "domain" in RemoteAction("action_answer", endpoint)._action_call_format(tracker, asking)


def test_remembered_events_do_not_let_an_invalid_variant_through() -> None:
    from bot.engine.actions_endpoint import result_checker

    checker = result_checker(RemoteAction.action_response_format_spec())
    event = {"event": "slot", "name": "audience", "value": "child"}
    for _ in range(2):  # the second time from memory
        checker({"events": [event]})
    checker({"events": [dict(reversed(list(event.items())))]})  # the same event, keys reordered
    for variant in ({**event, "name": 5}, {**event, "timestamp": "now"}, {"event": "slot"}):
        with pytest.raises(ValidationError):
            checker({"events": [event, variant]})


def test_the_copy_is_jsons_copy() -> None:
    """ujson's round trip gives what json's gives; what it refuses goes through json."""
    from bot.engine.actions_endpoint import json_copy

    intent = {"name": "ask_scam", "confidence": 0.1 + 0.2}
    user = {"event": "user", "text": "bị lừa nạp thẻ\u2028", "timestamp": 1764000000.1234567,
            "parse_data": {"intent": intent, "ids": (1, 2), "big": 2**70}}  # fmt: skip
    tracker = {"events": [user], "slots": {"audience": None}, 3: "a number key"}
    assert json_copy(tracker) == json.loads(json.dumps(tracker))
    odd = {"n": float("nan"), "huge": 10**400}
    assert json.dumps(json_copy(odd)) == json.dumps(json.loads(json.dumps(odd)))
    with pytest.raises(TypeError):  # json's error for what JSON cannot carry
        json_copy({"set": {1, 2}})


def test_no_action_awaits_anything() -> None:
    """The endpoint runs each action's coroutine to its end in a worker thread, with no event loop
    (`bot.engine.actions_endpoint`): an action that awaits real I/O would fail there."""
    awaits = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((ROOT / "actions").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith))
    ]
    assert awaits == []


async def test_an_action_runs_in_a_worker_thread_with_the_turns_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Off the event loop, with the context variables of the turn (`CASE_ORIGIN`)."""
    import threading

    from bot.limits import CASE_ORIGIN

    endpoint = InProcessActionEndpoint("actions")
    seen: list[tuple[str, object]] = []

    async def run(payload: dict[str, object]) -> dict[str, object]:
        seen.append((threading.current_thread().name, CASE_ORIGIN.get()))
        return {"events": [], "responses": []}

    monkeypatch.setattr(endpoint.executor, "run", run)
    origin = object()
    token = CASE_ORIGIN.set(origin)  # type: ignore[arg-type]
    try:
        result = await endpoint.request(json={"next_action": "action_answer"})
    finally:
        CASE_ORIGIN.reset(token)
    assert result == {"events": [], "responses": []}
    assert seen == [(seen[0][0], origin)] and seen[0][0] != threading.current_thread().name
