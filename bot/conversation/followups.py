"""A message after a topic answer, read inside that topic first.

"Có nên chuyển tiền cho nó không?" after the sextortion answer asks that topic's `pay` follow-up;
"nút báo cáo trên Roblox ở đâu" asks Roblox's report steps; "còn cách nào khác" the next follow-up
not yet shown. The cues are content (content/dialogue.yml, each follow-up's `cues:`,
content/platforms.yml); this module only matches them. Pure: no Rasa, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from bot.nlu.textnorm import fold, has_diacritics, normalize_text


@dataclass(frozen=True)
class Choice:
    """What to answer inside a topic."""

    kind: str  # "item" (a follow-up), "platform", "unknown" (a question we cannot answer)
    topic: str
    item: str | None = None
    platform: str | None = None
    strength: int = 0  # 2: a cue of the item itself or a named platform; 1: a generic cue

    @property
    def key(self) -> str:
        """What was shown, for the slot `shown`."""
        return f"{self.platform}:{self.item}" if self.platform else str(self.item)


def _folded(text: str) -> str:
    return f" {fold(text)} "


def _has(folded: str, cues: Iterable[str]) -> bool:
    return any(f" {fold(str(cue))} " in folded for cue in cues)


def _has_accented(accented: str, cues: Iterable[str]) -> bool:
    """`_has` on a spaced, normalised text that keeps its diacritics."""
    return any(f" {normalize_text(str(cue))} " in accented for cue in cues)


def _has_as_typed(text: str, cues: Iterable[str]) -> bool:
    """`_has`, with the diacritics when the text has them: "chán" (bored) is not "chặn" (block)."""
    if not has_diacritics(text):
        return _has(_folded(text), cues)
    return _has_accented(f" {normalize_text(text)} ", cues)


def _blanked(form: str, cues: Iterable[str], norm: Callable[[str], str]) -> str:
    """`form` (a spaced, normalised text) with each cue, normalised by `norm`, blanked out."""
    for cue in cues:
        form = form.replace(f" {norm(str(cue))} ", " _ ")
    return form


def _first_cue(folded: str, cues: Iterable[str]) -> int | None:
    """Where the earliest cue starts in `folded` (None if none)."""
    found = [folded.find(f" {fold(str(c))} ") for c in cues]
    hits = [i for i in found if i >= 0]
    return min(hits) if hits else None


MIN_SHARED = 2
ACK_WORDS = 6  # an acknowledgement is short; a longer message says something
# "có mất tiền không", "họ có gọi cho bố mẹ em không, em sợ lắm"
ENDS_ASKING = re.compile(
    r"\b(khong|chua|nhi|ha|hong)( (a|ah|vay|nhe|nha|ta))? *[.!…]* *$"
    r"|\bco\b[^,.!?]*\b(khong|chua) *[,.!?…]"
    r"|\bco\b[^,.!?]*\bkhong hay\b"  # "họ có đến ngay không hay phải gọi 113"
)
LONGEST_MIN = 10  # letters of the cue (accents off) that name a follow-up across topics
ENDS_WHAT_TO_DO = re.compile(
    r"\blam (sao|gi)( (tiep|tiep theo|nua|day|bay gio|gio|ha|a|nhi|bay h))? *[?.!…]* *$"
)
US_OR_111 = ("bot", "ad", "admin", "đồng hành", "bên mình", "tư vấn viên", "các anh chị",
             "anh chị có", "mấy anh chị", "app này", "họ có", "111", "tổng đài")  # fmt: skip
NOT_KIDDING = ("khong phai dua", "khong dua", "chang dua", "dau co dua")
# Two-word phrases that say nothing about the subject.
_STOP = frozenset({
    "co nen", "nen khong", "co the", "the nao", "lam sao", "duoc khong", "phai lam", "lam gi",
    "bay gio", "khong a", "co khong", "nhu the", "nhu nao", "cho toi", "toi co", "em co", "minh co",
    "cua con", "cho con", "con toi", "cua em",
})  # fmt: skip


def _pairs(folded: str) -> set[str]:
    """The two-word phrases of a folded text, punctuation and stop phrases left out."""
    words = [w for w in folded.split() if w.isalnum()]
    return {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)} - _STOP


class Followups:
    """Match follow-up questions against the content's cues."""

    def __init__(self, topics: dict[str, dict[str, Any]], dialogue: dict[str, Any],
                 platforms: dict[str, Any]) -> None:  # fmt: skip
        """Keep the parts of the content the matching needs."""
        self.topics = topics
        self.generic: dict[str, list[str]] = dialogue.get("followup_cues") or {}
        self.more: list[str] = dialogue.get("more_cues") or []
        self.platform_cues: dict[str, list[str]] = dialogue.get("platform_cues") or {}
        self.questions: list[str] = dialogue.get("question_cues") or []
        self.change: list[str] = dialogue.get("change_cues") or []
        self.waiting: list[str] = dialogue.get("waiting_cues") or []
        self.waiting_phrases = [c for c in self.waiting if " " in str(c).strip()]
        self.waiting_words = [c for c in self.waiting if " " not in str(c).strip()]
        self.waiting_questions: list[str] = dialogue.get("waiting_question_cues") or []
        self.asking_while_waiting: list[str] = dialogue.get("asking_while_waiting_cues") or []
        self.later: list[str] = dialogue.get("later_cues") or []
        self.kidding: list[str] = dialogue.get("kidding_cues") or []
        self.tell_adult: list[str] = dialogue.get("tell_adult_cues") or []
        self.acks: list[str] = dialogue.get("ack_cues") or []
        self.person: list[str] = dialogue.get("person_cues") or []
        self.human: list[str] = dialogue.get("human_cues") or []
        self.platforms: dict[str, Any] = platforms.get("platforms") or {}

    def items(self, topic: str) -> dict[str, Any]:
        """The follow-ups of a topic, in file order (the topic's own first)."""
        return dict((self.topics.get(topic) or {}).get("followups") or {})

    def own_item(self, text: str, topic: str) -> str | None:
        """The follow-up of `topic` whose own cues the message uses (earliest in the text wins)."""
        folded = _folded(text)
        best: tuple[int, str] | None = None
        for key, item in self.items(topic).items():
            at = _first_cue(folded, item.get("cues") or [])
            if at is not None and (best is None or at < best[0]):
                best = (at, key)
        return best[1] if best else None

    def any_item(self, text: str, first: Iterable[str] = ()) -> Choice | None:
        """A follow-up of any topic whose own cues the message uses (`first` looked at first)."""
        order = list(dict.fromkeys([*first, *self.topics]))
        for topic in order:
            key = self.own_item(text, topic)
            if key is not None:
                return Choice("item", topic, key, strength=2)
        return None

    def decisive_items(self, text: str) -> list[Choice]:
        """The follow-ups marked `decisive` whose own cues the message uses, in any topic.

        For subjects no topic's first answer covers and the intent model reads as a neighbour
        ("cho thuê tk ngân hàng" as privacy, "nhóm bán pod" as bullying, a dead mother's Facebook
        as a danger): their own answer whatever topic the model names (multiturn16).
        """
        folded = _folded(text)
        return [
            Choice("item", topic, str(key), strength=2)
            for topic in self.topics
            for key, item in self.items(topic).items()
            if item.get("decisive")
            and _first_cue(folded, item.get("cues") or []) is not None
            # `requires`: one of these too ("tài khoản ngân hàng" names renting it out only with
            # "cho thuê", "hoa hồng"…; a 15-year-old's first account is another question)
            and (not item.get("requires") or _first_cue(folded, item["requires"]) is not None)
            and _first_cue(folded, item.get("unless") or []) is None  # "tố cáo đường dây thuê tk"
        ]

    def longest_item(self, text: str) -> Choice | None:
        """The follow-up of any topic whose longest own cue the message uses (the most specific).

        For a question inside a protocol that neither its topic nor the NLU's guesses answer:
        "đòi em trả lại tiền quà đã tặng" names grooming's gifts answer more closely than "bố mẹ"
        names anything.
        """
        folded = _folded(text)
        best: tuple[int, str, str] | None = None
        for topic in self.topics:
            for key, item in self.items(topic).items():
                for cue in item.get("cues") or []:
                    form = fold(str(cue))
                    if f" {form} " in folded and (best is None or len(form) > best[0]):
                        best = (len(form), topic, key)
        if best is None or best[0] < LONGEST_MIN:
            return None
        return Choice("item", best[1], best[2], strength=2)

    def platform(self, text: str) -> str | None:
        """The platform the message names, if any."""
        folded = _folded(text)
        for key, platform in self.platforms.items():
            if _has(folded, platform.get("names") or [key]):
                return str(key)
        return None

    def platform_steps(self, text: str) -> tuple[str, str] | None:
        """The platform a message names and what it asks to do there (report, block, privacy)."""
        platform = self.platform(text)
        if platform is None:
            return None
        action = self._platform_action(text, platform)
        return (platform, action) if action else None

    def is_question(self, text: str) -> bool:
        """Whether the message asks something ("…có mất tiền không" ends a question too)."""
        folded = _folded(text)
        return "?" in text or _has(folded, self.questions) or bool(ENDS_ASKING.search(folded))

    def about_waiting(self, text: str) -> bool:
        """Whether the message is about the wait itself ("bao lâu nữa", "có ai không").

        "Trong lúc chờ thì cho em hỏi…" asks a question while waiting: not about the wait.
        """
        if _has(_folded(text), self.asking_while_waiting):
            return False  # "chị vẫn đang chờ đây, trong lúc chờ thì cho chị hỏi luôn là…"
        folded = _blanked(_folded(text), self.waiting_questions, fold)
        if _has(folded, self.waiting_phrases):
            return True
        if not has_diacritics(text):
            return False  # "cho", "doi" alone may be "cho em hỏi", "đổi": too unsure
        # a one-word cue counts with its diacritics: "chờ" is not "cho", "đợi" not "đổi"
        accented = _blanked(f" {normalize_text(text)} ", self.waiting_questions, normalize_text)
        return _has_accented(accented, self.waiting_words)

    def is_kidding(self, text: str) -> bool:
        """Whether the person says they were joking ("đùa thôi, test bot thôi")."""
        folded = _folded(text)
        if any(f" {n} " in folded for n in NOT_KIDDING):
            return False  # "em không đùa đâu", "không phải đùa thôi"
        return _has(folded, self.kidding)

    def asks_if_human(self, text: str) -> bool:
        """Whether the person asks if a real person is there ("có người thật ở đó không")."""
        return self.is_question(text) and _has(_folded(text), self.human)

    def asks_for_a_person(self, text: str) -> bool:
        """Whether the message asks for a counsellor in words ("muốn gặp người tư vấn")."""
        return _has(_folded(text), self.person)

    def asks_to_tell_an_adult(self, text: str) -> bool:
        """Whether the person asks if they should tell or wake a parent ("đánh thức mẹ luôn hả").

        Not "bot có báo bố mẹ em không?": that asks whether *we* tell (`asks_if_we_tell`).
        """
        return (
            self.is_question(text)
            and _has(_folded(text), self.tell_adult)
            and not self.asks_if_we_tell(text)
        )

    def asks_if_we_tell(self, text: str) -> bool:
        """Whether the person asks if we (or 111) tell their family ("bot có báo bố mẹ em ko")."""
        folded = _folded(text)
        return (
            self.is_question(text)
            and (_has(folded, self.tell_adult) or _has(folded, ["gọi cho bố mẹ", "gọi cho ba mẹ"]))
            and _has(folded, US_OR_111)
        )

    def asks_what_to_do(self, text: str) -> bool:
        """Whether the message asks what to do now ("giờ làm sao", "… thì bà làm sao?")."""
        folded = _folded(text)
        return _has(folded, self.generic.get("steps") or []) or bool(ENDS_WHAT_TO_DO.search(folded))

    def is_ack(self, text: str) -> bool:
        """Whether a short message only takes the answer in ("Ừ để chị thử", "ok", "uk")."""
        words = text.split()
        if not words or len(words) > ACK_WORDS or self.is_question(text):
            return False
        return _has(_folded(text), self.acks)

    def comes_back_later(self, text: str) -> bool:
        """Whether the person will come back later ("mai em nhắn lại ở đây được không?")."""
        return _has(_folded(text), self.later)

    def changes_subject(self, text: str) -> bool:
        """Whether the person leaves the topic ("hỏi chuyện khác")."""
        return _has(_folded(text), self.change)

    def choose(self, text: str, topic: str, shown: Iterable[str] = ()) -> Choice | None:
        """The follow-up of `topic` this message asks for; None if it asks none of them.

        Order: the item's own cues; a named platform with what to do there; the generic cue of a
        standard follow-up (report, steps, law, talk, signs, tools) the topic has; "another way"
        (the next follow-up not shown yet).
        """
        folded = _folded(text)
        items = self.items(topic)
        own = self.own_item(text, topic)
        if own is not None:
            return Choice("item", topic, own, strength=2)
        platform = self.platform(text)
        if platform is not None:
            action = self._platform_action(text, platform)
            if action is not None:
                return Choice("platform", topic, action, platform, strength=2)
        for key, cues in self.generic.items():
            if key in items and _has(folded, cues):
                return Choice("item", topic, key, strength=1)
        if _has(folded, self.more):
            seen = set(shown)
            for key in items:
                if key not in seen:
                    return Choice("item", topic, key, strength=1)
            return Choice("unknown", topic, strength=1)
        return None

    def closest(self, text: str, topic: str, shown: Iterable[str] = ()) -> Choice | None:
        """The follow-up not yet shown whose words a question shares most (two-word phrases).

        For a question the cues do not name ("có nên gửi mã OTP không?"): the item whose title,
        cues and text share at least `MIN_SHARED` two-word phrases with it, if one clearly leads.
        """
        asked = _pairs(fold(text))
        if not asked:
            return None
        seen = set(shown)
        scores = []
        for key, item in self.items(topic).items():
            if key in seen:
                continue
            words = " ".join(str(item.get(k) or "") for k in ("title", "parent", "child"))
            words += " " + " ".join(str(c) for c in item.get("cues") or [])
            scores.append((len(asked & _pairs(fold(words))), key))
        scores.sort(reverse=True)
        if not scores or scores[0][0] < MIN_SHARED:
            return None
        if len(scores) > 1 and scores[1][0] == scores[0][0]:
            return None  # no clear lead
        return Choice("item", topic, scores[0][1], strength=1)

    def _platform_action(self, text: str, platform: str) -> str | None:
        guide = self.platforms.get(platform) or {}
        for action, cues in self.platform_cues.items():
            if action in guide and _has_as_typed(text, cues):
                return action
        if "report" in guide and _has_as_typed(text, self.generic.get("report") or []):
            return "report"
        return None
