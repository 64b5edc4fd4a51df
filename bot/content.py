"""The guidance as data: loads content/ and answers "what do we say here, in which voice".

The files and their schema are described in content/README.md; `tests/test_content.py` lints them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.textnorm import fold
from bot.settings import ROOT

VOICES = ("parent", "child")
DEFAULT_VOICE = "parent"


def voice(audience: str | None) -> str:
    """The voice to answer in: the audience if known, else the parent's."""
    return audience if audience in VOICES else DEFAULT_VOICE


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _cue_match(folded_text: str, cue: str) -> bool:
    return f" {fold(cue)} " in folded_text


@dataclass(frozen=True)
class Content:
    """All of content/, loaded once."""

    topics: dict[str, dict[str, Any]]
    urgent_danger: dict[str, Any]
    self_harm: dict[str, Any]
    conversation: dict[str, Any]
    ui: dict[str, Any]
    contacts: dict[str, Any]

    @classmethod
    def load(cls, folder: Path = ROOT / "content") -> "Content":
        """Read every file of the content folder."""
        topics = {}
        for path in sorted((folder / "topics").glob("*.yml")):
            item = _load(path)
            topics[item["intent"]] = item
        return cls(
            topics=topics,
            urgent_danger=_load(folder / "urgent_danger.yml"),
            self_harm=_load(folder / "self_harm.yml"),
            conversation=_load(folder / "conversation.yml"),
            ui=_load(folder / "ui.yml"),
            contacts=_load(folder / "contacts.yml"),
        )

    # Topics -----------------------------------------------------------------------------------
    def has_topic(self, intent: str | None) -> bool:
        """Whether `intent` has a topic file."""
        return intent in self.topics

    def title(self, intent: str) -> str:
        """The short title of a topic (used in clarifications)."""
        return str(self.topics[intent]["title"])

    def answer(self, intent: str, audience: str | None) -> str:
        """The first answer of a topic in the person's voice."""
        return str(self.topics[intent]["answer"][voice(audience)]).strip()

    def followups(self, intent: str) -> list[tuple[str, str]]:
        """(key, button title) of a topic's follow-ups, in file order."""
        items = self.topics[intent].get("followups") or {}
        return [(key, str(item["title"])) for key, item in items.items()]

    def followup(self, intent: str, key: str, audience: str | None) -> str | None:
        """The text of one follow-up, or None if the topic has no such follow-up."""
        item = (self.topics.get(intent, {}).get("followups") or {}).get(key)
        return str(item[voice(audience)]).strip() if item else None

    # Dialogue turns ---------------------------------------------------------------------------
    def say(self, key: str, audience: str | None, **values: str) -> str:
        """A turn of conversation.yml in the person's voice, placeholders filled."""
        text = str(self.conversation[key][voice(audience)]).strip()
        return text.format(**values) if values else text

    def button(self, key: str) -> str:
        """A button title from ui.yml."""
        return str(self.ui["buttons"][key])

    def help_card(self, audience: str | None) -> str:
        """What the safe words bring back: 111 and the other contacts."""
        return str(self.ui["help_card"][voice(audience)]).strip()

    # Protocols --------------------------------------------------------------------------------
    def urgent_situation(self, text: str) -> str:
        """The key of the first urgent situation whose cue is in `text` ("general" if none)."""
        folded = f" {fold(text)} "
        for situation in self.urgent_danger["situations"]:
            if any(_cue_match(folded, cue) for cue in situation.get("cues") or []):
                return str(situation["key"])
        return "general"

    def self_harm_attempt(self, text: str) -> bool:
        """Whether `text` says an attempt is under way or has just happened (pills, bleeding…)."""
        folded = f" {fold(text)} "
        return any(_cue_match(folded, cue) for cue in self.self_harm["attempt"]["cues"])

    def urgent_first(self, situation: str, audience: str | None) -> str:
        """The first reply of the urgent protocol for one situation."""
        for item in self.urgent_danger["situations"]:
            if item["key"] == situation:
                return str(item[voice(audience)]).strip()
        raise KeyError(situation)

    def protocol(self, intent: str, key: str, audience: str | None) -> str:
        """A turn of the urgent_danger or self_harm protocol (offer, handed_over, …)."""
        source = self.urgent_danger if intent == "urgent_danger" else self.self_harm
        return str(source[key][voice(audience)]).strip()


@functools.lru_cache(maxsize=4)
def load_content(folder: str = str(ROOT / "content")) -> Content:
    """The content of `folder`, loaded once per process."""
    return Content.load(Path(folder))
