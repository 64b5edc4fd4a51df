"""The yearly report: anonymous counts of conversations and escalations, and their CSV.

The HTML page and the `donghanh report` command are the console's (`bot.console.report_page`):
this module imports nothing of the console.

Units report before 10 December each year. No cell may identify a person:

1. Primary suppression: a count from 1 to 4 is published as "<5" (zero is published as 0).
2. Secondary suppression: where a table publishes its total, the hidden cells must not be
   computable from it. Knowing the total and the published cells, each hidden cell lies in an
   interval ([1, 4] for "<5", [5, ∞) for a cell hidden to protect another); while some hidden
   cell's interval shrinks to a single value, the smallest published non-zero cell is hidden too
   ("suppressed"), and when none is left the total is hidden.
   Tables over the same population (conversations by channel, audience and month; cases by
   priority and outcome) are suppressed together (`suppress_family`): they share one total,
   which any of them gives away when it publishes every cell, so the total is hidden in all of
   them or in none, and a cell is hidden wherever a sibling table would pin a hidden one.
3. A median time is published only when at least 5 cases contribute to it.

Months and the year are counted in the console's time zone. Topics count once per conversation,
so a conversation about two topics is in two rows (that table has no total).
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.storage.api import PRIORITIES
from bot.storage.models import OUTCOMES, Conversation, ConversationTopic, Escalation
from bot.storage.store import FLOOD, Store

THRESHOLD = 5
LESS = "<5"
HIDDEN = "suppressed"
CHANNELS = ("telegram", "zalo", "web")
AUDIENCES = ("parent", "child", "unknown")


@dataclass(frozen=True)
class Cell:
    """One published cell: `value` is None when hidden (the count itself is not kept)."""

    key: str
    value: int | None
    shown: str  # the number, "<5" or "suppressed"


@dataclass(frozen=True)
class Table:
    """A breakdown of one quantity by one category."""

    name: str
    cells: tuple[Cell, ...]
    total: str | None  # None: the table has no total (topics)

    def max_value(self) -> int:
        """The largest published value (for chart scales; at least 1)."""
        return max([c.value or 0 for c in self.cells] + [THRESHOLD, 1])


@dataclass
class Report:
    """Everything the report publishes (already suppressed)."""

    year: int
    province: str | None
    generated_at: datetime
    conversations: str
    escalations: str
    tables: list[Table] = field(default_factory=list)
    medians: dict[str, str] = field(default_factory=dict)  # name → minutes, or "<5 cases"


def suppress(name: str, counts: dict[str, int], *, with_total: bool = True) -> Table:
    """Publish `counts` with primary and secondary suppression (see the module docstring)."""
    if not with_total:
        small = {k for k, v in counts.items() if 0 < v < THRESHOLD}
        return _table(name, counts, small, set(), None)
    tables, _ = suppress_family([(name, counts)])
    return tables[0]


@dataclass
class _Hiding:
    """What one table of a family hides so far."""

    name: str
    counts: dict[str, int]
    primary: set[str]
    secondary: set[str] = field(default_factory=set)

    def hidden(self) -> list[str]:
        return sorted(self.primary | self.secondary)

    def bounds(self, key: str) -> tuple[float, float]:
        """What a hidden cell may be: 1-4 for "<5", at least 5 for one hidden to protect it."""
        return (1.0, THRESHOLD - 1.0) if key in self.primary else (float(THRESHOLD), math.inf)

    def published_sum(self) -> int:
        return sum(v for k, v in self.counts.items() if k not in self.primary | self.secondary)

    def candidate(self) -> tuple[int, str] | None:
        """The smallest published non-zero cell (hidden next), if any."""
        left = sorted((v, k) for k, v in self.counts.items()
                      if v and k not in self.primary | self.secondary)  # fmt: skip
        return left[0] if left else None


def suppress_family(
    tables: list[tuple[str, dict[str, int]]],
) -> tuple[list[Table], str]:
    """Suppress tables that break down the same population (equal sums) together.

    Returns the tables and the family's total as published ("<5", "suppressed" or the number).
    Each hidden cell must keep at least two possible values given everything published in the
    family: the total where shown, and every table's published cells and hidden intervals, which
    together bound the total even where it is hidden.
    """
    total = sum(tables[0][1].values())
    family = [_Hiding(n, c, {k for k, v in c.items() if 0 < v < THRESHOLD}) for n, c in tables]
    total_hidden = 0 < total < THRESHOLD  # then shown as "<5"
    while True:
        pinned = _pinned_table(family, total, total_hidden)
        if pinned is None:
            break
        own = pinned.candidate()
        if own is not None:
            pinned.secondary.add(own[1])
        elif not total_hidden:
            total_hidden = True
        else:
            others = [(c, t) for t in family if t is not pinned and (c := t.candidate())]
            if not others:
                break  # nothing left to hide
            (_, key), table = min(others, key=lambda pair: pair[0])
            table.secondary.add(key)
    shown = LESS if 0 < total < THRESHOLD else HIDDEN if total_hidden else str(total)
    out = [_table(t.name, t.counts, t.primary, t.secondary, shown) for t in family]
    return out, shown


def _pinned_table(family: list[_Hiding], total: int, total_hidden: bool) -> _Hiding | None:
    """A table with a hidden cell that what is published pins to one value, or None."""
    if not total_hidden:
        low_total, high_total = float(total), float(total)
    elif 0 < total < THRESHOLD:
        low_total, high_total = 1.0, THRESHOLD - 1.0
    else:
        low_total, high_total = 0.0, math.inf
    for table in family:  # every table's published cells and hidden intervals bound the total
        hidden = table.hidden()
        published = table.published_sum()
        low_total = max(low_total, published + sum(table.bounds(k)[0] for k in hidden))
        high_total = min(high_total, published + sum(table.bounds(k)[1] for k in hidden))
    for table in family:
        hidden = table.hidden()
        if not hidden:
            continue
        lo = [table.bounds(k)[0] for k in hidden]
        hi = [table.bounds(k)[1] for k in hidden]
        rest_low, rest_high = low_total - table.published_sum(), high_total - table.published_sum()
        for i in range(len(hidden)):
            low = max(lo[i], rest_low - sum(h for j, h in enumerate(hi) if j != i))
            high = min(hi[i], rest_high - sum(v for j, v in enumerate(lo) if j != i))
            if low >= high:
                return table
    return None


def _table(
    name: str, counts: dict[str, int], primary: set[str], secondary: set[str], total: str | None
) -> Table:
    cells = tuple(
        Cell(k, None, LESS)
        if k in primary
        else Cell(k, None, HIDDEN)
        if k in secondary
        else Cell(k, v, str(v))
        for k, v in counts.items()
    )
    return Table(name, cells, total)


def _count(keys: Iterable[str], order: Iterable[str] = ()) -> dict[str, int]:
    counts = dict.fromkeys(order, 0)
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return counts


def _median(minutes: list[float]) -> str:
    return f"{statistics.median(minutes):.0f}" if len(minutes) >= THRESHOLD else f"{LESS} cases"


def _bounds(year: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    return start, datetime(year + 1, 1, 1, tzinfo=zone).astimezone(timezone.utc)


def _rows(store: Store, year: int, province: str | None, zone: ZoneInfo) -> tuple[list[Any], ...]:
    start, end = _bounds(year, zone)
    conv = select(
        Conversation.id, Conversation.channel, Conversation.audience, Conversation.started_at
    ).where(Conversation.started_at >= start, Conversation.started_at < end)
    cases = select(
        Escalation.priority,
        Escalation.status,
        Escalation.outcome,
        Escalation.created_at,
        Escalation.claimed_at,
        Escalation.resolved_at,
    ).where(Escalation.created_at >= start, Escalation.created_at < end,
            Escalation.priority != FLOOD)  # a flood group is no case of its own  # fmt: skip
    if province:
        conv = conv.where(Conversation.province == province)
        cases = cases.where(Escalation.province == province)
    topics = select(ConversationTopic.topic).where(
        ConversationTopic.conversation_id.in_(conv.with_only_columns(Conversation.id))
    )
    with store.session() as s:
        return (list(s.execute(conv)), list(s.execute(cases)), list(s.execute(topics).scalars()))


def build_report(
    store: Store, year: int, *, province: str | None = None, timezone_name: str = "Asia/Ho_Chi_Minh"
) -> Report:
    """Count a year (optionally one province) and apply the suppression rules."""
    zone = ZoneInfo(timezone_name)
    conversations, cases, topics = _rows(store, year, province, zone)
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    month_of = [c.started_at.astimezone(zone).strftime("%Y-%m") for c in conversations]
    outcomes = [c.outcome if c.status == "resolved" else "open" for c in cases]
    by_conversation, conv_total = suppress_family([
        ("channel", _count((c.channel for c in conversations), CHANNELS)),
        ("audience", _count((c.audience or "unknown" for c in conversations), AUDIENCES)),
        ("month", _count(month_of, months)),
    ])  # fmt: skip
    by_case, case_total = suppress_family([
        ("priority", _count((c.priority for c in cases), PRIORITIES)),
        ("outcome", _count(outcomes, (*OUTCOMES, "open"))),
    ])  # fmt: skip
    topic = suppress("topic", dict(sorted(_count(topics).items())), with_total=False)
    tables = [topic, *by_conversation, *by_case]
    claim = [(c.claimed_at - c.created_at) / timedelta(minutes=1) for c in cases if c.claimed_at]
    done = [(c.resolved_at - c.created_at) / timedelta(minutes=1) for c in cases if c.resolved_at]
    return Report(
        year=year,
        province=province,
        generated_at=store.clock(),
        conversations=conv_total,
        escalations=case_total,
        tables=tables,
        medians={"minutes_to_claim": _median(claim), "minutes_to_resolve": _median(done)},
    )


def to_csv(report: Report) -> str:
    """Long format: section, category, value (one row per published cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "category", "value"])
    scope = report.province or "all"
    writer.writerow(["report", "year", report.year])
    writer.writerow(["report", "province", scope])
    writer.writerow(["conversations", "total", report.conversations])
    writer.writerow(["escalations", "total", report.escalations])
    for table in report.tables:
        for cell in table.cells:
            writer.writerow([table.name, cell.key, cell.shown])
        if table.total is not None:
            writer.writerow([table.name, "total", table.total])
    for name, value in report.medians.items():
        writer.writerow(["median", name, value])
    return out.getvalue()


def topic_labels() -> dict[str, str]:
    """Readable titles of the topics that have a content file (falls back to the intent name)."""
    from bot.content import load_content

    try:
        content = load_content()
    except (OSError, KeyError, ValueError):
        return {}
    return {key: content.title(key) for key in content.topics}
