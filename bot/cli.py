"""The `donghanh` command: train, parse, eval, chat."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

from bot.pseudonym import MissingKey, load_key
from bot.settings import Settings, get_settings

os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # never phone home


def _model_or_exit(settings: Settings, given: str | None) -> Path:
    from bot.engine import model

    path = Path(given) if given else model.latest_model(settings)
    if path is None or not path.is_file():
        sys.exit("No trained model. Run `donghanh train` (or `make run`) first.")
    return path


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    """Train a model unless one matching the data exists (`--force` retrains)."""
    from bot.engine import model

    path = model.train(settings, force=args.force)
    print(path)
    return 0


async def _parse_lines(parser: Any, lines: list[bytes]) -> None:
    for line in lines:
        result = await parser.parse(line.rstrip(b"\r\n"))
        print(json.dumps(result, ensure_ascii=False), flush=True)


def cmd_parse(args: argparse.Namespace, settings: Settings) -> int:
    """Parse TEXT, or every line of stdin, into one JSON object per message."""
    from bot.engine import model
    from bot.parser import Parser

    parser = Parser(model.load_agent(_model_or_exit(settings, args.model)),
                    max_chars=settings.max_message_chars)  # fmt: skip
    lines = [os.fsencode(args.text)] if args.text is not None else sys.stdin.buffer.readlines()
    asyncio.run(_parse_lines(parser, lines))
    return 0


async def _parse_file(
    settings: Settings, model_path: Path, path: Path
) -> tuple[list[Any], list[Any]]:
    from bot.engine import model
    from bot.nlu.datacheck import load_examples
    from bot.parser import Parser

    parser = Parser(model.load_agent(model_path), max_chars=settings.max_message_chars)
    examples = load_examples([path])
    return examples, [await parser.parse(e.text) for e in examples]


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Evaluate on a labelled file (or by cross-validation); exit 1 below the urgent-recall bar."""
    from bot.crossval import cross_validate
    from bot.evaluation import (
        ablation_report,
        ablations,
        predictions_from,
        report,
        score,
        split_by_diacritics,
    )
    from bot.nlu.rules import default_rules

    if args.cross_validation:
        predictions = asyncio.run(cross_validate(settings, args.cross_validation))
    else:
        model_path = _model_or_exit(settings, args.model)
        examples, results = asyncio.run(_parse_file(settings, model_path, Path(args.file)))
        predictions = predictions_from(examples, results)
    print(report(predictions))
    if args.layers and not args.cross_validation:
        print()
        print(ablation_report(ablations(examples, results, default_rules())))
    overall = score(predictions)
    if args.json:
        parts = {k: v.as_dict() for k, v in split_by_diacritics(predictions).items()}
        Path(args.json).write_text(json.dumps({"overall": overall.as_dict(), **parts}, indent=2))
    if overall.urgent_recall < args.min_urgent_recall:
        print(f"FAIL: urgent recall {overall.urgent_recall:.3f} < {args.min_urgent_recall}")
        return 1
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Talk with the bot in the terminal."""
    from bot import bootstrap
    from bot.chat import chat

    agent = bootstrap.load_bot_agent(settings, _model_or_exit(settings, args.model))
    bot = bootstrap.build(settings, agent=agent)
    asyncio.run(chat(bot.core))
    return 0


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    """The argument parser; each sub-command names its handler."""
    top = argparse.ArgumentParser(prog="donghanh", description="Đồng Hành: child online-safety bot")
    verbose_help = "our INFO log (everyone's DEBUG log only with DONGHANH_DEBUG=true)"
    top.add_argument("-v", "--verbose", action="store_true", help=verbose_help)
    sub = top.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train a model if none matches the data")
    train.add_argument("--force", action="store_true", help="retrain even if up to date")
    parse = sub.add_parser("parse", help="triage TEXT or stdin lines as JSON")
    parse.add_argument("text", nargs="?", help="one message; without it, read lines from stdin")
    ev = sub.add_parser("eval", help="accuracy, macro-F1, urgent recall/precision")
    ev.add_argument("file", nargs="?", default=str(settings.root / "tests/nlu/heldout.yml"))
    ev.add_argument("--cross-validation", type=int, metavar="N", help="N-fold CV on nlu_data/")
    ev.add_argument("--min-urgent-recall", type=float, default=settings.min_urgent_recall)
    ev.add_argument("--json", metavar="FILE", help="also write the scores as JSON")
    ev.add_argument(
        "--layers",
        action="store_true",
        help="also score the intent model, rules and urgency detector alone and together",
    )
    chat = sub.add_parser("chat", help="talk with the bot in the terminal")
    run = sub.add_parser("run", help="serve the web chat, Telegram and Zalo (what is configured)")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    sub.add_parser("migrate", help="create or upgrade the tables (before starting several workers)")
    for p in (parse, ev, chat, run):
        p.add_argument("--model", help="model archive (default: the one matching the data)")
    from bot.console.commands import add_commands  # operator add|list|disable, report

    COMMANDS.update(add_commands(sub))
    from bot.privacy_commands import add_commands as add_privacy_commands  # purge

    COMMANDS.update(add_privacy_commands(sub))
    return top


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve every enabled channel from one process until interrupted."""
    from bot.app import serve

    serve(settings, args.host, args.port, model_path=_model_or_exit(settings, args.model))
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Create or upgrade our tables and Rasa's tracker table, once, before the workers start."""
    from bot.engine.tracker_store import tracker_store_for
    from bot.storage.store import Store

    Store.open(settings.database_url)
    tracker_store_for(settings.database_url)
    print("tables up to date")
    return 0


