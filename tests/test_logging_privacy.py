"""Logs carry no message text unless DONGHANH_DEBUG is on: a whole conversation, logs captured."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot import runtime
from bot.cli import configure_logging
from bot.content import load_content
from bot.core import Core
from bot.engine.conversations import Engine
from bot.limits import MemoryRateLimiter
from bot.messages import IncomingMessage
from bot.pseudonym import Pseudonymizer
from bot.settings import Settings
from tests.helpers.fakes import Clock, MemoryStore

pytestmark = pytest.mark.model

# What people write, and a fragment of each that no log line may contain.
MESSAGES = [
    ("con tôi bị bạn cùng lớp lập nhóm chat để chế giễu", "chế giễu"),
    ("e bi 1 ng la doa tung anh nong neu ko chuyen tien", "doa tung anh"),
    ("cai family link the nao", "family link"),
    ("tin nhắn này gửi quá nhanh nên bị từ chối", "quá nhanh"),  # over the rate limit
]
NONCE = "Zqxjv"  # ASCII: Rasa's JSON log escapes Vietnamese letters
SECRET_TEXT = f"con tôi kể chuyện riêng {NONCE} với bạn"
LOGGERS = ("", "bot", "actions", "rasa", "tensorflow", "absl", "sanic", "py.warnings")


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """`configure_logging` changes process-wide levels and structlog: put them back afterwards."""
    import structlog

    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    handlers = list(logging.getLogger().handlers)
    config = structlog.get_config()
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger().handlers[:] = handlers
    logging.captureWarnings(False)
    structlog.configure(**config)


@pytest.fixture
def core(agent: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Core:
    content, store = load_content(), MemoryStore()
    monkeypatch.setattr(runtime, "_current", runtime.Services(settings, content, store))
    limiter = MemoryRateLimiter(3, clock=Clock(1_800_000_000.0))
    return Core(Engine(agent), store, Pseudonymizer(b"k" * 32), content, max_chars=4000,
                rate_limiter=limiter)  # fmt: skip


def logged_text(records: list[logging.LogRecord]) -> str:
    parts = []
    for record in records:
        parts.append(record.getMessage())
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        parts.extend(str(arg) for arg in args)
    return "\n".join(parts)


@pytest.mark.parametrize("debug", [False, True])
def test_the_command_logs_text_only_in_debug(
    trained_model: Path, tmp_path: Path, debug: bool
) -> None:
    """`donghanh -v chat` as run: stderr (the log) has the text only with DONGHANH_DEBUG=true.

    The `True` case is the control: it shows the log would reveal the text if it carried it.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DONGHANH_", "DATABASE_"))}
    env = {**clean, "DONGHANH_DATA_DIR": str(tmp_path), "DONGHANH_SECRET_KEY": "k" * 32,
           "DONGHANH_DEBUG": str(debug).lower(), "RASA_TELEMETRY_ENABLED": "false"}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "-v", "chat", "--model", str(trained_model)],
        input=f"{SECRET_TEXT}\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Đồng Hành:" in proc.stdout  # it answered
    assert (NONCE in proc.stderr) is debug


async def test_no_message_text_in_any_log_record_without_debug(
    core: Core, caplog: pytest.LogCaptureFixture, logging_restored: None
) -> None:
    configure_logging(verbose=True, debug=False)
    logging.getLogger("bot").setLevel(logging.DEBUG)  # our own loggers at their most talkative
    logging.getLogger("actions").setLevel(logging.DEBUG)
    caplog.clear()
    replies = []
    for text, _ in MESSAGES:
        replies += await core.handle(IncomingMessage("telegram", "log-1", text))
    refusals = {core.content.say("rate_limited", voice) for voice in ("parent", "child")}
    assert replies[-1].text in refusals  # refused (and logged)
    core.rate_limiter.clock.now += 120  # type: ignore[union-attr]
    for text in ("/xoa", "/affirm"):  # deleting is logged too
        await core.handle(IncomingMessage("telegram", "log-1", text))

    ours = [r for r in caplog.records if r.name.split(".")[0] in ("bot", "actions")]
    assert any("refused" in r.getMessage() for r in ours)
    assert any("forgot a person" in r.getMessage() for r in ours)
    logged = logged_text(caplog.records)
    for text, fragment in MESSAGES:
        assert text not in logged and fragment not in logged, fragment
    assert all(r.levelno >= logging.WARNING for r in caplog.records if r.name.startswith("rasa"))


def test_verbose_without_debug_keeps_rasa_at_warning(logging_restored: None) -> None:
    configure_logging(verbose=True, debug=False)
    assert logging.getLogger("rasa.core.processor").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("bot.core").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    configure_logging(verbose=False, debug=True)  # debug alone does not make anything chatty
    assert logging.getLogger("rasa").getEffectiveLevel() == logging.ERROR
    assert logging.getLogger("bot").getEffectiveLevel() == logging.WARNING
    configure_logging(verbose=True, debug=True)
    assert logging.getLogger("rasa.core.processor").getEffectiveLevel() == logging.DEBUG
