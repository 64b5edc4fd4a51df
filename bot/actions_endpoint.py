"""Run the custom actions of `actions/` inside the bot's own process (no action server).

Rasa 3.6's `RemoteAction` only ever calls `action_endpoint.request(json=...)`, so an
`EndpointConfig` whose `request` calls rasa_sdk's `ActionExecutor` routes every custom action
in-process (shared/notes/tech-notes.md §1.4). The payload round-trips through JSON, as over HTTP.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException


class InProcessActionEndpoint(EndpointConfig):
    """An action endpoint that executes the actions package in this process."""

    def __init__(self, actions_package: str = "actions") -> None:
        """Import and register every action of `actions_package`."""
        super().__init__(url="inprocess://actions")
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
        payload = json.loads(json.dumps(kwargs.get("json") or {}))
        try:
            return await self.executor.run(payload)
        except ActionExecutionRejection as exc:
            body = json.dumps({"error": exc.message, "action_name": exc.action_name})
            raise ClientResponseError(400, "Bad Request", body) from exc
        except ActionNotFoundException as exc:
            body = json.dumps({"error": exc.message, "action_name": exc.action_name})
            raise ClientResponseError(404, "Not Found", body) from exc
