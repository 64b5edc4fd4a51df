"""No message text in any log line, at `-v`, through every failure path (no model needed).

A marker standing for what a child wrote is sent through: a case that cannot be saved (the
database refuses the statement: SQLAlchemy's error carries its parameters), an action that fails,
an unknown payload (Rasa's warning quotes it), a Telegram update that fails, a Zalo reply that
cannot be sent, and a Rasa structlog line. The log, as printed, must not contain it, unless
DONGHANH_DEBUG=true (the control: then it does).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
from sqlalchemy import text

from bot import runtime
from bot.cli import configure_logging
from bot.content import load_content
from bot.settings import Settings
from bot.storage.store import Store

MARKER = "Zqxjv con bi doa"  # ASCII: JSON logs escape Vietnamese letters
LOGGERS = ("", "bot", "actions", "rasa", "tensorflow", "absl", "sanic", "py.warnings")


@pytest.fixture
def logging_restored() -> Iterator[None]:
    import structlog

    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    handlers = list(root.handlers)
    config = structlog.get_config()
    filters = list(warnings.filters)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root.handlers[:] = handlers
    logging.captureWarnings(False)
    structlog.configure(**config)
    warnings.filters[:] = filters


def broken_store(tmp_path: Path) -> Store:
    """A store whose escalations table is gone: every INSERT of a case fails."""
    store = Store.open(f"sqlite:///{tmp_path / 'broken.db'}")
    with store.engine.begin() as c:
        c.execute(text("ALTER TABLE escalations RENAME TO escalations_gone"))
    return store


async def fail_everywhere(settings: Settings, tmp_path: Path) -> None:
    """Send the marker through every failure path."""
    from rasa_sdk import Tracker

    from actions.common import open_case
    from bot.channels.base import MESSAGE, Event
    from bot.channels.telegram import TelegramChannel
    from bot.channels.zalo import ZaloChannel
    from bot.messages import IncomingMessage, OutgoingMessage

    store = broken_store(tmp_path)
    runtime.install(runtime.Services(settings, load_content(), store))
    events = [{"event": "user", "text": MARKER, "timestamp": 1.0, "parse_data": {}}]
    tracker = Tracker("web-abc", {}, {"text": MARKER, "intent": {"name": "self_harm"}},
                      events, False, None, {}, "action_listen")  # fmt: skip
    assert open_case(tracker, "self_harm", "urgent", "self_harm", "child") is False  # logged
    store.engine.dispose()

    try:  # an action that fails, as Rasa's processor logs it
        raise ValueError(f"could not answer {MARKER!r}")
    except ValueError:
        logging.getLogger("rasa.core.processor").error("action failed", exc_info=True)

    import rasa.shared.utils.io

    with warnings.catch_warnings():  # pytest's settings ignore UserWarning; the bot's do not
        warnings.simplefilter("always")
        rasa.shared.utils.io.raise_warning(  # what Rasa says of "/<anything>" it does not know
            f"Parsed an intent '{MARKER}' which is not defined in the domain."
        )

    context = SimpleNamespace(error=RuntimeError(f"Bad Request: message text {MARKER}"))
    await TelegramChannel._on_error(object(), None, context)  # type: ignore[arg-type]

    async def send(address: str, replies: list[Any]) -> None:
        raise RuntimeError(f"send failed for {replies[0].text}")

    zalo = SimpleNamespace(core=SimpleNamespace(person_id=lambda c, p: "zalo-abc"), send=send)
    event = Event(MESSAGE, IncomingMessage("zalo", "123", "xin chao"))
    await ZaloChannel._send_replies(zalo, event, [OutgoingMessage(MARKER)])  # type: ignore[arg-type]

    import structlog

    structlog.get_logger("rasa.core.processor").warning(
        "processor.message.failed", text=MARKER, user_message=MARKER,
        exc_info=ValueError(MARKER),
    )  # fmt: skip


@pytest.mark.parametrize("debug", [False, True])
async def test_no_log_line_carries_the_text_unless_debug(
    settings: Settings,
    tmp_path: Path,
    debug: bool,
    capsys: pytest.CaptureFixture[str],
    logging_restored: None,
) -> None:
    configure_logging(verbose=True, debug=debug)
    await fail_everywhere(settings, tmp_path)
    for handler in logging.getLogger().handlers:
        handler.flush()
    printed = capsys.readouterr()
    log = printed.err + printed.out
    assert "could not record an escalation" in log  # the failures were logged ...
    assert "telegram: update failed" in log and "zalo: sending the reply" in log
    if debug:
        assert MARKER in log  # the control: the log would show the text if it carried it
        return
    assert MARKER not in log, [line for line in log.splitlines() if MARKER in line]
    assert "Traceback" in log and "(message hidden)" in log  # ... with their tracebacks
    assert "UserWarning" in log  # Rasa's warning is still there, without its text


def test_our_engines_hide_statement_parameters(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        assert store.engine.hide_parameters and store.turn_engine.hide_parameters
    finally:
        store.engine.dispose()
        store.turn_engine.dispose()


def test_rasa_tracker_store_hides_statement_parameters(tmp_path: Path) -> None:
    from bot.engine.tracker_store import tracker_store_for

    tracker_store = tracker_store_for(f"sqlite:///{tmp_path / 't.db'}")
    assert tracker_store.engine.hide_parameters
    tracker_store.engine.dispose()
