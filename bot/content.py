"""The guidance as data: loads content/ and answers "what do we say here, in which voice".

The files and their schema are described in content/README.md; `tests/test_content.py` lints them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from bot.nlu.textnorm import fold
from bot.settings import ROOT

VOICES = ("parent", "child")
DEFAULT_VOICE = "parent"
# Adults who are not the child's parents read the parent's content, addressed as they should be:
# (pattern, replacement) applied in order to every parent text for that role.
_CON = r"\b([Cc])on\b(?! (số|người|đường|dấu|mắt|trỏ|dao|vật|thú|nít|cái|chữ)\b)"
ADDRESS: dict[str, tuple[tuple[str, str | Callable[[re.Match[str]], str]], ...]] = {
    "grandparent": (
        (r"\banh/chị\b", "ông/bà"), (r"\bAnh/chị\b", "Ông/bà"), (r"\bbố mẹ\b", "ông bà"),
        (r"\bBố mẹ\b", "Ông bà"), (r"\bcha mẹ\b(?= (ở|luôn|sẽ))", "ông bà"),
        (_CON, lambda m: "Cháu" if m.group(1) == "C" else "cháu"),
    ),
    "teacher": (
        (r"\banh/chị\b", "thầy/cô"), (r"\bAnh/chị\b", "Thầy/cô"),
        (_CON, lambda m: "Em" if m.group(1) == "C" else "em"),
    ),
    # another adult (a neighbour, a pharmacist): anh/chị, and the child is someone else's
    "adult": ((_CON, lambda m: "Cháu" if m.group(1) == "C" else "cháu"),),
}  # fmt: skip


def voice(audience: str | None) -> str:
    """The voice to answer in: the child's for a child, else the parent's (every adult role)."""
    return "child" if audience == "child" else DEFAULT_VOICE


def address(text: str, audience: str | None) -> str:
    """A parent text addressed to another adult: a grandparent, a teacher, a neighbour.

    A grandparent is "ông/bà" (the child "cháu"), a teacher "thầy/cô", another adult anh/chị
    with the child "cháu".
    """
    for pattern, replacement in ADDRESS.get(audience or "", ()):
        text = re.sub(pattern, replacement, text)
    return text


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _merge_followups(topics: dict[str, dict[str, Any]], extra: dict[str, Any]) -> None:
    """Add a content/followups/<intent>.yml file's follow-ups and sources to its topic."""
    topic = topics.get(str(extra.get("intent")))
    if topic is None:
        return
    topic["sources"] = [*topic.get("sources", []), *extra.get("sources", [])]
    items = dict(topic.get("followups") or {})
    for key, item in (extra.get("followups") or {}).items():
        items.setdefault(key, {**item, "extra": True})
    topic["followups"] = items


def _pick(entry: dict[str, Any], audience: str | None) -> str:
    """The text of an entry in the person's voice and address."""
    return address(str(entry[voice(audience)]).strip(), audience)


def _cue_match(folded_text: str, cue: str) -> bool:
    return f" {fold(cue)} " in folded_text


def _says(text: str, entry: dict[str, Any]) -> bool:
    """Whether `text` uses one of a content entry's `cues` and none of its `unless` (folded)."""
    folded = f" {fold(text)} "
    if any(_cue_match(folded, cue) for cue in entry.get("unless") or []):
        return False
    return any(_cue_match(folded, cue) for cue in entry["cues"])


# questions inside a danger that have an answer of their own
URGENT_STEPS = (
    "someone_bleeding",
    "which_number",
    "blade_in_hand",
    "alone_tonight",
    "send_back_home",
    "photo_injuries",
    "call_for_friend",
    "cant_speak",
    "afraid_he_finds_out",
    "confront_children",
    "stop_friend_alone",
    "school_summons",
    "pay_ransom",
    "confront",
    "pickup",
    "no_wait",
    "new_lead",
    "pose_as_child",
    "police_here",
    "help_on_the_way",  # last: "gọi rồi" with any step above is that step
)


