"""Checks on NLU training data: counts, no-diacritics share, teencode, long messages, duplicates.

Run `python -m bot.nlu.datacheck [FILES...]` (default: nlu_data/nlu/*.yml) for a table; the test
suite calls `check()` and fails on any problem it reports.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.nlu.textnorm import fold, has_diacritics, is_teencode, words

ROOT = Path(__file__).resolve().parents[2]
LABELS_URGENT = ("urgent_danger", "self_harm")
LABELS_TOPIC = (
    "ask_grooming", "ask_sextortion", "ask_cyberbullying", "ask_harmful_content", "ask_scam",
    "ask_privacy", "ask_account_security", "ask_screen_time", "ask_parental_controls",
    "ask_dangerous_challenge", "ask_fake_news", "ask_reporting", "ask_talk_with_child",
    "ask_digital_skills",
)  # fmt: skip
LABELS_CONVERSATION = (
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "ask_capabilities",
    "out_of_scope", "request_human", "ask_hotline", "ask_anonymity",
)  # fmt: skip
ALL_LABELS = LABELS_URGENT + LABELS_TOPIC + LABELS_CONVERSATION
MINIMUM = {**{i: 60 for i in LABELS_URGENT}, **{i: 40 for i in LABELS_TOPIC}}
MINIMUM.update({i: 20 for i in LABELS_CONVERSATION})
MIN_LONG = 3  # long messages per risk and urgent intent
SHARE_NO_DIACRITICS = 0.30
SHARE_TEENCODE = 0.15
_SENTENCE_END = re.compile(r"[.!?…]+(\s|$)")


@dataclass
class Example:
    """One training example and where it came from."""

    intent: str
    text: str
    source: str


@dataclass
class Report:
    """What `check()` found."""

    examples: list[Example]
    problems: list[str] = field(default_factory=list)


def load_examples(paths: list[Path]) -> list[Example]:
    """Read Rasa NLU YAML files and return their intent examples."""
    found: list[Example] = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            if "intent" not in block:
                continue
            for line in str(block.get("examples", "")).splitlines():
                text = line.strip()
                if text.startswith("- "):
                    found.append(Example(block["intent"], text[2:].strip(), str(path)))
    return found


def is_long(text: str) -> bool:
    """A long message has three or more sentences."""
    return len(_SENTENCE_END.findall(text.strip() + " ")) >= 3


def uses_teencode(text: str) -> bool:
    """True when any word of the message is a listed abbreviation or teencode form."""
    return any(is_teencode(w) for w in words(text))


def check(paths: list[Path], *, labels: tuple[str, ...] = ALL_LABELS) -> Report:
    """Check the quotas of issue 2 and the hygiene of the data; return every problem found."""
    report = Report(load_examples(paths))
    ex = report.examples
    by_intent: dict[str, list[Example]] = {}
    for e in ex:
        by_intent.setdefault(e.intent, []).append(e)
    for intent in labels:
        items = by_intent.get(intent, [])
        if len(items) < MINIMUM[intent]:
            report.problems.append(f"{intent}: {len(items)} examples, need {MINIMUM[intent]}")
        if intent not in LABELS_CONVERSATION:
            n_long = sum(is_long(e.text) for e in items)
            if n_long < MIN_LONG:
                report.problems.append(f"{intent}: {n_long} long messages, need {MIN_LONG}")
    for intent in by_intent:
        if intent not in ALL_LABELS:
            report.problems.append(f"{intent}: not a label of the contract")
    if ex:
        plain = sum(not has_diacritics(e.text) for e in ex) / len(ex)
        teen = sum(uses_teencode(e.text) for e in ex) / len(ex)
        if plain < SHARE_NO_DIACRITICS:
            report.problems.append(f"no-diacritics share {plain:.0%} < {SHARE_NO_DIACRITICS:.0%}")
        if teen < SHARE_TEENCODE:
            report.problems.append(f"teencode share {teen:.0%} < {SHARE_TEENCODE:.0%}")
    seen: dict[str, Example] = {}
    for e in ex:
        if unicodedata.normalize("NFC", e.text) != e.text:
            report.problems.append(f"not NFC: {e.text!r} ({e.source})")
        key = fold(e.text)
        if key in seen and seen[key].intent != e.intent:
            report.problems.append(f"same text under {seen[key].intent} and {e.intent}: {e.text!r}")
        seen.setdefault(key, e)
    return report


def summary(report: Report) -> str:
    """A per-intent table of counts, shares and long messages."""
    rows = ["intent                    n  plain  teen  long"]
    by_intent: dict[str, list[Example]] = {}
    for e in report.examples:
        by_intent.setdefault(e.intent, []).append(e)
    for intent, items in sorted(by_intent.items()):
        n = len(items)
        plain = sum(not has_diacritics(e.text) for e in items) / n
        teen = sum(uses_teencode(e.text) for e in items) / n
        n_long = sum(is_long(e.text) for e in items)
        rows.append(f"{intent:24} {n:3}  {plain:5.0%} {teen:5.0%} {n_long:4}")
    n = len(report.examples) or 1
    plain = sum(not has_diacritics(e.text) for e in report.examples) / n
    teen = sum(uses_teencode(e.text) for e in report.examples) / n
    rows.append(f"{'TOTAL':24} {len(report.examples):3}  {plain:5.0%} {teen:5.0%}")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    """Print the table and the problems; exit 1 when there are problems."""
    paths = [Path(a) for a in argv] or sorted((ROOT / "nlu_data" / "nlu").glob("*.yml"))
    labels: tuple[str, ...] = ALL_LABELS
    if argv:  # only the intents present in the files named
        present = {e.intent for e in load_examples(paths)}
        labels = tuple(label for label in ALL_LABELS if label in present)
    report = check(paths, labels=labels)
    print(summary(report))
    for p in report.problems:
        print("PROBLEM:", p)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
