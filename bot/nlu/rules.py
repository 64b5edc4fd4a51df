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
from typing import Iterator

import yaml

from bot.nlu.clauses import sentences
from bot.nlu.textnorm import fold, normalize_text, strip_accents

RULES_FILE = Path(__file__).parent / "data" / "safety_rules.yml"
_GAP = r"(?:\S+ ){0,3}"
# In a letter this long, a situational rule must find all its words in one sentence: "xin" in one
# paragraph and "bật camera" in another are not a request for images.
LETTER_WORDS = 60


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


Words = frozenset[str]
Filed = tuple[Words, int, int]  # a phrase's needed words, its rule's position and its slot


def _needed(phrase: str) -> Words:
    """The words a phrase needs in a message, accents stripped ("*" needs none)."""
    words = normalize_text(phrase.lstrip("=")).split()
    return frozenset(strip_accents(w) for w in words if w != "*")


@functools.lru_cache(maxsize=256)
def _words(prepared: str) -> Words:
    """The words of a prepared text, accents stripped (shared by every rule checked on it)."""
    return frozenset(strip_accents(prepared).split())


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
    near: list[list[str]] = field(default_factory=list)
    window: int = 0
    unless: list[str] = field(default_factory=list)
    max_words: int = 0  # 0: any length; else only messages of at most this many words

    @functools.cached_property
    def groups(self) -> list[re.Pattern[str]]:
        """One regex per `all_of` group, an alternation of its phrases; each group must match."""
        return [pattern for group in self.all_of if (pattern := _alternation(group))]

    @functools.cached_property
    def near_patterns(self) -> list[re.Pattern[str]]:
        """One regex per `near` concept (its phrases as an alternation)."""
        return [pattern for concept in self.near if (pattern := _alternation(concept))]

    @functools.cached_property
    def unless_pattern(self) -> re.Pattern[str] | None:
        """Words that stop the rule ("cứu" is no cry for help next to "bài tập")."""
        return _alternation(self.unless)

    @functools.cached_property
    def needs(self) -> tuple[list[Words], list[list[Words]], list[list[Words]]]:
        """The words (accents stripped) each phrase needs: its phrases, each group's, concept's."""
        return ([_needed(p) for p in self.phrases],
                [[_needed(p) for p in group] for group in self.all_of],
                [[_needed(p) for p in concept] for concept in self.near])  # fmt: skip

    def could_fire(self, words: Words) -> bool:
        """Whether a message with these words (accents stripped) has every word of some phrase.

        A necessary condition of `RuleSet._fire` (a phrase matches whole words, each as typed or
        without its accents), checked first: most of the ~130 rules miss most messages, and a set
        lookup costs less than their alternations (session 18: 3.1 → 1.35 ms a message over the
        9,563 texts of the training and evaluation sets, the same hits on every one). Asked of all
        rules at once through `RuleSet.possible` (session 19), which must agree with it (tested).
        """
        phrases, groups, concepts = self.needs
        if any(need <= words for need in phrases):
            return True
        if groups and all(any(need <= words for need in group) for group in groups):
            return True
        return bool(concepts) and all(any(need <= words for need in c) for c in concepts)