@dataclass(frozen=True)
class Content:
    """All of content/, loaded once."""

    topics: dict[str, dict[str, Any]]
    urgent_danger: dict[str, Any]
    self_harm: dict[str, Any]
    conversation: dict[str, Any]
    ui: dict[str, Any]
    contacts: dict[str, Any]
    dialogue: dict[str, Any]
    platforms: dict[str, Any]

    @classmethod
    def load(cls, folder: Path = ROOT / "content") -> "Content":
        """Read every file of the content folder."""
        topics = {}
        for path in sorted((folder / "topics").glob("*.yml")):
            item = _load(path)
            topics[item["intent"]] = item
        for path in sorted((folder / "followups").glob("*.yml")):
            _merge_followups(topics, _load(path))
        platforms = folder / "platforms.yml"
        return cls(
            topics=topics,
            urgent_danger=_load(folder / "urgent_danger.yml"),
            self_harm=_load(folder / "self_harm.yml"),
            conversation=_load(folder / "conversation.yml"),
            ui=_load(folder / "ui.yml"),
            contacts=_load(folder / "contacts.yml"),
            dialogue=_load(folder / "dialogue.yml"),
            platforms=_load(platforms) if platforms.exists() else {"platforms": {}},
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
        return _pick(self.topics[intent]["answer"], audience)

    def followups(self, intent: str) -> list[tuple[str, str]]:
        """(key, button title) of a topic's follow-ups, in file order."""
        items = self.topics[intent].get("followups") or {}
        return [(key, str(item["title"])) for key, item in items.items()]

    def followup(self, intent: str, key: str, audience: str | None) -> str | None:
        """The text of one follow-up, or None if the topic has no such follow-up."""
        item = (self.topics.get(intent, {}).get("followups") or {}).get(key)
        return _pick(item, audience) if item else None

    # Dialogue turns ---------------------------------------------------------------------------
    def say(self, key: str, audience: str | None, **values: str) -> str:
        """A turn of conversation.yml in the person's voice, placeholders filled."""
        text = _pick(self.conversation[key], audience)
        return text.format(**values) if values else text

    def button(self, key: str) -> str:
        """A button title from ui.yml."""
        return str(self.ui["buttons"][key])

    def help_card(self, audience: str | None) -> str:
        """What the safe words bring back: 111 and the other contacts."""
        return _pick(self.ui["help_card"], audience)

    def pick(self, entry: dict[str, Any], audience: str | None) -> str:
        """The text of any entry with `parent` and `child` texts, in the person's voice."""
        return _pick(entry, audience)

    def platform(self, platform: str, action: str, audience: str | None) -> str | None:
        """Where to tap on a platform (content/platforms.yml): report, block, privacy."""
        entry = ((self.platforms.get("platforms") or {}).get(platform) or {}).get(action)
        return _pick(entry, audience) if entry else None

    # Protocols --------------------------------------------------------------------------------
    def urgent_situation(self, text: str, rules: Iterable[str] = ()) -> str:
        """The first urgent situation whose cue is in `text` or whose safety rule fired.

        In the order of content/urgent_danger.yml ("general" if none). A situation lists the rules
        that name it (`rules:`): "e co gui hinh khong mac ao… ko thi gui hinh cho lop e" has no
        cue, and the rule `sextortion_threat` names it. A situation is skipped when one of its
        `unless` cues is in `text` (the child has already gone: not `meeting` but `missing`).
        """
        folded = f" {fold(text)} "
        fired = set(rules)
        for situation in self.urgent_danger["situations"]:
            if any(_cue_match(folded, cue) for cue in situation.get("unless") or []):
                continue  # "hẹn gặp… bỏ nhà đi tới giờ chưa về": gone already, not about to meet
            if fired & set(situation.get("rules") or []) or any(
                _cue_match(folded, cue) for cue in situation.get("cues") or []
            ):
                return str(situation["key"])
        return "general"

    def self_harm_question(
        self, text: str, asked: bool = True, bystander: bool = False
    ) -> str | None:
        """The key of the self-harm protocol's question that `text` asks (its cues), if any.

        `asked`: the text is a question; if not, only the items marked `statement` count ("Tôi
        đang gọi mà em ấy không bắt máy" needs the answer as much as a question would).
        `bystander`: only the items whose answers fit a child worried about a friend.
        """
        folded = f" {fold(text)} "
        for key, item in (self.self_harm.get("questions") or {}).items():
            if not asked and not item.get("statement"):
                continue
            if item.get("only_bystander") and not bystander:
                continue  # "không sao đâu" from the child herself is answered by the protocol
            if bystander and not item.get("bystander"):
                continue
            if any(_cue_match(folded, cue) for cue in item.get("cues") or []):
                return str(key)
        return None

    def self_harm_answer(self, key: str, audience: str | None) -> str:
        """The answer of one of the self-harm protocol's questions."""
        return _pick(self.self_harm["questions"][key], audience)

    def urgent_danger_now(self, text: str) -> bool:
        """Whether `text` says the danger is at the door now ("ông ta đang gõ cửa")."""
        return _says(text, self.urgent_danger["danger_now"])

    def urgent_step(self, text: str) -> str | None:
        """The danger's own answer whose cues `text` uses, if any.

        Facing the person ("có nên ra ngõ xem mặt nó không?": `confront`), fetching the child
        ("có nên chạy xe qua đón cháu không?": `pickup`), the 24-hour myth (`no_wait`), writing to
        the man as the child (`pose_as_child`), the police at the door (`police_here`), news of
        where the child or the man will be (`new_lead`: straight to the police).
        """
        return next((k for k in URGENT_STEPS if _says(text, self.urgent_danger[k])), None)

    def bystander_says(self, key: str, text: str) -> bool:
        """Whether a bystander's `text` uses the cues of `key` (`bystander_friend_safe`…)."""
        return _says(text, self.urgent_danger[key])

    def scam_child_safe(self, text: str) -> bool:
        """Whether `text` says the child of a fake-police or ransom call is reached and fine."""
        return _says(text, self.urgent_danger["scam_child_safe"])

    def urgent_safe_now(self, text: str) -> bool:
        """Whether `text` says the child is with the police or family now ("công an đến rồi")."""
        return _says(text, self.urgent_danger["safe_now"])

    def situation_topic(self, situation: str) -> str | None:
        """The topic whose follow-ups continue an urgent situation (sextortion → ask_sextortion)."""
        for item in self.urgent_danger["situations"]:
            if item["key"] == situation:
                topic = item.get("topic")
                return str(topic) if self.has_topic(topic) else None
        return None

    def self_harm_attempt(self, text: str) -> bool:
        """Whether `text` says an attempt is under way or has just happened (pills, bleeding…)."""
        return _says(text, self.self_harm["attempt"])

    def _situation_part(self, situation: str, part: str, audience: str | None) -> str | None:
        """One optional part of an urgent situation (`more`, `for_a_friend`), in a voice."""
        for item in self.urgent_danger["situations"]:
            if item["key"] == situation and item.get(part):
                return _pick(item[part], audience)
        return None

    def urgent_more(self, situation: str, audience: str | None) -> str | None:
        """The next steps of an urgent situation, for the message after its first reply."""
        return self._situation_part(situation, "more", audience)

    def urgent_law(self, situation: str, text: str, audience: str | None) -> str | None:
        """The law of an urgent situation when `text` asks about it ("luật nào cấm, điều mấy")."""
        if not _says(text, self.urgent_danger["asks_law"]):
            return None
        return self._situation_part(situation, "law", audience)

    def urgent_for_a_friend(self, situation: str, audience: str | None) -> str | None:
        """What a child told of a friend's danger says to the friend now ("đừng chuyển tiền")."""
        return self._situation_part(situation, "for_a_friend", audience)

    def self_harm_danger_now(self, text: str) -> bool:
        """Whether `text` says the person is at a dangerous place now (a rooftop, a bridge…)."""
        return _says(text, self.self_harm["danger_now"])

    def self_harm_means(self, text: str) -> bool:
        """Whether `text` says the person holds something to hurt themselves with ("cầm dao")."""
        return _says(text, self.self_harm["means_at_hand"])

    def self_harm_distress(self, text: str) -> bool:
        """Whether `text` has words of one's own distress ("buồn", "mệt mỏi", "không ai hiểu")."""
        return _says(text, self.self_harm["distress"])

    def self_harm_in_care(self, text: str) -> bool:
        """Whether `text` says the person is now in medical care ("đang trên xe cấp cứu")."""
        return _says(text, self.self_harm["in_care"])

    def self_harm_says(self, key: str, text: str) -> bool:
        """Whether `text` uses the cues of the self-harm protocol's item `key`."""
        return _says(text, self.self_harm[key])

    def self_harm_better(self, text: str) -> bool:
        """Whether `text` says they feel better ("em thấy đỡ hơn rồi"), with no attempt told."""
        return _says(text, self.self_harm["better"])

    def self_harm_ok(self, text: str) -> bool:
        """Whether `text` says they feel fine now ("em ổn rồi"): after an attempt, still 115."""
        return _says(text, self.self_harm["attempt_ok"])

    def urgent_first(self, situation: str, audience: str | None) -> str:
        """The first reply of the urgent protocol for one situation."""
        for item in self.urgent_danger["situations"]:
            if item["key"] == situation:
                return _pick(item, audience)
        raise KeyError(situation)

    def protocol(self, intent: str, key: str, audience: str | None, **values: str) -> str:
        """A turn of the urgent_danger or self_harm protocol (offer, handed_over, …).

        `values` fill its placeholders ("{minutes}" in handed_over).
        """
        source = self.urgent_danger if intent == "urgent_danger" else self.self_harm
        text = _pick(source[key], audience)
        return text.format(**values) if values else text


@functools.lru_cache(maxsize=4)
def load_content(folder: str = str(ROOT / "content")) -> Content:
    """The content of `folder`, loaded once per process."""
    return Content.load(Path(folder))
