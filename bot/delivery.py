"""Pushing messages to a person on their own channel, outside a turn (counsellor replies, timeouts).

The channels that can push register here (`Core.register_sender`); the handoff delivers through
it. Built before the core and the handoff, so both receive it at construction.
"""

from __future__ import annotations

from typing import Protocol

from bot.messages import OutgoingMessage
from bot.pseudonym import Pseudonymizer
from bot.storage.api import StoreAPI
from bot.storage.threads import off_loop


class Sender(Protocol):
    """Something that can deliver messages to a sealed address on one channel."""

    name: str

    async def send(self, address: str, messages: list[OutgoingMessage]) -> None:
        """Deliver `messages` to the platform address (already unsealed)."""


class Delivery:
    """The senders of the channels that can push, and delivery to a person's own channel."""

    def __init__(self, store: StoreAPI, pseudonymizer: Pseudonymizer) -> None:
        """Find addresses in `store` and open them with `pseudonymizer`."""
        self.store = store
        self.pseudonymizer = pseudonymizer
        self.senders: dict[str, Sender] = {}

    def register(self, sender: Sender) -> None:
        """Let `sender` push messages on its channel."""
        self.senders[sender.name] = sender

    def pushes(self, channel: str) -> bool:
        """Whether messages can be pushed on `channel`."""
        return channel in self.senders

    async def deliver(self, person_id: str, messages: list[OutgoingMessage]) -> bool:
        """Push messages to a person on their own channel; False if that channel cannot push."""
        found = await off_loop(self.store.person_address, person_id)
        if found is None:
            return False
        channel, sealed = found
        sender = self.senders.get(channel)
        if sender is None or not sealed:
            return False
        await sender.send(self.pseudonymizer.open(sealed), messages)
        return True
