"""The conversation core: every channel hands its messages here and sends back what it returns.

It pseudonymises the sender, validates the text, runs the Rasa agent (custom actions in-process),
counts the turn for the yearly report, and carries out what must happen outside Rasa: the safe
words while a counsellor holds the conversation, and deleting the tracker after `/xoa`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Protocol

from bot.content import Content
from bot.deletion import deletion_step
from bot.delivery import Delivery, Sender
from bot.engine.conversations import BotLine, Engine
from bot.limits import Blocklist, RateLimiter, admit, over_any_limit
from bot.messages import IncomingMessage, OutgoingMessage
from bot.nlu.rules import default_rules
from bot.nlu.triage import URGENT_INTENTS
from bot.parser import InvalidMessage, MessageTooLong, check_text
from bot.pseudonym import Pseudonymizer
from bot.storage.api import StoreAPI, TurnRecord
from bot.storage.threads import off_loop

log = logging.getLogger(__name__)

# Commands typed by people or sent by channels, as the Rasa payloads they stand for.
ALIASES = {
    "/help": "/ask_hotline",
    "/111": "/ask_hotline",
    "/start": "/greet",
    "/xoa": '/ask_anonymity{"delete":"ask"}',
    "/delete": '/ask_anonymity{"delete":"ask"}',
}
FORGET_SLOT = "forget"
# `/xoa` and the buttons that confirm or cancel it (they mean nothing else without a question).
DELETION_STEPS = {ALIASES["/xoa"], "/affirm", "/deny"}
# Channels the bot cannot push to (REST and the web chat): notices written outside a turn (a
# timeout) come with the person's next reply there, and on the web chat's poll.
PULL_CHANNELS = ("web",)
LOCK_POLL_SECONDS = 0.02  # Rasa's default waits a whole second between looks at a held lock


class Hold(Protocol):
    """Who a counsellor holds (`bot.handoff.Handoff`), told of every message."""

    def holds(self, person_id: str) -> bool:
        """Whether a counsellor holds the person's case: they are never rate-limited."""

    async def on_message(self, person_id: str) -> None:
        """Called after each message of a person has been handled."""


@dataclass(frozen=True)
class TurnFacts:
    """What the bookkeeping after a turn needs of the tracker the turn ended with."""

    intent: str | None
    audience: str | None
    urgent: bool
    forget: bool
    notices: tuple[tuple[str, float], ...] = ()  # the bot's notices since the previous message
    paused: bool = False  # a counsellor holds the conversation: Rasa stays silent on purpose

    @classmethod
    def of(cls, tracker: Any) -> "TurnFacts":
        """Read the facts of a Rasa tracker."""
        latest = tracker.latest_message
        safety = (latest.parse_data or {}).get("safety") or {} if latest else {}
        return cls(
            intent=(latest.intent or {}).get("name") if latest else None,
            audience=tracker.get_slot("audience"),
            urgent=bool(safety.get("urgent")),
            forget=bool(tracker.get_slot(FORGET_SLOT)),
            notices=notices_before_latest(tracker.events),
            paused=bool(tracker.is_paused()),
        )


def notices_before_latest(events: Any) -> tuple[tuple[str, float], ...]:
    """(text, time) of the notices written since the person's previous message.

    Notices (`bot.handoff`: a timeout, "handed back") are written outside a turn; a channel that
    cannot push has not shown them yet.
    """
    found: list[tuple[str, float]] = []
    users = 0
    for event in reversed(list(events)):
        kind = getattr(event, "type_name", None)
        if kind == "user":
            users += 1
            if users == 2:
                break
        elif (
            kind == "bot" and users == 1 and (getattr(event, "metadata", None) or {}).get("notice")
        ):
            found.append((str(event.text or ""), float(event.timestamp)))
    return tuple(reversed(found))


def is_safe_word(text: str) -> bool:
    """Whether the message is a safe word (bot/nlu/data/safety_rules.yml, or /help)."""
    return text.strip().lower() in ("/help", "/111") or default_rules().is_safe_word(text)


