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

from bot.nlu.textnorm import fold, normalize_text, strip_accents

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


def _spaced(text: str) -> str:
    """The normalised text as single-spaced words, ending in a space (what patterns expect)."""
    return " ".join(normalize_text(text).split()) + " "


def _alternation(phrases: list[str]) -> re.Pattern[str] | None:
    """One regex matching any of `phrases` (None for no phrase)."""
    if not phrases:
        return None
    bodies = [compile_phrase(p).pattern[len(r"(?<!\S)") :] for p in phrases]
    return re.compile(r"(?<!\S)(?:" + "|".join(bodies) + ")")


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
    def groups(self) -> list[re.Pattern[str]]:
        """One regex per `all_of` group, an alternation of its phrases; each group must match."""
        return [pattern for group in self.all_of if (pattern := _alternation(group))]


@dataclass
class RuleSet:
    """All rules, the figures of speech and the negations, loaded from the data file."""

    rules: list[Rule]
    figures: list[str]
    negations: list[str]
    generic: list[str]
    present: list[str]
    safe_words: list[str] = field(default_factory=list)

    def is_safe_word(self, text: str) -> bool:
        """True when the whole message is a safe word ("111", "giúp", "help")."""
        return fold(text).strip(" !.?") in self.folded_safe_words

    @functools.cached_property
    def folded_safe_words(self) -> frozenset[str]:
        """The safe words as `is_safe_word` compares them (folded once, not at every message)."""
        return frozenset(fold(w) for w in self.safe_words)

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
    def generic_pattern(self) -> re.Pattern[str] | None:
        """Markers of a general question ("làm gì khi", "nếu bị")."""
        return _alternation(self.generic)

    @functools.cached_property
    def present_pattern(self) -> re.Pattern[str] | None:
        """Markers of something happening now ("đang", "tối nay")."""
        return _alternation(self.present)

    @functools.cached_property
    def phrase_patterns(self) -> dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]]:
        """Each rule's phrases as two alternations: those a negation cancels, and those it cannot.

        A phrase that itself starts with a negation ("không muốn sống") cannot be cancelled.
        """

        def negated(phrase: str) -> bool:
            return any(phrase.lstrip("=").startswith(n + " ") for n in self.negations)

        return {
            r.id: (_alternation([p for p in r.phrases if not negated(p)]),
                   _alternation([p for p in r.phrases if negated(p)]))
            for r in self.rules
        }  # fmt: skip

    def prepare(self, text: str) -> str:
        """Normalise `text` and blank its figures of speech; the result ends in a space."""
        prepared = _spaced(text)
        for pattern in self.figure_patterns:
            prepared = pattern.sub(lambda m: "_ " * len(m.group(0).split()), prepared)
        return prepared

    def is_generic(self, prepared: str) -> bool:
        """True when a prepared message reads as a general question, not as a situation now."""
        generic, present = self.generic_pattern, self.present_pattern
        return bool(generic and generic.search(prepared)) and not (
            present and present.search(prepared)
        )

    def has_figure_of_speech(self, text: str) -> bool:
        """True when the text contains one of the listed figures of speech."""
        spaced = _spaced(text)
        return any(p.search(spaced) for p in self.figure_patterns)

    def _find(self, pattern: re.Pattern[str], prepared: str, negatable: bool) -> str | None:
        for match in pattern.finditer(prepared):
            if negatable and self.negation_pattern.search(prepared[: match.start()]):
                continue
            return match.group(0).strip()
        return None

    def _fire(self, rule: Rule, prepared: str, generic: bool) -> Hit | None:
        if rule.situational and generic:
            return None
        negatable, fixed = self.phrase_patterns[rule.id]
        found = (negatable and self._find(negatable, prepared, True)) or (
            fixed and self._find(fixed, prepared, False)
        )
        if found:
            return Hit(rule.id, rule.category, found)
        if rule.groups:
            found_all = [self._find(g, prepared, True) for g in rule.groups]
            if all(found_all):
                return Hit(rule.id, rule.category, " + ".join(str(f) for f in found_all))
        return None

    def match(self, text: str) -> list[Hit]:
        """Return every rule that fires on `text`."""
        prepared = self.prepare(text)
        generic = self.is_generic(prepared)
        return [hit for rule in self.rules if (hit := self._fire(rule, prepared, generic))]


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
        safe_words=list(raw.get("safe_words", [])),
    )


@functools.lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The project's rules, loaded once."""
    return load_rules()
