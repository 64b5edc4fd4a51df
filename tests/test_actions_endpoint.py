"""The in-process action endpoint, and the action-result check compiled once."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import ClientResponseError

from bot.actions_endpoint import InProcessActionEndpoint, validate_once_compiled


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
