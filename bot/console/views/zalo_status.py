"""What a counsellor must know before replying on Zalo: replies left, refusals, a broken chain.

Read from the tables `bot.channels.zalo` writes (`Store.zalo_reach`, `Store.zalo_chain`); shown on
the case page by `templates/_zalo.html`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.channels.zalo_quota import ReplyBudget


@dataclass(frozen=True)
class ZaloStatus:
    """A Zalo case's sending state."""

    replies_left: int | None  # counsellor replies still free (the last free one is kept for 111)
    unreachable_code: int | None  # Zalo refused the last send (-230: silent for 7 days)
    chain_broken: bool  # the OA's token chain broke: nothing is sent until re-authorised


def zalo_status(state: Any, case: Any) -> ZaloStatus | None:
    """The status of a Zalo case's person; None for other channels or a deleted person."""
    store = state.store
    if case.channel != "zalo" or not case.person_id or not hasattr(store, "zalo_reach"):
        return None
    reach = store.zalo_reach(case.person_id)
    zalo = state.settings.zalo
    left = ReplyBudget(zalo.free_replies, zalo.reply_window_hours).left(reach, state.now())
    chain = store.zalo_chain()
    return ZaloStatus(replies_left=None if left is None else max(left - 1, 0),
                      unreachable_code=reach.unreachable_code if reach else None,
                      chain_broken=bool(chain and chain.broken))  # fmt: skip
