"""Evaluation of the triage: accuracy, macro-F1, urgent recall/precision, splits, confusions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from bot.nlu.datacheck import Example
from bot.nlu.rules import RuleSet
from bot.nlu.textnorm import has_diacritics
from bot.nlu.triage import URGENT_INTENTS, decide


@dataclass
class Prediction:
    """The gold label of one example and what the bot decided."""

    text: str
    gold: str
    intent: str
    urgent: bool
    grey: bool = False  # not urgent, answered after a safety check


@dataclass
class Scores:
    """Metrics over a set of predictions."""

    n: int
    accuracy: float
    macro_f1: float
    urgent_recall: float
    urgent_precision: float
    urgent_support: int
    grey_share: float = 0.0  # share of the non-urgent messages that got the safety check
    per_intent: dict[str, dict[str, float]] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {**self.__dict__, "confusions": [list(c) for c in self.confusions]}


def _ratio(num: int, den: int, empty: float) -> float:
    return num / den if den else empty


def score(predictions: list[Prediction]) -> Scores:
    """Compute every metric of `donghanh eval` over `predictions`."""
    n = len(predictions)
    labels = sorted({p.gold for p in predictions} | {p.intent for p in predictions})
    per_intent: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(p.gold == label and p.intent == label for p in predictions)
        predicted = sum(p.intent == label for p in predictions)
        support = sum(p.gold == label for p in predictions)
        precision = _ratio(tp, predicted, 0.0)
        recall = _ratio(tp, support, 0.0)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = {"precision": precision, "recall": recall, "f1": f1,
                             "support": support}  # fmt: skip
    gold_urgent = [p for p in predictions if p.gold in URGENT_INTENTS]
    flagged = [p for p in predictions if p.urgent]
    supported = [v["f1"] for v in per_intent.values() if v["support"] > 0]
    confusions = Counter((p.gold, p.intent) for p in predictions if p.gold != p.intent)
    return Scores(
        n=n,
        accuracy=_ratio(sum(p.gold == p.intent for p in predictions), n, 0.0),
        macro_f1=sum(supported) / len(supported) if supported else 0.0,
        urgent_recall=_ratio(sum(p.urgent for p in gold_urgent), len(gold_urgent), 1.0),
        urgent_precision=_ratio(sum(p.gold in URGENT_INTENTS for p in flagged), len(flagged), 1.0),
        urgent_support=len(gold_urgent),
        grey_share=_ratio(
            sum(p.grey for p in predictions if p.gold not in URGENT_INTENTS),
            n - len(gold_urgent),
            0.0,
        ),
        per_intent=per_intent,
        confusions=[(g, i, c) for (g, i), c in confusions.most_common(10)],
    )


def split_by_diacritics(predictions: list[Prediction]) -> dict[str, Scores]:
    """Scores for messages typed with diacritics and for those typed without any."""
    with_marks = [p for p in predictions if has_diacritics(p.text)]
    without = [p for p in predictions if not has_diacritics(p.text)]
    return {"with_diacritics": score(with_marks), "without_diacritics": score(without)}


async def predict(parser: Any, examples: list[Example]) -> list[Prediction]:
    """Parse every example with a `bot.parser.Parser` and pair it with its gold label."""
    return predictions_from(examples, [await parser.parse(e.text) for e in examples])


def predictions_from(examples: list[Example], results: list[dict[str, Any]]) -> list[Prediction]:
    """Pair gold examples with `donghanh parse` results."""
    return [Prediction(e.text, e.intent, r["intent"], bool(r["urgent"]), bool(r.get("grey")))
            for e, r in zip(examples, results, strict=True)]  # fmt: skip


def report(predictions: list[Prediction]) -> str:
    """The human-readable report printed by `donghanh eval`."""
    overall = score(predictions)
    parts = split_by_diacritics(predictions)
    lines = [
        f"examples            {overall.n}",
        f"accuracy            {overall.accuracy:.3f}",
        f"macro-F1            {overall.macro_f1:.3f}",
        f"urgent recall       {overall.urgent_recall:.3f}  ({overall.urgent_support} urgent)",
        f"urgent precision    {overall.urgent_precision:.3f}",
        f"safety check first  {overall.grey_share:.3f}  (share of the non-urgent messages)",
        "",
        "split                 n  accuracy  macro-F1  urgent-recall  urgent-precision",
    ]
    for name, s in parts.items():
        lines.append(f"{name:20} {s.n:3}  {s.accuracy:8.3f}  {s.macro_f1:8.3f}  "
                     f"{s.urgent_recall:13.3f}  {s.urgent_precision:16.3f}")  # fmt: skip
    lines += ["", "intent                     precision  recall     f1  support"]
    for label, v in sorted(overall.per_intent.items()):
        lines.append(f"{label:26} {v['precision']:9.3f}  {v['recall']:6.3f}  {v['f1']:5.3f}  "
                     f"{int(v['support']):7}")  # fmt: skip
    lines += ["", "most confused (gold -> predicted)"]
    lines += [f"  {g} -> {i}: {c}" for g, i, c in overall.confusions] or ["  none"]
    return "\n".join(lines)


def _layers(
    result: dict[str, Any], rules: RuleSet, *, use_rules: bool, detector: str | None
) -> tuple[str, bool]:
    """The intent and urgent decision `triage.decide` makes with only some layers switched on.

    `detector` is None (off), "whole" (the whole message only) or "parts" (as the bot runs it).
    """
    ranking = [{"name": r["intent"], "confidence": r["confidence"]}
               for r in result.get("ranking") or []]  # fmt: skip
    if not ranking:
        return result["intent"], bool(result["urgent"])
    found = result.get("urgency") or None
    urgency = None
    if found and detector == "whole":
        urgency = {**found, "score": found.get("whole", 0.0), "evidence": ""}
    elif found and detector == "parts":
        urgency = found
    decision = decide(result.get("text") or "", ranking[0]["name"],
                      float(ranking[0]["confidence"]), ranking,
                      rules if use_rules else replace(rules, rules=[]),
                      urgency=urgency)  # fmt: skip
    return decision.intent, decision.urgent


LAYERS: dict[str, tuple[bool, str | None]] = {
    "intent model only": (False, None),
    "intent + rules": (True, None),
    "intent + detector, whole message": (False, "whole"),
    "intent + detector, sentence by sentence": (False, "parts"),
    "all three, detector on the whole message": (True, "whole"),
    "all three (the bot)": (True, "parts"),
}


def ablations(
    examples: list[Example], results: list[dict[str, Any]], rules: RuleSet
) -> dict[str, Scores]:
    """Scores of each combination of layers in `LAYERS`, from the same `donghanh parse` results."""
    table: dict[str, Scores] = {}
    for name, (use_rules, detector) in LAYERS.items():
        decided = [_layers(r, rules, use_rules=use_rules, detector=detector) for r in results]
        table[name] = score([Prediction(e.text, e.intent, intent, urgent)
                             for e, (intent, urgent)
                             in zip(examples, decided, strict=True)])  # fmt: skip
    return table


def ablation_report(table: dict[str, Scores]) -> str:
    """The layers table printed by `donghanh eval --layers`."""
    lines = [
        "layers                                      accuracy  urgent-recall  urgent-precision"
    ]
    for name, s in table.items():
        lines.append(f"{name:42} {s.accuracy:9.3f}  {s.urgent_recall:13.3f}  "
                     f"{s.urgent_precision:16.3f}")  # fmt: skip
    return "\n".join(lines)
