"""The bench table: figures, ratios, targets and the Markdown layout."""

import pytest

from bench.table import Row, build_rows, ratio, render, target_cell, value, with_before


@pytest.mark.parametrize(
    ("number", "unit", "expected"),
    [
        (169.04, "s", "169.0 s"),
        (9.04, "ms", "9.0 ms"),
        (657.6, "MiB", "658 MiB"),
        (55.55, "msg/s", "55.5 msg/s"),
        (0, "", "0"),
        (3.0, "", "3"),
        (None, "ms", "—"),
    ],
)
def test_value(number, unit, expected):
    assert value(number, unit) == expected


@pytest.mark.parametrize(
    ("ours", "default", "expected"),
    [(10.0, 40.0, "0.25"), (60.0, 20.0, "3.00"), (0.0, 5.0, "0.00"), (1.0, 0.0, "—"),
     (None, 1.0, "—"), (1.0, None, "—")],
)  # fmt: skip
def test_ratio_is_ours_over_default(ours, default, expected):
    assert ratio(ours, default) == expected


def test_target_cell():
    assert target_cell(Row("x", "ms", 1.0, 2.0)) == ""
    assert target_cell(Row("x", "ms", 1.0, 2.0, "≤ 100 ms", True)) == "≤ 100 ms: met"
    assert target_cell(Row("x", "ms", 1.0, 2.0, "≤ 100 ms", False)) == "≤ 100 ms: MISSED"
    assert target_cell(Row("x", "ms", None, 2.0, "≤ 100 ms", None)) == "≤ 100 ms"


OURS = {
    "train_s": 170.0, "parse_p50_ms": 9.0, "c20_p95_ms": 80.0, "c20_throughput": 60.0,
    "c200_errors": 0, "c200_throughput": 50.0, "c1_throughput": 40.0,
}  # fmt: skip
DEFAULT = {
    "train_s": 900.0, "parse_p50_ms": 30.0, "c20_p95_ms": 400.0, "c20_throughput": 20.0,
    "c200_errors": 12, "c200_throughput": 30.0, "c1_throughput": 20.0,
}  # fmt: skip


def by_label(rows):
    return {r.label: r for r in rows}


def test_build_rows_checks_the_issue_targets_against_ours():
    rows = by_label(build_rows(OURS, DEFAULT, (1, 20, 200)))
    assert rows["round trip p95, 20 people"].met is True
    assert rows["errors, 200 people (of messages sent)"].met is True
    assert rows["throughput, 20 people"].met is True  # 60 / 20 = 3×
    assert rows["throughput, 200 people"].met is False  # 50 / 30 < 2×
    assert rows["throughput, 1 person"].met is True  # exactly 2×
    assert rows["training time, full model, no cache"].met is True
    assert rows["NLU parse p50 (in-process)"].met is True


def test_build_rows_misses_are_reported():
    slow = {**OURS, "c20_p95_ms": 100.1, "c200_errors": 1}
    rows = by_label(build_rows(slow, DEFAULT, (20, 200)))
    assert rows["round trip p95, 20 people"].met is False
    assert rows["errors, 200 people (of messages sent)"].met is False


def test_build_rows_only_for_the_levels_measured():
    labels = [r.label for r in build_rows(OURS, DEFAULT, (20,))]
    assert "round trip p50, 20 people" in labels
    assert not any("200 people" in label or "1 person" in label for label in labels)
    assert labels[0] == "training time, full model, no cache"
    assert labels[-1] == "peak RSS per worker, after the load"


def test_build_rows_without_figures_has_no_verdict():
    rows = by_label(build_rows({}, {}, (20, 200)))
    assert rows["round trip p95, 20 people"].met is None
    assert rows["throughput, 20 people"].met is None
    assert rows["training time, full model, no cache"].ours is None


def test_render_is_an_aligned_markdown_table():
    rows = [Row("short", "ms", 1.0, 4.0, "≤ 100 ms", True), Row("a longer label", "", 0, 3)]
    lines = render(rows).splitlines()
    assert lines[0].startswith("| measure ")
    assert set(lines[1]) <= {"|", "-"}
    assert len({len(line) for line in lines}) == 1  # every line the same width
    assert [c.strip() for c in lines[2].strip("|").split("|")] == [
        "short", "1.0 ms", "4.0 ms", "0.25", "≤ 100 ms: met"
    ]  # fmt: skip
    assert [c.strip() for c in lines[3].strip("|").split("|")] == [
        "a longer label", "0", "3", "0.00", ""
    ]  # fmt: skip


def test_render_adds_the_before_columns_when_an_earlier_checkout_was_measured():
    rows = with_before([Row("p50", "ms", 3.0, 12.0)], [Row("p50", "ms", 4.0, 12.0)])
    lines = render(rows).splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")] == [
        "measure", "before", "ours", "Rasa default", "ours ÷ default", "target (ours)",
        "ours ÷ before",
    ]  # fmt: skip
    assert [c.strip() for c in lines[2].strip("|").split("|")] == [
        "p50", "4.0 ms", "3.0 ms", "12.0 ms", "0.25", "", "0.75"
    ]  # fmt: skip
    assert "before" not in render([Row("p50", "ms", 3.0, 12.0)])