# Files we create (data/: the SQLite database and its log, the development key, Zalo's tokens,
# reports) are readable by this user only: 0600, folders 0700.
PRIVATE_UMASK = 0o077
NEEDS_KEY = ("run", "chat")  # they pseudonymise people: no key, no start in production
COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "train": cmd_train,
    "parse": cmd_parse,
    "eval": cmd_eval,
    "chat": cmd_chat,
    "run": cmd_run,
    "migrate": cmd_migrate,
}


def configure_logging(verbose: bool, debug: bool = False) -> None:
    """Send all logs, Rasa's structlog included, to stderr: stdout carries only results.

    Logs never carry message text unless DONGHANH_DEBUG is true (`bot.logs`): our own code never
    logs it; Rasa logs it at DEBUG, which `-v` leaves off (it raises our loggers, `bot` and
    `actions`, to INFO and leaves every other logger, Rasa's included, at WARNING); and what could
    still carry it at any level (exception messages, Python warnings, structlog values) is
    printed without it. Only `-v` with DONGHANH_DEBUG=true turns on everyone's DEBUG log, message
    text included.
    """
    from bot.logs import configure_rasa_structlog, install

    full = verbose and debug
    level = logging.DEBUG if full else logging.WARNING
    if not verbose:  # deprecation noise from rasa's pinned dependencies
        warnings.filterwarnings("ignore")
    install(level, debug=debug)
    configure_rasa_structlog(level, debug=debug)
    for ours in ("bot", "actions"):
        logging.getLogger(ours).setLevel(
            logging.DEBUG if full else logging.INFO if verbose else logging.WARNING
        )
    for noisy in ("rasa", "tensorflow", "absl", "sanic", "py.warnings"):
        logging.getLogger(noisy).setLevel(
            logging.DEBUG if full else logging.WARNING if verbose else logging.ERROR
        )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `donghanh` console script."""
    os.umask(PRIVATE_UMASK)  # the database, keys and tokens are for this user alone
    settings = get_settings()
    args = build_parser(settings).parse_args(argv)
    configure_logging(args.verbose, settings.debug)
    try:
        if args.command == "run":
            from bot.app import refuse_public_without_key

            refuse_public_without_key(settings, args.host)
        if args.command in NEEDS_KEY:  # refuse before the model loads, not 20 seconds later
            load_key(settings.secret_key, settings.data_dir, production=settings.production)
        return COMMANDS[args.command](args, settings)
    except MissingKey as exc:
        print(f"donghanh: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