@dataclass
class RuleSet:
    """All rules, the figures of speech and the negations, loaded from the data file."""

    rules: list[Rule]
    figures: list[str]
    negations: list[str]
    generic: list[str]
    present: list[str]
    safe_words: list[str] = field(default_factory=list)
    harmless: list[str] = field(default_factory=list)
    news: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    deadline: list[str] = field(default_factory=list)

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
    def harmless_pattern(self) -> re.Pattern[str] | None:
        """Everyday compounds with a harm's word in them ("đánh răng"), blanked before matching."""
        return _alternation(self.harmless)

    @functools.cached_property
    def negation_pattern(self) -> re.Pattern[str]:
        """A regex that matches when the text ends in a negation (with up to two words after it)."""
        options = "|".join(compile_phrase(n).pattern[len(r"(?<!\S)") :] for n in self.negations)
        # "không thì" is "or else" ("gửi đi không thì anh leak ảnh"), not a negation.
        # A negation does not reach across punctuation: "có ai không, cứu với".
        return re.compile(r"(?:^|\s)(?:" + options + r")(?!th[iì] )(?:[^\s,.;:!?…]+ ){0,2}$")

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
        words = _words(prepared)
        # a figure whose words are not all in the message cannot match (blanking only removes words)
        figures = zip(self.figure_patterns, self.figure_needs, strict=True)
        blank = [pattern for pattern, need in figures if need <= words]
        if self.harmless_pattern is not None:
            blank.append(self.harmless_pattern)
        for pattern in blank:
            prepared = pattern.sub(lambda m: "_ " * len(m.group(0).split()), prepared)
        return prepared

    @functools.cached_property
    def figure_needs(self) -> list[Words]:
        """The words each figure of speech needs, in the order of `figure_patterns`."""
        return [_needed(p) for p in self.figures]

    @functools.cached_property
    def news_pattern(self) -> re.Pattern[str] | None:
        """Marks of news and rumours ("đọc báo thấy nhiều vụ"): general even with "đang" nearby."""
        return _alternation(self.news)

    @functools.cached_property
    def resolved_pattern(self) -> re.Pattern[str] | None:
        """Marks of a story that is over ("chuyện này đã qua", "giờ đã ổn")."""
        return _alternation(self.resolved)

    @functools.cached_property
    def deadline_pattern(self) -> re.Pattern[str] | None:
        """Marks of a deadline ("mai là hạn rồi"): the whole message is a situation now."""
        return _alternation(self.deadline)

    def is_resolved(self, prepared: str) -> bool:
        """True when a prepared message tells a story that is over and safe, with no deadline."""
        over = self.resolved_pattern is not None and self.resolved_pattern.search(prepared)
        due = self.deadline_pattern is not None and self.deadline_pattern.search(prepared)
        return bool(over) and not due

    def is_generic(self, prepared: str) -> bool:
        """True when a prepared message reads as a general question, not as a situation now."""
        generic, present = self.generic_pattern, self.present_pattern
        if self.news_pattern is not None and self.news_pattern.search(prepared):
            return True
        return bool(generic and generic.search(prepared)) and not (
            present and present.search(prepared)
        )

    def has_figure_of_speech(self, text: str) -> bool:
        """True when the text contains one of the listed figures of speech."""
        spaced = _spaced(text)
        return any(p.search(spaced) for p in self.figure_patterns)

    def _matches(
        self, pattern: re.Pattern[str], prepared: str, negatable: bool
    ) -> Iterator[re.Match[str]]:
        """The matches of `pattern`, those a negation cancels left out when `negatable`."""
        for match in pattern.finditer(prepared):
            if not (negatable and self.negation_pattern.search(prepared[: match.start()])):
                yield match

    def _find(self, pattern: re.Pattern[str], prepared: str, negatable: bool) -> str | None:
        match = next(self._matches(pattern, prepared, negatable), None)
        return match.group(0).strip() if match else None

    def _spans(
        self, pattern: re.Pattern[str], prepared: str, negatable: bool
    ) -> list[tuple[int, int, str]]:
        """Each match of `pattern` as (first word, last word, text), negated ones left out."""
        found = []
        for match in self._matches(pattern, prepared, negatable):
            first = prepared.count(" ", 0, match.start())
            text = match.group(0).strip()
            found.append((first, first + len(text.split()) - 1, text))
        return found

    def _near(self, rule: Rule, prepared: str) -> str | None:
        """Evidence when a match of the first concept has one of the second within `window` words.

        "em bị chú ruột xâm hại": the harm ("xâm hại") and the victim ("em") are three words apart,
        which no contiguous phrase catches. Only the first concept (the harm) can be negated.
        """
        harm, victim = rule.near_patterns
        victims = self._spans(victim, prepared, False)
        if not victims:
            return None
        for h_first, h_last, h_text in self._spans(harm, prepared, True):
            for v_first, v_last, v_text in victims:
                gap = h_first - v_last - 1 if v_last < h_first else v_first - h_last - 1
                if v_first <= h_last and h_first <= v_last:  # overlapping: no victim named
                    continue
                if gap <= rule.window:
                    return f"{v_text} … {h_text}" if v_last < h_first else f"{h_text} … {v_text}"
        return None

    @functools.cached_property
    def _phrase_index(self) -> tuple[dict[str, list[Filed]], set[tuple[int, int]]]:
        """Every phrase's needed words, filed under the longest of them, with its rule and slot.

        Slot 0 is the rule's phrases, 1… its `all_of` groups, then its `near` concepts; also
        returned: the slots one phrase of which needs no word (always met).
        """
        index: dict[str, list[Filed]] = {}
        always: set[tuple[int, int]] = set()
        for r, rule in enumerate(self.rules):
            phrases, groups, concepts = rule.needs
            for slot, needs in enumerate([phrases, *groups, *concepts]):
                for need in needs:
                    if not need:
                        always.add((r, slot))
                    else:
                        index.setdefault(max(need, key=len), []).append((need, r, slot))
        return index, always

    def possible(self, words: Words) -> frozenset[int]:
        """The rules (positions in `rules`) that could fire on a text with these words.

        The same answer as asking each rule's `could_fire` (tested), found from the message's own
        words: only the phrases filed under one of them are checked, not ~130 rules' phrases.
        """
        index, always = self._phrase_index
        met = set(always)
        for word in words:
            for need, r, slot in index.get(word, ()):
                if need <= words:
                    met.add((r, slot))
        found = set()
        for r in {r for r, _ in met}:
            if (r, 0) in met:
                found.add(r)
                continue
            _, groups, concepts = self.rules[r].needs
            first = 1
            for parts in (groups, concepts):
                if parts and all((r, first + i) in met for i in range(len(parts))):
                    found.add(r)
                first += len(parts)
        return frozenset(found)

    def _fire(self, rule: Rule, prepared: str, generic: bool, could: bool) -> Hit | None:
        if not could:  # `possible`: the rule's words are not all in the text
            return None
        if rule.situational and generic:
            return None
        if rule.max_words and len(prepared.split()) > rule.max_words:
            return None
        if rule.unless_pattern is not None and rule.unless_pattern.search(prepared):
            return None
        if rule.near_patterns:
            found_near = self._near(rule, prepared)
            return Hit(rule.id, rule.category, found_near) if found_near else None
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
        """Return every rule that fires on `text`.

        In a message of several sentences, a situational rule looks at each sentence on its own:
        "đọc báo thấy nhiều vụ trẻ bị dụ dỗ, xâm hại" is general even when another sentence of the
        letter says "đang"; it fires on the whole message only when no sentence is general.
        """
        prepared = self.prepare(text)
        resolved = self.resolved_pattern is not None and self.resolved_pattern.search(prepared)
        # over and safe, whatever a sentence says: situational rules skip the message
        generic = bool(resolved) or self.is_generic(prepared)
        # "ví dụ thôi, nếu người ta dọa đánh mình thì sao. mai là hạn rồi": a hypothetical with a
        # deadline is the writer's own situation
        due = not resolved and self.deadline_pattern is not None
        due = due and bool(self.deadline_pattern.search(prepared))  # type: ignore[union-attr]
        generic = generic and not due
        pieces = [] if resolved else [self.prepare(s) for s in sentences(text)]
        kept: dict[str, frozenset[int]] = {}

        def could(r: int, piece: str) -> bool:  # the rules that could fire, found once a text
            if (found := kept.get(piece)) is None:
                found = kept[piece] = self.possible(_words(piece))
            return r in found

        if len(pieces) < 2:
            return [hit for r, rule in enumerate(self.rules)
                    if (hit := self._fire(rule, prepared, generic,
                                          could(r, prepared)))]  # fmt: skip
        general = [self.is_generic(p) and not due for p in pieces]
        hits = []
        for r, rule in enumerate(self.rules):
            if not rule.situational:
                hit = self._fire(rule, prepared, generic, could(r, prepared))
            else:
                hit = next((h for p, g in zip(pieces, general, strict=True)
                            if not g and (h := self._fire(rule, p, False, could(r, p)))),
                           None)  # fmt: skip
                if hit is None and not any(general) and len(text.split()) < LETTER_WORDS:
                    # words across sentences
                    hit = self._fire(rule, prepared, generic, could(r, prepared))
            if hit:
                hits.append(hit)
        return hits


def load_rules(path: Path = RULES_FILE) -> RuleSet:
    """Read the rules file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    concepts: dict[str, list[str]] = raw.get("concepts", {})
    rules = [
        Rule(
            id=r["id"],
            category=r["category"],
            phrases=list(r.get("phrases", [])),
            all_of=[list(g) for g in r.get("all_of", [])],
            must=list(r.get("tests", {}).get("must", [])),
            must_not=list(r.get("tests", {}).get("must_not", [])),
            situational=bool(r.get("situational", False)),
            near=[list(concepts[c]) if isinstance(c, str) else list(c) for c in r.get("near", [])],
            window=int(r.get("window", 4)),
            unless=list(r.get("unless", [])),
            max_words=int(r.get("max_words", 0)),
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
        harmless=list(raw.get("harmless", [])),
        news=list(raw.get("news", [])),
        resolved=list(raw.get("resolved", [])),
        deadline=list(raw.get("deadline", [])),
    )


@functools.lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The project's rules, loaded once."""
    return load_rules()
