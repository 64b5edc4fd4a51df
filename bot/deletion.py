"""Deleting one's data (`/xoa`): handled by the core before Rasa, so it works in every state.

Rasa runs no action while a counsellor holds the conversation (it is paused), and the limits
refuse messages before Rasa sees them; neither may keep anyone from deleting what is kept about
them. So the core answers `/xoa` itself: it writes the question (and `pending: delete`) into the
conversation, and a "Xóa hết" (`/affirm`) while that question is pending deletes everything, in
any state: the tracker, the person and their conversations, case notes and context packets
(`bot.storage.store.Store.forget_person`, which also tells a counsellor holding the case and
empties SQLite's write-ahead log). "Không xóa" (`/deny`) keeps everything.

A deletion asked for in words goes through Rasa's own question (`actions/answer.py`), which sets
the same `pending` slot, so the buttons under it are handled here as well.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.engine.conversations import Reply, Said, SetSlot
from bot.messages import Button, IncomingMessage, OutgoingMessage
from bot.storage.threads import off_loop

log = logging.getLogger(__name__)

ASK = frozenset({"/xoa", "/delete", '/ask_anonymity{"delete":"ask"}'})
YES, NO = "/affirm", "/deny"
PENDING_SLOT, PENDING_DELETE = "pending", "delete"


async def deletion_step(
    core: Any, person: str, text: str, message: IncomingMessage
) -> list[OutgoingMessage] | None:
    """The reply when `text` asks for, confirms or cancels a deletion; None otherwise."""
    command = text.strip().lower()
    if command in ASK:
        return await ask(core, person, text, message)
    if command not in (YES, NO):
        return None
    tracker = await core.engine.tracker(person)
    if tracker is None or tracker.get_slot(PENDING_SLOT) != PENDING_DELETE:
        return None  # a yes or no to another question: Rasa's
    audience = tracker.get_slot("audience")
    if command == NO:
        return [await _write(core, person, text, message, "delete_cancelled", audience)]
    await forget(core, person)
    return [OutgoingMessage(core.content.say("delete_done", audience))]


async def ask(core: Any, person: str, text: str, message: IncomingMessage) -> list[OutgoingMessage]:
    """Explain what is kept and ask to confirm (kept in the transcript, `pending: delete`)."""
    audience = await core.engine.audience(person)
    return [await _write(core, person, text, message, "delete_confirm", audience, ask=True)]


async def forget(core: Any, person: str) -> None:
    """Delete the person's conversation and everything the store keeps about them."""
    deleted = await core.engine.forget(person)
    await off_loop(core.store.forget_person, person)
    log.info("forgot a person on request (%d tracker events)", deleted)


async def _write(
    core: Any,
    person: str,
    text: str,
    message: IncomingMessage,
    key: str,
    audience: str | None,
    *,
    ask: bool = False,
) -> OutgoingMessage:
    """Store the person's message and the core's reply in the conversation; return the reply."""
    content = core.content
    buttons = (
        (Button(content.button("delete_yes"), YES), Button(content.button("delete_no"), NO))
        if ask
        else ()
    )
    reply = OutgoingMessage(content.say(key, audience), buttons)
    data = {"buttons": [{"title": b.title, "payload": b.payload} for b in buttons]}
    intent = "ask_anonymity" if ask else text.strip("/")
    await core.engine.write(
        person,
        Said(text, intent, message_id=message.message_id, channel=message.channel),
        SetSlot(PENDING_SLOT, PENDING_DELETE if ask else None),
        Reply(reply.text, data=data),
    )
    return reply
