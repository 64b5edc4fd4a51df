"""`donghanh operator add|list|disable` and `donghanh report`: registered by `bot.cli`.

Passwords never come from the command line (they would end up in the shell history and the
process list): they are asked with getpass on a terminal, or read from the first line of stdin.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from typing import Any, Callable

from bot.console.security import hash_password
from bot.settings import Settings
from bot.storage.models import ROLES
from bot.storage.store import Store, StoreError

Handler = Callable[[argparse.Namespace, Settings], int]
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
FIRST_RUN_HINT = (
    "No operator account exists yet. Create the first one with: "
    "donghanh operator add USERNAME --role admin (the password is asked, never typed on the "
    "command line), then log in at /console."
)


def first_run_hint(store: Store) -> str | None:
    """The sentence `make run` prints while no operator account exists (else None)."""
    return FIRST_RUN_HINT if store.count_operators() == 0 else None


def read_password(stdin: Any = None) -> str:
    """Ask twice on a terminal; otherwise take the first line of stdin."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat: "):
            raise ValueError("the two passwords differ")
        return first
    return stdin.readline().rstrip("\r\n")


def cmd_operator_add(args: argparse.Namespace, settings: Settings) -> int:
    """Create an account."""
    if not USERNAME.match(args.username):
        return _fail("username: 2-32 characters, lowercase letters, digits, . _ -")
    try:
        password = read_password()
    except (ValueError, EOFError) as exc:
        return _fail(str(exc) or "no password given")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return _fail(f"the password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    try:
        Store.open(settings.database_url).add_operator(
            args.username, hash_password(password), args.role
        )
    except StoreError as exc:
        return _fail(str(exc))
    print(f"operator {args.username} ({args.role}) created")
    return 0


def cmd_operator_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print every account, one per line."""
    for op in Store.open(settings.database_url).operators():
        state = "active" if op.active else "disabled"
        last = op.last_login_at.strftime("%Y-%m-%d %H:%M") if op.last_login_at else "never"
        print(f"{op.username}\t{op.role}\t{state}\tlast login: {last}")
    return 0


def cmd_operator_disable(args: argparse.Namespace, settings: Settings) -> int:
    """Disable an account (its sessions end at once)."""
    if not Store.open(settings.database_url).set_operator_active(args.username, False):
        return _fail(f"no operator {args.username!r}")
    print(f"operator {args.username} disabled")
    return 0


OPERATOR_COMMANDS: dict[str, Handler] = {
    "add": cmd_operator_add,
    "list": cmd_operator_list,
    "disable": cmd_operator_disable,
}


def cmd_operator(args: argparse.Namespace, settings: Settings) -> int:
    """Dispatch `donghanh operator ACTION`."""
    return OPERATOR_COMMANDS[args.action](args, settings)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def add_commands(subparsers: Any) -> dict[str, Handler]:
    """Add `operator` and `report` to the `donghanh` parser; returns their handlers by name."""
    from bot.console.report_page import add_report_command, cmd_report

    operator = subparsers.add_parser("operator", help="manage console accounts")
    actions = operator.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create an account (password from a prompt or stdin)")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, default="counsellor")
    actions.add_parser("list", help="list accounts")
    disable = actions.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")
    add_report_command(subparsers)
    return {"operator": cmd_operator, "report": cmd_report}
