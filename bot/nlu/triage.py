"""The final triage decision: the model's intent, corrected by the safety net's rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.nlu.rules import RuleSet

URGENT_INTENTS = ("urgent_danger", "self_harm")
SELF_HARM = "self_harm"


@dataclass
class Decision:
    """What the safety net decided for one message."""

    intent: str
    confidence: float
    urgent: bool
    reason: str | None = None  # "model", "rule", "model_ranking", "figure_of_speech", "safe_word"
    rules: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The `safety` property added to the parse result."""
        return {"urgent": self.urgent, "reason": self.reason, "rules": self.rules,
                "evidence": self.evidence}  # fmt: skip


def _best_non_urgent(ranking: list[dict[str, Any]]) -> tuple[str, float]:
    for item in ranking:
        if item["name"] not in URGENT_INTENTS:
            return item["name"], float(item["confidence"])
    return "out_of_scope", 0.0


def decide(
    text: str,
    intent: str,
    confidence: float,
    ranking: list[dict[str, Any]],
    rules: RuleSet,
    *,
    veto_confidence: float = 0.7,
    urgent_floor: float = 0.0,
) -> Decision:
    """Decide the final intent and whether the message is urgent.

    Order of precedence, recall first:
    1. a rule fires -> urgent; the final intent is `self_harm` if a self-harm rule fired (words of
       suicide or self-injury: that care comes first, whatever else the message says); otherwise the
       model's if it is urgent and either sure (at least `veto_confidence`) or the category of a
       rule that fired, else the first rule's category: "bạn trên roblox hẹn gặp em chiều nay ở cổng
       trường" is a meeting (urgent_danger), not the self_harm an unsure model ranked first (0.42);
    2. the model says urgent -> urgent, unless the only evidence is a figure of speech the rules
       blanked and the model is unsure (below `veto_confidence`): "đói chết đi được";
    3. a safe word ("111", "giúp", "help") -> ask_hotline, which brings back the help contacts;
    4. an urgent intent scores at least `urgent_floor` in the ranking -> urgent (0 turns this off).
    """
    hits = rules.match(text)
    if hits:
        categories = [h.category for h in hits]
        kept = intent in URGENT_INTENTS and (confidence >= veto_confidence or intent in categories)
        final = intent if kept else categories[0]
        if SELF_HARM in categories:  # words of suicide or self-harm: the care for that comes first
            final = SELF_HARM
        return Decision(final, 1.0 if final != intent else confidence, True, "rule",
                        [h.rule for h in hits], [h.evidence for h in hits])  # fmt: skip
    if intent in URGENT_INTENTS:
        if confidence < veto_confidence and rules.has_figure_of_speech(text):
            name, conf = _best_non_urgent(ranking)
            return Decision(name, conf, False, "figure_of_speech")
        return Decision(intent, confidence, True, "model")
    if rules.is_safe_word(text):
        return Decision("ask_hotline", 1.0, False, "safe_word")
    if urgent_floor > 0:
        for item in ranking:
            if item["name"] in URGENT_INTENTS and float(item["confidence"]) >= urgent_floor:
                return Decision(item["name"], float(item["confidence"]), True, "model_ranking")
    return Decision(intent, confidence, False)
