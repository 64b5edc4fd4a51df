"""The yearly report: counts, suppression of small cells and of what would reveal them."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.cli import build_parser
from bot.console.report_page import cmd_report, to_html
from bot.report import HIDDEN, LESS, build_report, suppress, to_csv
from bot.settings import Settings
from bot.storage.api import TurnRecord
from bot.storage.store import Store


def shown(table_cells: dict[str, int], **kw: bool) -> dict[str, str]:
    table = suppress("t", table_cells, **kw)
    return {c.key: c.shown for c in table.cells} | {"total": str(table.total)}


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"a": 12, "b": 30}, {"a": "12", "b": "30", "total": "42"}),
        ({"a": 0, "b": 7}, {"a": "0", "b": "7", "total": "7"}),
        ({"a": 3, "b": 0}, {"a": LESS, "b": "0", "total": LESS}),
        # one small cell next to a total: the smallest other cell is hidden too
        ({"a": 100, "b": 3}, {"a": HIDDEN, "b": LESS, "total": "103"}),
        ({"a": 10, "b": 12, "c": 3}, {"a": HIDDEN, "b": "12", "c": LESS, "total": "25"}),
        # two small cells whose sum pins them (4 + 4 = 8): the total is hidden
        ({"a": 4, "b": 4}, {"a": LESS, "b": LESS, "total": HIDDEN}),
        # two small cells that do not pin each other (2 + 3 = 5 could be 1 + 4, 4 + 1 …)
        ({"a": 2, "b": 3, "c": 50}, {"a": LESS, "b": LESS, "c": "50", "total": "55"}),
    ],
)
def test_suppression_examples(counts: dict[str, int], expected: dict[str, str]) -> None:
    assert shown(counts) == expected


def test_a_table_without_total_needs_no_secondary_suppression() -> None:
    assert shown({"a": 100, "b": 3}, with_total=False) == {"a": "100", "b": LESS, "total": "None"}


def possible_values(published: list[str], total: str) -> list[set[int]]:
    """Brute force: every value each hidden cell can take, given only what was published."""
    if total in (HIDDEN, LESS):
        return [set(range(1, 5)) if p == LESS else {5, 6} for p in published if not p.isdigit()]
    rest = int(total) - sum(int(p) for p in published if p.isdigit())
    ranges = [(1, 4) if p == LESS else (5, rest) for p in published if not p.isdigit()]
    out = []
    for i, (lo, hi) in enumerate(ranges):
        others = [r for j, r in enumerate(ranges) if j != i]
        low_sum, high_sum = sum(r[0] for r in others), sum(r[1] for r in others)
        out.append({v for v in range(lo, hi + 1) if low_sum <= rest - v <= high_sum})
    return out


@hsettings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=6))
def test_no_hidden_cell_can_be_computed_back(values: list[int]) -> None:
    table = suppress("t", {f"c{i}": v for i, v in enumerate(values)})
    published = [c.shown for c in table.cells]
    for cell, value in zip(table.cells, values, strict=True):
        assert cell.value == (value if cell.shown.isdigit() else None)
    for options in possible_values(published, str(table.total)):
        assert len(options) >= 2


# Counting ---------------------------------------------------------------------------------------
UTC = timezone.utc


def add_conversation(
    store: Store,
    person: str,
    at: datetime,
    *,
    channel: str = "telegram",
    topics: tuple[str, ...] = ("ask_scam",),
    audience: str | None = "parent",
    province: str | None = None,
) -> None:
    for i, topic in enumerate(topics):
        store.record_turn(
            TurnRecord(
                person_id=person,
                channel=channel,
                intent=topic,
                audience=audience,
                urgent=False,
                at=at + timedelta(seconds=i),
                extra={"province": province} if province else {},
            )
        )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'r.db'}")


def test_counts_by_topic_channel_audience_month(store: Store) -> None:
    for i in range(12):
        add_conversation(
            store,
            f"p{i}",
            datetime(2026, 3, 1 + i, 9, tzinfo=UTC),
            topics=("ask_scam", "ask_privacy") if i < 6 else ("ask_scam",),
        )
    for i in range(6):
        add_conversation(
            store, f"z{i}", datetime(2026, 4, 2, 9, tzinfo=UTC), channel="zalo", audience="child"
        )
    add_conversation(store, "late", datetime(2026, 12, 31, 20, tzinfo=UTC))  # 2027 in Hà Nội
    report = build_report(store, 2026)
    tables = {t.name: {c.key: c.shown for c in t.cells} for t in report.tables}
    assert report.conversations == "18"
    assert tables["topic"] == {"ask_privacy": "6", "ask_scam": "18"}
    assert tables["channel"] == {"telegram": "12", "zalo": "6", "web": "0"}
    assert tables["audience"] == {"parent": "12", "child": "6", "unknown": "0"}
    assert tables["month"]["2026-03"] == "12" and tables["month"]["2026-04"] == "6"
    assert build_report(store, 2027).conversations == LESS


def test_escalations_and_medians(store: Store) -> None:
    t0 = datetime(2026, 5, 1, 8, tzinfo=UTC)
    for i in range(6):
        store.clock = lambda i=i: t0 + timedelta(hours=i)  # type: ignore[misc]
        case = store.open_escalation(
            person_id=f"p{i}", channel="telegram", priority="self_harm", reason="", context={}
        )
        store.clock = lambda i=i: t0 + timedelta(hours=i, minutes=2 * (i + 1))  # type: ignore[misc]
        store.claim(case.id, "lan")
        if i < 5:
            store.clock = lambda i=i: t0 + timedelta(hours=i, minutes=30)  # type: ignore[misc]
            store.resolve(case.id, "lan", "advised")
    store.open_escalation(person_id="q", channel="zalo", priority="fallback", reason="", context={})
    report = build_report(store, 2026)
    tables = {t.name: {c.key: c.shown for c in t.cells} for t in report.tables}
    assert report.escalations == "7"
    assert tables["priority"] == {
        "self_harm": HIDDEN,
        "urgent_danger": "0",
        "request_human": "0",
        "fallback": LESS,
    }
    assert (tables["outcome"]["advised"], tables["outcome"]["open"]) == (HIDDEN, LESS)
    assert report.medians == {"minutes_to_claim": "7", "minutes_to_resolve": "30"}
    empty = build_report(store, 2025)
    assert empty.medians == {"minutes_to_claim": "<5 cases", "minutes_to_resolve": "<5 cases"}


def test_province_filter(store: Store) -> None:
    for i in range(7):
        add_conversation(store, f"h{i}", datetime(2026, 6, 1, tzinfo=UTC), province="HN")
    add_conversation(store, "s1", datetime(2026, 6, 1, tzinfo=UTC), province="SG")
    assert build_report(store, 2026, province="HN").conversations == "7"
    assert build_report(store, 2026, province="SG").conversations == LESS
    assert build_report(store, 2026).conversations == "8"


def test_csv_and_html(store: Store) -> None:
    for i in range(9):
        add_conversation(store, f"p{i}", datetime(2026, 2, 1, tzinfo=UTC))
    add_conversation(store, "z", datetime(2026, 2, 1, tzinfo=UTC), channel="zalo")
    report = build_report(store, 2026)
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert rows[0] == ["section", "category", "value"]
    assert ["channel", "zalo", LESS] in rows and ["channel", "telegram", HIDDEN] in rows
    assert ["channel", "total", "10"] in rows
    html = to_html(report)
    assert "<svg" in html and "<script" not in html.lower()
    assert "src=" not in html and "<link" not in html  # self-contained
    assert "Cách bảo vệ danh tính" in html and "&lt;5" in html


def test_command(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(5):
        add_conversation(store, f"p{i}", datetime(2026, 2, 1, tzinfo=UTC), province="HN")
    settings = Settings.from_env(
        {"DATABASE_URL": str(store.engine.url), "DONGHANH_DATA_DIR": str(tmp_path)}
    )
    parser = build_parser(settings)
    args = parser.parse_args(["report", "--year", "2026", "--province", "HN"])
    assert cmd_report(args, settings) == 0
    assert "conversations,total,5" in capsys.readouterr().out
    out = tmp_path / "r.html"
    args = parser.parse_args(["report", "--year", "2026", "--format", "html", "--output", str(out)])
    assert cmd_report(args, settings) == 0 and "<svg" in out.read_text(encoding="utf-8")
    for bad in (["--year", "1999"], ["--year", "2026", "--province", "Hà Nội"]):
        assert cmd_report(parser.parse_args(["report", *bad]), settings) == 2
    with pytest.raises(SystemExit):
        parser.parse_args(["report", "--year", "2026", "--format", "pdf"])


# Tables over the same population ---------------------------------------------------------------
def family_options(tables: list[list[str]], total: str, bound: int = 400) -> list[set[int]]:
    """Brute force over everything a family publishes: the values each hidden cell can take.

    The tables share one total T (the same people counted by different categories); given T
    they are independent (any set of margins with equal sums has a joint table).
    """
    if total.isdigit():
        candidates = [int(total)]
    else:
        candidates = list(range(1, 5)) if total == LESS else list(range(0, bound))

    def ranges(cells: list[str], t: int) -> list[tuple[int, int]]:
        return [(1, 4) if c == LESS else (5, t) for c in cells if not c.isdigit()]

    def fits(cells: list[str], t: int) -> bool:
        rest = t - sum(int(c) for c in cells if c.isdigit())
        spans = ranges(cells, t)
        return sum(lo for lo, _ in spans) <= rest <= sum(hi for _, hi in spans)

    feasible = [t for t in candidates if all(fits(cells, t) for cells in tables)]
    out = []
    for cells in tables:
        hidden = [i for i, c in enumerate(cells) if not c.isdigit()]
        for n in range(len(hidden)):
            options = set()
            for t in feasible:
                rest = t - sum(int(c) for c in cells if c.isdigit())
                spans = ranges(cells, t)
                lo, hi = spans[n]
                others = [s for j, s in enumerate(spans) if j != n]
                low_sum, high_sum = sum(s[0] for s in others), sum(s[1] for s in others)
                options |= {v for v in range(lo, hi + 1) if low_sum <= rest - v <= high_sum}
            out.append(options)
    return out


def test_a_total_hidden_in_one_table_is_not_given_away_by_a_sibling() -> None:
    """4 Telegram + 4 web conversations, all parents, all in March: each table alone is fine,
    together the audience or month table would publish the 8 that pins the channel table."""
    from bot.report import suppress_family

    tables, total = suppress_family([
        ("channel", {"telegram": 4, "zalo": 0, "web": 4}),
        ("audience", {"parent": 8, "child": 0, "unknown": 0}),
        ("month", {"2026-03": 8, "2026-04": 0}),
    ])  # fmt: skip
    assert total == HIDDEN and all(t.total == HIDDEN for t in tables)
    published = [[c.shown for c in t.cells] for t in tables]
    assert "8" not in published[1] and "8" not in published[2]
    for options in family_options(published, total):
        assert len(options) >= 2


@hsettings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("xyz"), st.sampled_from("pq")),
                min_size=0, max_size=40))  # fmt: skip
def test_no_hidden_cell_of_a_family_can_be_computed_back(
    people: list[tuple[str, str, str]],
) -> None:
    from bot.report import suppress_family

    def margin(i: int, keys: str) -> dict[str, int]:
        return {k: sum(1 for p in people if p[i] == k) for k in keys}

    tables, total = suppress_family([("one", margin(0, "abc")), ("two", margin(1, "xyz")),
                                     ("three", margin(2, "pq"))])  # fmt: skip
    published = [[c.shown for c in t.cells] for t in tables]
    assert {t.total for t in tables} == {total}
    for options in family_options(published, total):
        assert len(options) >= 2, (published, total)


def test_the_report_keeps_one_total_for_the_conversation_tables(store: Store) -> None:
    for i in range(8):
        channel = "telegram" if i < 4 else "web"
        add_conversation(store, f"p{i}", datetime(2026, 3, 2 + i, 9, tzinfo=UTC), channel=channel)
    report = build_report(store, 2026)
    by_name = {t.name: t for t in report.tables}
    assert report.conversations == HIDDEN
    assert {by_name[n].total for n in ("channel", "audience", "month")} == {HIDDEN}
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert ["audience", "parent", "8"] not in rows and ["month", "2026-03", "8"] not in rows
