"""The one table `make bench` prints: rows built from both pipelines' figures, as Markdown.

Figures are plain dicts (name → number) so the JSON written next to the table holds the same
values. The ratio column is always ours ÷ default: below 1 is better for times and memory, above 1
for throughput. Targets are checked against our pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

Figures = dict[str, float]
UNITS = {"s": "{:.1f} s", "ms": "{:.1f} ms", "MiB": "{:.0f} MiB", "msg/s": "{:.1f} msg/s"}


@dataclass(frozen=True)
class Row:
    """One measure for both pipelines, with the target our pipeline has to meet (if any)."""

    label: str
    unit: str  # a key of UNITS, or "" for a count
    ours: float | None
    default: float | None
    target: str = ""
    met: bool | None = None  # None when there is no target or nothing to check
    before: float | None = None  # our pipeline on an earlier checkout (`--before`), if measured


def value(number: float | None, unit: str) -> str:
    """A figure with its unit; an em dash when not measured."""
    if number is None:
        return "—"
    return UNITS[unit].format(number) if unit else f"{number:.0f}"


def ratio(ours: float | None, default: float | None) -> str:
    """Our figure ÷ the default's, with two decimals; an em dash when undefined."""
    if ours is None or default is None or default == 0:
        return "—"
    return f"{ours / default:.2f}"


def target_cell(row: Row) -> str:
    """The target and whether our figure meets it."""
    if not row.target:
        return ""
    if row.met is None:
        return row.target
    return f"{row.target}: {'met' if row.met else 'MISSED'}"


def _check(number: float | None, test: Callable[[float], bool]) -> bool | None:
    return None if number is None else test(number)


def level_rows(ours: Figures, default: Figures, level: int) -> list[Row]:
    """Round trip, throughput and errors at one concurrency level."""
    key = f"c{level}_"
    o, d = ours.get, default.get
    people = "person" if level == 1 else "people"
    p95_target, p95_met = "", None
    if level == 20:
        p95_target, p95_met = "≤ 100 ms", _check(o(key + "p95_ms"), lambda v: v <= 100)
    speed = _speedup(o(key + "throughput"), d(key + "throughput"))
    errors_target = "0" if level == 200 else ""
    return [
        Row(f"round trip p50, {level} {people}", "ms", o(key + "p50_ms"), d(key + "p50_ms")),
        Row(
            f"round trip p95, {level} {people}",
            "ms",
            o(key + "p95_ms"),
            d(key + "p95_ms"),
            p95_target,
            p95_met,
        ),  # fmt: skip
        Row(
            f"throughput, {level} {people}",
            "msg/s",
            o(key + "throughput"),
            d(key + "throughput"),
            "≥ 2× default",
            _check(speed, lambda v: v >= 2),
        ),  # fmt: skip
        Row(
            f"errors, {level} {people} (of messages sent)",
            "",
            o(key + "errors"),
            d(key + "errors"),
            errors_target,
            _check(o(key + "errors"), lambda v: v == 0) if errors_target else None,
        ),  # fmt: skip
    ]


def _speedup(ours: float | None, default: float | None) -> float | None:
    return None if ours is None or not default else ours / default


def build_rows(ours: Figures, default: Figures, levels: Iterable[int]) -> list[Row]:
    """Every row of the table, in reading order; absent figures show as em dashes."""
    o, d = ours.get, default.get
    rows = [
        Row(
            "training time, full model, no cache",
            "s",
            o("train_s"),
            d("train_s"),
            "≤ 300 s",
            _check(o("train_s"), lambda v: v <= 300),
        ),  # fmt: skip
        Row("peak memory while training", "MiB", o("train_peak_mib"), d("train_peak_mib")),
        Row(
            "cold start: process start to model loaded", "s", o("cold_start_s"), d("cold_start_s")
        ),  # fmt: skip
        Row("server start to GET /health OK", "s", o("ready_s"), d("ready_s")),
        Row(
            "NLU parse p50 (in-process)",
            "ms",
            o("parse_p50_ms"),
            d("parse_p50_ms"),
            "≤ 10 ms",
            _check(o("parse_p50_ms"), lambda v: v <= 10),
        ),  # fmt: skip
        Row("NLU parse p95 (in-process)", "ms", o("parse_p95_ms"), d("parse_p95_ms")),
        Row("peak memory, parsing process", "MiB", o("parse_peak_mib"), d("parse_peak_mib")),
    ]
    for level in levels:
        rows += level_rows(ours, default, level)
    rows.append(Row("peak RSS per worker, after the load", "MiB", o("worker_peak_mib"),
                    d("worker_peak_mib")))  # fmt: skip
    return rows


def with_before(rows: list[Row], before: list[Row]) -> list[Row]:
    """`rows` with the "ours" figures of `before` as their `before` column.

    `before` holds the same measures, built from an earlier checkout's figures (`--before`).
    """
    return [replace(row, before=old.ours) for row, old in zip(rows, before, strict=True)]


def render(rows: list[Row]) -> str:
    """A Markdown table with aligned columns (and the before columns when measured)."""
    header: tuple[str, ...] = ("measure", "ours", "Rasa default", "ours ÷ default", "target (ours)")
    cells: list[tuple[str, ...]] = [
        (
            r.label,
            value(r.ours, r.unit),
            value(r.default, r.unit),
            ratio(r.ours, r.default),
            target_cell(r),
        )  # fmt: skip
        for r in rows
    ]
    if any(r.before is not None for r in rows):
        header = (header[0], "before", *header[1:], "ours ÷ before")
        cells = [(c[0], value(r.before, r.unit), *c[1:], ratio(r.ours, r.before))
                 for c, r in zip(cells, rows, strict=True)]  # fmt: skip
    cells = [header, *cells]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
