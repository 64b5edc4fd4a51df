"""The safety net's rules: phrase patterns kept as data in `data/safety_rules.yml`, matched here.

A phrase is written once, in Vietnamese with diacritics ("muốn chết"). Each of its words matches the
same word as typed with diacritics, or the same word typed without any ("muon chet"), but never a
different accented word: "từ từ" (slowly) does not match "tự tử". `*` stands for up to three words;
a leading `=` keeps the phrase to its accented form.
Matching runs on the normalised text (lower case, teencode expanded: "e muon chet" ->
"em muon chet").

Before matching, spans that are figures of speech ("đói chết đi được", "cười chết mất") are blanked,
and a match right after a negation ("không muốn chết") does not count, unless the phrase itself
starts with the negation ("không muốn sống").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.nlu.textnorm import normalize_text, strip_accents

RULES_FILE = Path(__file__).parent / "data" / "safety_rules.yml"
_GAP = r"(?:\S+ ){0,3}"


def _word_regex(word: str) -> str:
    bare = strip_accents(word)
    options = {re.escape(word), re.escape(bare)}
    return "(?:" + "|".join(sorted(options)) + ")"


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """Compile a phrase of the rules file into a regex over normalised, space-separated words.

    A phrase written `=tự tử` matches only as typed with diacritics: without them, "tu tu" is as
    likely "từ từ" (slowly), so the rules list it again in contexts that decide ("muốn tự tử").
    """
    exact = phrase.startswith("=")
    words = normalize_text(phrase.lstrip("=")).split()
    parts = [_GAP if w == "*" else (re.escape(w) if exact else _word_regex(w)) + " " for w in words]
    return re.compile(r"(?<!\S)" + "".join(parts))


@dataclass(frozen=True)
class Hit:
    """One rule that fired, with the words that made it fire."""

    rule: str
    category: str
    evidence: str


@dataclass
class Rule:
    """A named group of phrases that, found in a message, mean `category`."""

    id: str
    category: str
    phrases: list[str]
    all_of: list[list[str]] = field(default_factory=list)
    must: list[str] = field(default_factory=list)
    must_not: list[str] = field(default_factory=list)
    situational: bool = False

    @functools.cached_property
    def patterns(self) -> list[re.Pattern[str]]:
        """The compiled `phrases` (any one is enough)."""
        return [compile_phrase(p) for p in self.phrases]

    @functools.cached_property
    def groups(self) -> list[list[re.Pattern[str]]]:
        """The compiled `all_of` groups (one phrase of each group must be found)."""
        return [[compile_phrase(p) for p in group] for group in self.all_of]


@dataclass
class RuleSet:
    """All rules, the figures of speech and the negations, loaded from the data file."""

    rules: list[Rule]
    figures: list[str]
    negations: list[str]
    generic: list[str]
    present: list[str]

    @functools.cached_property
    def figure_patterns(self) -> list[re.Pattern[str]]:
        """Compiled figures of speech."""
        return [compile_phrase(p) for p in self.figures]

    @functools.cached_property
    def negation_pattern(self) -> re.Pattern[str]:
        """A regex that matches when the text ends in a negation (with up to two words after it)."""
        options = "|".join(compile_phrase(n).pattern[len(r"(?<!\S)") :] for n in self.negations)
        # "không thì" is "or else" ("gửi đi không thì anh leak ảnh"), not a negation.
        return re.compile(r"(?:^|\s)(?:" + options + r")(?!th[iì] )(?:\S+ ){0,2}$")

    @functools.cached_property
    def generic_patterns(self) -> list[re.Pattern[str]]:
        """Compiled markers of a general question ("làm gì khi", "nếu bị")."""
        return [compile_phrase(p) for p in self.generic]

    def prepare(self, text: str) -> str:
        """Normalise `text` and blank its figures of speech; the result ends in a space."""
        prepared = " ".join(normalize_text(text).split()) + " "
        for pattern in self.figure_patterns:
            prepared = pattern.sub(lambda m: "_ " * len(m.group(0).split()), prepared)
        return prepared

    @functools.cached_property
    def present_patterns(self) -> list[re.Pattern[str]]:
        """Compiled markers of something happening now ("đang", "tối nay")."""
        return [compile_phrase(p) for p in self.present]

    def is_generic(self, prepared: str) -> bool:
        """True when a prepared message reads as a general question, not as a situation now."""
        return any(p.search(prepared) for p in self.generic_patterns) and not any(
            p.search(prepared) for p in self.present_patterns
        )

    def has_figure_of_speech(self, text: str) -> bool:
        """True when the text contains one of the listed figures of speech."""
        prepared = " ".join(normalize_text(text).split()) + " "
        return any(p.search(prepared) for p in self.figure_patterns)

    def _find(self, pattern: re.Pattern[str], prepared: str, negatable: bool) -> str | None:
        for match in pattern.finditer(prepared):
            if negatable and self.negation_pattern.search(prepared[: match.start()]):
                continue
            return match.group(0).strip()
        return None

    def _fire(self, rule: Rule, prepared: str) -> Hit | None:
        if rule.situational and self.is_generic(prepared):
            return None
        for phrase, pattern in zip(rule.phrases, rule.patterns, strict=True):
            negatable = not any(phrase.lstrip("=").startswith(n + " ") for n in self.negations)
            found = self._find(pattern, prepared, negatable)
            if found:
                return Hit(rule.id, rule.category, found)
        if rule.groups:
            found_all = [next(filter(None, (self._find(p, prepared, True) for p in g)), None)
                         for g in rule.groups]  # fmt: skip
            if all(found_all):
                return Hit(rule.id, rule.category, " + ".join(str(f) for f in found_all))
        return None

    def match(self, text: str) -> list[Hit]:
        """Return every rule that fires on `text`."""
        prepared = self.prepare(text)
        return [hit for rule in self.rules if (hit := self._fire(rule, prepared))]


def load_rules(path: Path = RULES_FILE) -> RuleSet:
    """Read the rules file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = [
        Rule(
            id=r["id"],
            category=r["category"],
            phrases=list(r.get("phrases", [])),
            all_of=[list(g) for g in r.get("all_of", [])],
            must=list(r.get("tests", {}).get("must", [])),
            must_not=list(r.get("tests", {}).get("must_not", [])),
            situational=bool(r.get("situational", False)),
        )
        for r in raw["rules"]
    ]
    return RuleSet(
        rules,
        figures=list(raw["figures_of_speech"]),
        negations=list(raw["negations"]),
        generic=list(raw.get("generic_question", [])),
        present=list(raw.get("happening_now", [])),
    )


@functools.lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The project's rules, loaded once."""
    return load_rules()
