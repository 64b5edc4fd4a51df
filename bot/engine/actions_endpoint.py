"""Run the custom actions of `actions/` inside the bot's own process (no action server).

Rasa 3.6's `RemoteAction` only ever calls `action_endpoint.request(json=...)`, so an
`EndpointConfig` whose `request` calls rasa_sdk's `ActionExecutor` routes every custom action
in-process (docs/tech-notes.md §1.4). The payload round-trips through JSON, as over HTTP.

The domain is sent only to actions that ask for it (Rasa's `enable_selective_domain`, set
per action with `send_domain: true` in domain.yml); ours never read it, and it was most of the
JSON copied at every call.

Each call runs in a worker thread (`bot.storage.threads`): the actions call the store
(`open_case`, `counsellors_on_duty`, `/xoa`'s `forget_person`), and a call waiting for the
database's lock must not stall `/health` and everyone else (issue #17). One hop per call: the JSON
copy and the action run together in the thread. rasa_sdk's `ActionExecutor.run` and our actions'
`run` are coroutines with synchronous bodies, so the thread runs the coroutine to its end with no
event loop of its own (`run_to_end`; `asyncio.run` there would add ~0.25 ms a call).
Nothing in them needs the main loop: they read `bot.runtime.services()` (the store's engines take
connections from any thread; content and settings are read-only) and context variables, which
are copied into the thread (`bot.limits.CASE_ORIGIN`). An action that awaits real I/O would make
the call fail (`NeedsEventLoop`); `tests/test_actions_endpoint.py` fails the day an action under
`actions/` contains an `await`.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Callable

import ujson
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from bot.storage.threads import off_loop, run_to_end

VALID_EVENTS_KEPT = 1024


def result_checker(schema: dict[str, Any]) -> Callable[[Any], None]:
    """A check equivalent to validating against Rasa's action-result schema, built once.

    The schema says each event must match exactly one of ~24 alternatives (`oneOf`), one per event
    type, each pinned by `"event": {"const": <type>}`. Checking every alternative for every event
    is most of the cost, so each event is checked against its own type's alternative only. The
    result is the same: the other alternatives cannot match an event of another type. An event
    found valid once (most are the same few slot settings) is remembered by its JSON text, so it
    is not checked again. Raises `jsonschema.ValidationError` when the result is invalid.
    """
    from jsonschema import validators

    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    whole = validator_class(schema)
    try:
        item = schema["properties"]["events"]["items"]
        alternatives = {branch["properties"]["event"]["const"]: branch for branch in item["oneOf"]}
    except (KeyError, TypeError):
        return whole.validate  # not the shape this shortcut knows: check the whole schema
    outer = {key: value for key, value in schema.items() if key != "properties"}
    outer["properties"] = {**schema["properties"], "events": {"type": "array"}}
    common = {key: value for key, value in item.items() if key != "oneOf"}
    shape = validator_class(outer)
    per_type = {name: validator_class({"allOf": [common, branch]})
                for name, branch in alternatives.items()}  # fmt: skip

    valid: OrderedDict[str, None] = OrderedDict()  # events already found valid, as JSON

    def check(result: Any) -> None:
        shape.validate(result)
        for event in result.get("events") or ():
            found = per_type.get(event.get("event")) if isinstance(event, dict) else None
            if found is None:  # not an object, or no known type: the whole schema decides
                whole.validate(result)
                return
            try:
                key = json.dumps(event, sort_keys=True, allow_nan=False)
            except (TypeError, ValueError):  # not plain JSON: check it, do not remember it
                found.validate(event)
                continue
            if key in valid:  # the same event as before: the same answer
                valid.move_to_end(key)
                continue
            found.validate(event)
            valid[key] = None
            if len(valid) > VALID_EVENTS_KEPT:
                valid.popitem(last=False)

    return check


def validate_once_compiled() -> None:
    """Make Rasa check each action result with a checker built once, not per call.

    `RemoteAction._validate_action_result` calls `jsonschema.validate`, which re-checks Rasa's large
    event schema and builds a validator on every custom action: ~13 ms of a ~45 ms turn
    (`make bench`), and then tries every event type on every event (`result_checker`). What is
    accepted, and the error for what is not, are unchanged.
    """
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._validate_action_result, "compiled_once", False):
        return
    check = result_checker(RemoteAction.action_response_format_spec())
    original = RemoteAction._validate_action_result

    def validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            check(result)
        except ValidationError:
            return bool(original(self, result))  # raises with Rasa's own message
        return True

    validate.compiled_once = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]


def json_copy(payload: Any) -> Any:
    """What the action server would have received: `json.loads(json.dumps(payload))`.

    ujson (a dependency of Rasa's) makes the same copy in about half the time; the payload is the
    whole conversation (~20 kB after five messages). Anything it refuses goes to `json`, so what
    is accepted, and the error for what is not, are `json`'s.
    """
    try:
        return ujson.loads(ujson.dumps(payload))
    except (TypeError, ValueError, OverflowError):
        return json.loads(json.dumps(payload))


class InProcessActionEndpoint(EndpointConfig):
    """An action endpoint that executes the actions package in this process."""

    def __init__(self, actions_package: str = "actions") -> None:
        """Import and register every action of `actions_package`."""
        super().__init__(url="inprocess://actions", enable_selective_domain=True)
        validate_once_compiled()
        self.executor = ActionExecutor()
        self.executor.register_package(actions_package)

    async def request(  # type: ignore[override]
        self,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Run the action named in the JSON body; errors mirror rasa_sdk's HTTP server."""
        try:
            return await off_loop(self._run, kwargs.get("json") or {})
        except ActionExecutionRejection as exc:
            body = json.dumps({"error": exc.message, "action_name": exc.action_name})
            raise ClientResponseError(400, "Bad Request", body) from exc
        except ActionNotFoundException as exc:
            body = json.dumps({"error": exc.message, "action_name": exc.action_name})
            raise ClientResponseError(404, "Not Found", body) from exc

    def _run(self, payload: Any) -> Any:
        """The action's result for a JSON copy of `payload` (in a worker thread)."""
        return run_to_end(self.executor.run, json_copy(payload))
