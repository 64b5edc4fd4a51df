"""The final triage decision: the model's intent, corrected by the safety net's rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.nlu.clauses import sentences
from bot.nlu.rules import RuleSet
from bot.nlu.textnorm import normalize_text

URGENT_INTENTS = ("urgent_danger", "self_harm")
URGENT_THRESHOLD = 0.7  # the urgency detector's score from which a message is urgent
GREY_THRESHOLD = 0.35  # ... from which it gets the safety check first (chosen on tests/nlu/dev.yml)
LONG_THRESHOLD = 0.9  # ... in a letter (`bot.nlu.urgency.LONG_WORDS`), where many parts are scored
SHORT_WORDS = 3  # a message this short, that the model is sure of, is only grey for the detector
SURE_MODEL = 0.95  # a topic the model is this sure of ...
SURE_GREY_THRESHOLD = 0.6  # ... is grey only from this detector score
UNSURE_CONFIDENCE = 0.5  # an urgent intent below this, without the detector, is only grey
SELF_HARM = "self_harm"
INTENT_OF = {"danger": "urgent_danger", "self_harm": "self_harm"}  # detector category -> intent


@dataclass
class Decision:
    """What the safety net decided for one message."""

    intent: str
    confidence: float
    urgent: bool
    # "rule", "model", "detector", "model_ranking", "figure_of_speech", "safe_word", "unsure_model"
    reason: str | None = None
    rules: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    score: float = 0.0  # the urgency detector's score (0 when it did not run)
    grey: bool = False  # not urgent, but not sure enough to say so: a safety check comes first

    def as_dict(self) -> dict[str, Any]:
        """The `safety` property added to the parse result."""
        return {"urgent": self.urgent, "grey": self.grey, "reason": self.reason,
                "rules": self.rules, "evidence": self.evidence,
                "score": round(self.score, 4)}  # fmt: skip


def _best_non_urgent(ranking: list[dict[str, Any]]) -> tuple[str, float]:
    for item in ranking:
        if item["name"] not in URGENT_INTENTS:
            return item["name"], float(item["confidence"])
    return "out_of_scope", 0.0


def _detector_doubtful(text: str, evidence: str, rules: RuleSet) -> bool:
    """Whether the detector alone, against the model and the rules, should only make it grey.

    When the sentence the detector found reads as a general question ("nếu bị dọa tung ảnh thì…",
    "… là gì") or holds a figure of speech ("nóng muốn chết luôn"), one urgent-sounding clause is
    weaker evidence than a model that read the whole message as a topic: the person gets the safety
    check with 111 first, not the urgent protocol. So is a story the message itself says is over.
    """
    sentence = _sentence_of(text, evidence)
    if rules.is_resolved(rules.prepare(text)):  # "…gọi lại trường thì con vẫn đi học bình thường"
        return True
    return rules.has_figure_of_speech(sentence) or rules.is_generic(rules.prepare(sentence))


def _sentence_of(text: str, evidence: str) -> str:
    """The sentence of `text` that holds the detector's evidence (the whole text if none does).

    In a letter, "làm sao" in its last sentence does not make a sentence in the middle general.
    """
    for sentence in sentences(text):
        if evidence and evidence in normalize_text(sentence):
            return sentence
    return text


def decide(
    text: str,
    intent: str,
    confidence: float,
    ranking: list[dict[str, Any]],
    rules: RuleSet,
    *,
    veto_confidence: float = 0.7,
    urgent_floor: float = 0.0,
    urgency: dict[str, Any] | None = None,
    urgent_threshold: float = URGENT_THRESHOLD,
    long_threshold: float = LONG_THRESHOLD,
    grey_threshold: float = GREY_THRESHOLD,
    unsure_confidence: float = UNSURE_CONFIDENCE,
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
       An unsure model (below `unsure_confidence`) that the detector does not back (below
       `grey_threshold`) gets the grey answer instead: "Vâng, con tôi 13 tuổi, đang học lớp 8"
       was `urgent_danger` at 0.42 with nothing urgent in it;
    3. the urgency detector (`urgency`, `bot.nlu.urgency`) scores a part of the message at least
       `urgent_threshold` -> urgent, as the detector's category; but only grey when the message
       reads as a general question or holds a figure of speech (`_detector_doubtful`);
    4. a safe word ("111", "trợ giúp") -> ask_hotline, which brings back the help contacts;
    5. an urgent intent scores at least `urgent_floor` in the ranking -> urgent (0 turns this off);
    6. the detector scores at least `grey_threshold` -> not urgent but grey: the answer starts with
       a short safety check and 111, then the topic.
    """
    score = float((urgency or {}).get("score") or 0.0)
    part = str((urgency or {}).get("evidence") or "")
    detected_intent = INTENT_OF.get(str((urgency or {}).get("category") or ""), "urgent_danger")
    hits = rules.match(text)
    if hits:
        categories = [h.category for h in hits]
        kept = intent in URGENT_INTENTS and (confidence >= veto_confidence or intent in categories)
        final = intent if kept else categories[0]
        if SELF_HARM in categories:  # words of suicide or self-harm: the care for that comes first
            final = SELF_HARM
        return Decision(final, 1.0 if final != intent else confidence, True, "rule",
                        [h.rule for h in hits], [h.evidence for h in hits], score)  # fmt: skip
    threshold = long_threshold if (urgency or {}).get("long") else urgent_threshold
    detected = urgency is not None and score >= threshold
    if intent in URGENT_INTENTS:
        if not detected and confidence < veto_confidence and rules.has_figure_of_speech(text):
            name, conf = _best_non_urgent(ranking)
            return Decision(name, conf, False, "figure_of_speech", score=score,
                            grey=urgency is not None and score >= grey_threshold)  # fmt: skip
        if urgency is not None and confidence < unsure_confidence and score < grey_threshold:
            name, conf = _best_non_urgent(ranking)
            return Decision(name, conf, False, "unsure_model", score=score, grey=True)
        if detected and confidence < veto_confidence and detected_intent != intent:
            # an unsure model and a sure detector disagree on the kind of urgency: the detector
            # read it sentence by sentence ("bảo 'mày giữ đi, tao không cần nữa'" is self-harm)
            return Decision(detected_intent, score, True, "detector", evidence=[part],
                            score=score)  # fmt: skip
        return Decision(intent, confidence, True, "model", evidence=[part] if part else [],
                        score=score)  # fmt: skip
    if detected and (
        _detector_doubtful(text, part, rules)
        or (confidence >= SURE_MODEL and len(text.split()) <= SHORT_WORDS)
    ):  # a very short message the model is sure of: "hẹn gặp lại" is a goodbye, not a meeting
        return Decision(intent, confidence, False, "unsure_detector", evidence=[part], score=score,
                        grey=True)  # fmt: skip
    if detected:
        return Decision(detected_intent, score, True, "detector", evidence=[part], score=score)
    if rules.is_safe_word(text):
        return Decision("ask_hotline", 1.0, False, "safe_word", score=score)
    if urgent_floor > 0:
        for item in ranking:
            if item["name"] in URGENT_INTENTS and float(item["confidence"]) >= urgent_floor:
                return Decision(item["name"], float(item["confidence"]), True, "model_ranking",
                                score=score)  # fmt: skip
    # A model sure of its topic needs a stronger doubt: "nick fb cua e bi hack mat roi" (0.38).
    needed = (
        max(grey_threshold, SURE_GREY_THRESHOLD) if confidence >= SURE_MODEL else grey_threshold
    )
    grey = urgency is not None and score >= needed
    return Decision(intent, confidence, False, "unsure_detector" if grey else None,
                    evidence=[part] if grey else [], score=score, grey=grey)  # fmt: skip
