"""Every safety-net rule against what it must and must not catch (listed beside it in the data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.rules import compile_phrase, default_rules, load_rules

RULES = default_rules()
MUST = [(r.id, t) for r in RULES.rules for t in r.must]
MUST_NOT = [(r.id, t) for r in RULES.rules for t in r.must_not]


def test_every_rule_lists_cases_both_ways() -> None:
    for rule in RULES.rules:
        assert rule.must, f"{rule.id} has no must-catch cases"
        assert rule.must_not, f"{rule.id} has no must-not-catch cases"
        assert rule.category in ("urgent_danger", "self_harm")


@pytest.mark.parametrize(("rule_id", "text"), MUST)
def test_rule_catches(rule_id: str, text: str) -> None:
    assert rule_id in [h.rule for h in RULES.match(text)]


@pytest.mark.parametrize(("rule_id", "text"), MUST_NOT)
def test_no_rule_fires_on(rule_id: str, text: str) -> None:
    assert RULES.match(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "đói chết đi được",
        "cười chết mất",
        "mệt muốn xỉu",
        "nóng muốn chết",
        "cười chết mất thôi haha",
        "từ từ rồi tính",
        "trời lạnh muốn chết",
    ],
)
def test_figures_of_speech_from_the_contract_are_not_urgent(text: str) -> None:
    assert RULES.match(text) == []


def test_accented_word_never_matches_a_different_accented_word() -> None:
    pattern = compile_phrase("tự tử")
    assert pattern.search("em muốn tự tử ")
    assert pattern.search("em muon tu tu ")
    assert not pattern.search("từ từ thôi ")


def test_gap_matches_up_to_three_words() -> None:
    pattern = compile_phrase("gửi * cho bố mẹ")
    assert pattern.search("gửi ảnh cho bố mẹ ")
    assert pattern.search("gửi hết ảnh này cho bố mẹ ")
    assert not pattern.search("gửi một hai ba bốn cho bố mẹ ")


def test_negation_cancels_a_match_but_not_a_negated_phrase() -> None:
    assert RULES.match("em không muốn chết") == []
    assert [h.category for h in RULES.match("em không muốn sống nữa")] == ["self_harm"]


def test_situational_rule_skips_general_question_unless_happening_now() -> None:
    assert RULES.match("làm gì khi bị dọa tung ảnh nóng") == []
    hits = RULES.match("làm gì khi con tôi đang bị dọa tung ảnh nóng")
    assert "sextortion_threat" in [h.rule for h in hits]


def test_rules_file_loads_from_a_path(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "rules.yml"
    path.write_text(
        "figures_of_speech: []\nnegations: [không]\n"
        "rules:\n  - id: x\n    category: self_harm\n    phrases: [biến mất]\n",
        encoding="utf-8",
    )
    assert [h.rule for h in load_rules(path).match("em muốn biến mất")] == ["x"]


def test_the_word_prefilter_changes_no_decision(monkeypatch) -> None:  # noqa: ANN001
    # `RuleSet.possible` (`Rule.could_fire` for every rule) skips a rule whose phrases' words are
    # not all in the message; it must be a necessary condition only: the same hits with and without
    # it, on every rule's own examples and on blind sets written by someone else (the training and
    # evaluation sets: session 18, 9,563 texts, no difference)
    from bot.nlu import rules
    from bot.nlu.datacheck import load_examples

    root = Path(__file__).resolve().parents[2]
    texts = [t for r in RULES.rules for t in r.must + r.must_not]
    texts += [
        e.text for e in load_examples([root / "tests" / "nlu" / f"blind{n}.yml" for n in (16, 17)])
    ]
    with_prefilter = [RULES.match(t) for t in texts]
    every = frozenset(range(len(RULES.rules)))
    monkeypatch.setattr(rules.RuleSet, "possible", lambda self, words: every)
    assert [RULES.match(t) for t in texts] == with_prefilter
    assert any(with_prefilter)  # the comparison saw rules fire


def test_the_phrase_index_finds_the_rules_each_rule_would_let_through() -> None:
    # `RuleSet.possible` looks up the message's words in an index of every phrase's words instead
    # of asking each rule (`Rule.could_fire`): the same rules, on every rule's own examples, a
    # blind set and their sentences (session 19)
    from bot.nlu import rules
    from bot.nlu.clauses import sentences
    from bot.nlu.datacheck import load_examples

    root = Path(__file__).resolve().parents[2]
    texts = [t for r in RULES.rules for t in r.must + r.must_not]
    texts += [e.text for e in load_examples([root / "tests" / "nlu" / "blind17.yml"])]
    prepared = [RULES.prepare(t) for t in texts]
    prepared += [RULES.prepare(s) for t in texts for s in sentences(t)]
    seen = 0
    for text in prepared:
        words = rules._words(text)
        expected = {i for i, rule in enumerate(RULES.rules) if rule.could_fire(words)}
        assert RULES.possible(words) == expected, text
        seen += len(expected)
    assert seen > 1000  # the comparison saw many rules let through


def test_the_figure_prefilter_blanks_the_same_words() -> None:
    # `RuleSet.prepare` skips a figure of speech whose words are not all in the message: the same
    # prepared text as applying every figure (session 18: 8,940 texts, no difference)
    from bot.nlu.datacheck import load_examples

    root = Path(__file__).resolve().parents[2]
    texts = [t for r in RULES.rules for t in r.must + r.must_not]
    texts += [
        e.text for e in load_examples([root / "tests" / "nlu" / f"blind{n}.yml" for n in (16, 17)])
    ]
    every = load_rules()
    every.__dict__["figure_needs"] = [frozenset()] * len(every.figures)  # no figure skipped
    prepared = [RULES.prepare(t) for t in texts]
    assert prepared == [every.prepare(t) for t in texts]
    assert any("_" in p for p in prepared)  # the comparison saw figures blanked
