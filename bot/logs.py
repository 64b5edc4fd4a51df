"""Logs without message text: what `donghanh` installs unless DONGHANH_DEBUG=true.

Our own code never logs what people write, but text can reach a log line through others:

- an exception's message (SQLAlchemy's carries the statement's parameters, e.g. a case's context
  packet; an HTTP error may carry a request body): tracebacks are printed with exception types
  only (`PrivateFormatter`), and our engines and Rasa's hide SQL parameters as well;
- Python warnings (Rasa's "Parsed an intent '<the text after a slash>' which is not defined"):
  they are routed into logging and shown as category and place only (`hide_warning_text`);
- Rasa's structlog lines (`text`, `user_message`, `rasa_events`, ... and exceptions): those keys
  are replaced before the line is rendered (`hide_structlog_text`).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from types import TracebackType
from typing import Any, MutableMapping, Tuple, Type, Union

HIDDEN = "[hidden]"
# The event keys Rasa's own anonymiser treats as text (rasa.utils.log_utils._anonymizer), and ours.
TEXT_KEYS = frozenset({
    "text", "response_text", "user_text", "slot_values", "parse_data_text", "parse_data_entities",
    "prediction_events", "tracker_latest_message", "prefilled_slots", "message", "response",
    "slot_candidates", "rasa_event", "rasa_events", "tracker_states", "current_states",
    "old_states", "successes", "current_entity", "next_entity", "states", "entity", "token_text",
    "user_message", "json_message", "event_info", "parse_data", "tracker", "events", "slots",
    "metadata", "utterance", "value", "data", "payload",
})  # fmt: skip
HANDLER_NAME = "donghanh"
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Rasa colours its warnings

ExcInfo = Union[
    Tuple[Type[BaseException], BaseException, TracebackType | None], Tuple[None, None, None]
]


class PrivateFormatter(logging.Formatter):
    """Prints tracebacks with the exception types and the code, never the exceptions' messages."""

    def format(self, record: logging.LogRecord) -> str:
        """Format `record`, never reusing a traceback another handler cached on it."""
        cached, record.exc_text = record.exc_text, None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: ExcInfo) -> str:  # noqa: N802 - logging's name
        """The traceback of `ei`, each exception shown by its type only."""
        _, value, _ = ei
        if value is None:
            return ""
        lines: list[str] = []
        seen: set[int] = set()
        chain: list[BaseException] = []
        current: BaseException | None = value
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            chain.append(current)
            current = current.__cause__ or current.__context__
        for exc in reversed(chain):
            if lines:
                lines.append("\nwhich led to:\n")
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_tb(exc.__traceback__))
            lines.append(f"{type(exc).__module__}.{type(exc).__qualname__} (message hidden)\n")
        return "".join(lines).rstrip("\n")


def hide_warning_text(record: logging.LogRecord) -> bool:
    """A filter: a Python warning is logged as its category and place, not its text."""
    if record.name == "py.warnings":
        message = ANSI.sub("", record.getMessage())
        head = message.split(":", 3)
        # warnings.formatwarning: "<file>:<line>: <Category>: <text>\n..."
        if len(head) >= 3:
            category = head[2].strip().split()[0] if head[2].strip() else "Warning"
            record.msg, record.args = f"{category} at {head[0]}:{head[1]} (text hidden)", None
        else:
            record.msg, record.args = "a warning (text hidden)", None
    return True


def hide_structlog_text(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    """A structlog processor: text-bearing values and exceptions become `[hidden]`/their type."""
    for key in TEXT_KEYS & event_dict.keys():
        event_dict[key] = HIDDEN
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        if exc_info is True:
            exc_info = sys.exc_info()
        if isinstance(exc_info, BaseException):
            event_dict["exception_type"] = type(exc_info).__name__
        elif isinstance(exc_info, tuple) and exc_info[0] is not None:
            event_dict["exception_type"] = exc_info[0].__name__
    event_dict.pop("exception", None)
    return event_dict


def install(level: int, *, debug: bool, stream: Any = None) -> logging.Handler:
    """Log everything at `level` to `stream` (stderr) through one handler of ours.

    Without `debug` the handler hides text as described in the module docstring. A handler
    installed by an earlier call is replaced, never doubled.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(HANDLER_NAME)
    fmt = "%(levelname)s %(name)s: %(message)s"
    handler.setFormatter(logging.Formatter(fmt) if debug else PrivateFormatter(fmt))
    if not debug:
        handler.addFilter(hide_warning_text)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    return handler


def configure_rasa_structlog(level: int, *, debug: bool) -> None:
    """Rasa's structlog setup, with text hidden first unless `debug`."""
    import structlog

    from bot.engine.model import configure_structlog

    configure_structlog(level)
    if debug:
        return
    processors = list(structlog.get_config()["processors"])
    if hide_structlog_text not in processors:
        structlog.configure(processors=[hide_structlog_text, *processors])