class Core:
    """One conversation core for all channels."""

    def __init__(
        self,
        engine: Engine,
        store: StoreAPI,
        pseudonymizer: Pseudonymizer,
        content: Content,
        *,
        max_chars: int,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        rate_limiter: RateLimiter | None = None,
        blocklist: Blocklist | None = None,
        delivery: Delivery | None = None,
        hold: Hold | None = None,
    ) -> None:
        """Wire the core; senders are registered by the channels that can push messages.

        `rate_limiter` (`bot.limits.rate_limiter_for(settings)`) limits messages per person;
        `blocklist` defaults to the store when it keeps one (`bot.storage.store.Store`);
        `delivery` pushes to a person's channel (shared with the handoff); `hold` is the handoff
        (`bot.handoff.Handoff`): a person a counsellor holds is never rate-limited, since every
        message is for the counsellor, and it hears of every message.
        """
        self.engine = engine
        self.store = store
        self.pseudonymizer = pseudonymizer
        self.content = content
        self.max_chars = max_chars
        self.clock = clock
        self.delivery = delivery if delivery is not None else Delivery(store, pseudonymizer)
        if blocklist is None and isinstance(store, Blocklist):
            blocklist = store
        self.rate_limiter = rate_limiter
        self.blocklist = blocklist
        self.hold = hold

    @property
    def senders(self) -> dict[str, Sender]:
        """The channels that can push, by name."""
        return self.delivery.senders

    def person_id(self, channel: str, platform_id: str) -> str:
        """The pseudonym of a person on a channel."""
        return self.pseudonymizer.pseudonym(channel, platform_id)

    def register_sender(self, sender: Sender) -> None:
        """Let the core push messages (counsellor replies, timeouts) on this channel."""
        self.delivery.register(sender)

    async def audience(self, channel: str, platform_id: str) -> str | None:
        """Who is writing from this platform id (the conversation's `audience`), if known."""
        return await self.engine.audience(self.person_id(channel, platform_id))

    async def operator_messages(
        self, channel: str, platform_id: str, after: float
    ) -> list[BotLine]:
        """The counsellors' replies and the bot's notices (a timeout) newer than `after`."""
        lines = await self.engine.bot_lines(self.person_id(channel, platform_id), after)
        return [line for line in lines
                if line.metadata.get("operator") or line.metadata.get("notice")]  # fmt: skip

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        """Answer one message; an invalid one gets a clear reply and changes nothing."""
        try:
            text = check_text(message.text, max_chars=self.max_chars)
        except InvalidMessage as exc:
            return self._invalid(exc, message)
        person = self.person_id(message.channel, message.platform_id)
        deleting = await deletion_step(self, person, text, message)  # in every state, first
        if deleting is not None:
            return deleting
        refused = await self._refusal(person, text)
        if refused is not None:
            return refused
        if is_safe_word(text):  # while a counsellor holds the conversation, Rasa stays silent
            tracker = await self.engine.tracker(person)
            if tracker is not None and tracker.is_paused():
                await self._run(person, text, message)  # keep it in the transcript
                return [OutgoingMessage(self.content.help_card(tracker.get_slot("audience")))]
        done = await self._run(person, ALIASES.get(text.lower(), text), message)
        if done is None:  # a retry of a message already handled
            return [] if message.channel in self.senders else await self._replay(person, message)
        replies, facts = done
        if not replies and facts is not None and not facts.paused:
            # an action failed (Rasa logs it and carries on): never leave a person without 111
            log.error("a turn of %s produced no reply; sending the help card", person)
            replies = [OutgoingMessage(self.content.help_card(facts.audience))]
        if facts is not None and facts.notices and message.channel in PULL_CHANNELS:
            replies = [OutgoingMessage(t, notice_at=at) for t, at in facts.notices] + replies
        await self._after_turn(person, message, facts)
        if self.hold is not None:
            await self.hold.on_message(person)
        return replies

    async def _refusal(self, person: str, text: str) -> list[OutgoingMessage] | None:
        """The reply to a blocked or too fast person; None to handle the message as usual.

        A refused message is parsed first (NLU only) and handled as usual when it is urgent:
        no limit ever keeps anyone from the urgent protocol and 111. The dialogue does not run
        for a refused message and nothing is stored.
        """
        if ALIASES.get(text.lower(), text) in DELETION_STEPS:
            return None  # deleting one's data is a right no limit takes away
        if self.blocklist is not None and self.blocklist.is_blocked(person):
            key = "blocked"
        elif (self.rate_limiter is not None and not self._held(person)
              and await over_any_limit(self.rate_limiter, person)):  # fmt: skip
            key = "rate_limited"  # too fast, or a new conversation over its address's limit
        else:
            return None
        if await self._urgent(text):
            await admit(self.rate_limiter, person)
            return None
        log.info("%s: a message of %s refused", key, person)
        audience = await self.engine.audience(person)
        return [OutgoingMessage(self.content.say(key, audience))]

    def _held(self, person: str) -> bool:
        return self.hold is not None and self.hold.holds(person)

    async def _urgent(self, text: str) -> bool:
        parse = await self.engine.parse(ALIASES.get(text.lower(), text))
        intent = (parse.get("intent") or {}).get("name")
        return bool((parse.get("safety") or {}).get("urgent")) or intent in URGENT_INTENTS

    async def _run(
        self, person: str, text: str, message: IncomingMessage
    ) -> tuple[list[OutgoingMessage], TurnFacts | None] | None:
        """Run the agent under the person's lock: the replies and what the turn left.

        None when this message id was handled before (`Engine.run_turn`: the check and the turn
        happen under the same lock, shared through Redis by every worker, so a platform's retry,
        or a client's after a worker died, is never answered twice).
        """
        metadata = {"channel": message.channel, **message.metadata}
        done = await self.engine.run_turn(person, text, channel=message.channel, metadata=metadata,
                                          message_id=message.message_id, read=TurnFacts.of,
                                          lock_poll_seconds=LOCK_POLL_SECONDS)  # fmt: skip
        if done is None:
            return None
        messages, facts = done
        return [OutgoingMessage.from_rasa(m) for m in messages], facts

    async def _replay(self, person: str, message: IncomingMessage) -> list[OutgoingMessage]:
        """What the bot answered to this message id the first time."""
        replies = await self.engine.replies_to(person, message.message_id)
        return [OutgoingMessage.from_rasa(data) for data in replies]

    async def _after_turn(
        self, person: str, message: IncomingMessage, facts: TurnFacts | None
    ) -> None:
        if facts is None:
            return
        if facts.forget:
            deleted = await self.engine.forget(person)
            await off_loop(self.store.forget_person, person)
            log.info("forgot a person on request (%d tracker events)", deleted)
            return
        await off_loop(self.store.record_turn, TurnRecord(
            person_id=person, channel=message.channel, intent=facts.intent,
            audience=facts.audience, urgent=facts.urgent,
            at=self.clock(), campaign=message.metadata.get("campaign"),
            extra={"province": message.metadata.get("province")},
            sealed_address=self._seal(message),
        ))  # fmt: skip

    def _seal(self, message: IncomingMessage) -> str | None:
        return (
            self.pseudonymizer.seal(message.platform_id)
            if message.channel in self.senders
            else None
        )

    def _invalid(self, exc: InvalidMessage, message: IncomingMessage) -> list[OutgoingMessage]:
        if isinstance(exc, MessageTooLong):
            text = self.content.say("blocked_too_long", None, limit=str(exc.limit))
            return [OutgoingMessage(text)]
        return []

    async def deliver(self, person_id: str, messages: list[OutgoingMessage]) -> bool:
        """Push messages to a person on their own channel; False if that channel cannot push."""
        return await self.delivery.deliver(person_id, messages)
