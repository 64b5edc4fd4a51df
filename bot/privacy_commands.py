"""`donghanh purge`: the retention job, registered by `bot.cli`.

Run it daily (cron or a systemd timer) while the bot serves; see `bot.storage.retention` for what
it removes and why the bot can keep serving meanwhile.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from bot.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    """Remove what is older than the retention period and print the counts per table."""
    from bot.storage.retention import purge
    from bot.storage.store import Store

    days = settings.retention_days if args.days is None else args.days
    if days < 1:
        print("error: the retention period must be at least one day", file=sys.stderr)
        return 2
    store = Store.open(settings.database_url)
    try:
        report = purge(store.engine, now=store.clock(), days=days, dry_run=args.dry_run)
    finally:
        store.engine.dispose()
    print(f"Retention: {days} days")
    for line in report.lines():
        print(line)
    return 0


def add_commands(subparsers: Any) -> dict[str, Handler]:
    """Add `purge` to the `donghanh` parser; returns its handler by name."""
    purge = subparsers.add_parser(
        "purge", help="delete conversations and tracker events older than the retention period"
    )
    purge.add_argument(
        "--days", type=int, help="retention period in days (default: DONGHANH_RETENTION_DAYS)"
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")
    return {"purge": cmd_purge}
