"""The yearly report as a self-contained HTML page, and the `donghanh report` command.

The counts come from `bot.report`; the page reuses the console's templates and stylesheet.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.report import Report, build_report, to_csv, topic_labels
from bot.settings import Settings
from bot.storage.store import CODE, Store

HERE = Path(__file__).resolve().parent


def to_html(report: Report, *, labels: dict[str, str] | None = None) -> str:
    """A self-contained page: inline CSS and inline SVG charts, no scripts."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
    )
    return env.get_template("report_standalone.html").render(
        report=report, labels=labels or {}, css=_css()
    )


def _css() -> str:
    return (HERE / "static" / "console.css").read_text(encoding="utf-8")


def add_report_command(sub: Any) -> None:
    """`donghanh report --year Y [--province P] [--format csv|html] [--output PATH]`."""
    report = sub.add_parser("report", help="the yearly anonymous report (CSV or HTML)")
    report.add_argument("--year", type=int, required=True)
    report.add_argument("--province", help="only conversations carrying this province code")
    report.add_argument("--format", choices=("csv", "html"), default="csv")
    report.add_argument("--output", metavar="PATH", help="write here instead of stdout")


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Build the report from the database and print or write it."""
    if not 2000 <= args.year <= 2100:
        print("error: --year must be between 2000 and 2100", file=sys.stderr)
        return 2
    if args.province is not None and not CODE.match(args.province):
        print("error: --province must be a short code (letters, digits, . _ -)", file=sys.stderr)
        return 2
    store = Store.open(settings.database_url)
    report = build_report(
        store, args.year, province=args.province, timezone_name=settings.console.timezone
    )
    text = to_csv(report) if args.format == "csv" else to_html(report, labels=topic_labels())
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
