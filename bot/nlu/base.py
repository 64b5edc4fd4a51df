"""A base for our graph components that are built from their config alone (nothing trained)."""

from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


class ConfigComponent(GraphComponent):
    """Keeps its config; `create` needs nothing from the model storage."""

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Keep the component's config (Rasa's defaults merged with config.yml)."""
        self._config = config

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ConfigComponent":
        """Create the component from its config."""
        return cls(config)
