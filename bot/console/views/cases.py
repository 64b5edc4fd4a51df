"""A case: transcript, context packet, reply, notes, claim, hand back, resolve, block.

Every view and every change of a case writes an audit entry (never message text).

Who reads what: anyone may see a new case's context packet (the few last messages the person was
told a counsellor would read), to decide whether to claim it. The conversation itself is shown
only to the counsellor who holds the case, while they hold it, and to supervisors by role; and
only the case's own time window: from the first message of the context packet (or the case's
opening) until it was resolved. Earlier or later, unrelated conversations stay out of sight.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.responses import JSONResponse, RedirectResponse, Response

from bot.console.security import ConsoleError, Ctx, field, guarded
from bot.console.views.queue import SUPERVISORS
from bot.console.views.zalo_status import zalo_status
from bot.handoff import HandoffError, Line
from bot.storage.models import OUTCOMES
from bot.storage.store import CaseView
from bot.storage.threads import off_loop

MAX_NOTE = 2000
BLOCK_DAYS = ("1", "7", "30", "90")
MAX_BLOCK_REASON = 200


async def _case(ctx: Ctx) -> CaseView:
    """The case of the URL, if this operator may see it (404 / 403 otherwise)."""
    store = ctx.request.app.state.console.store
    case = await off_loop(store.case, ctx.request.path_params["case_id"])
    if case is None:
        raise ConsoleError(404, "not_found")
    mine = case.claimed_by == ctx.operator.username
    supervisor = ctx.operator.role in SUPERVISORS
    if not supervisor and (case.is_group or not (case.status == "new" or mine)):
        raise ConsoleError(403, "forbidden")
    return case


def _back(ctx: Ctx, case: CaseView, flash: str | None = None) -> Response:
    if flash:
        ctx.request.session["flash"] = flash
    return RedirectResponse(ctx.request.url_for("case", case_id=case.id).path, status_code=303)


async def _audit(ctx: Ctx, action: str, case: CaseView, detail: str = "") -> None:
    store = ctx.request.app.state.console.store
    await off_loop(store.audit, ctx.operator.username, action, case.id, detail)


def may_read_transcript(ctx: Ctx, case: CaseView) -> bool:
    """The holder while they hold the case, and supervisors and admins."""
    return ctx.operator.role in SUPERVISORS or case.held_by(ctx.operator.username)


def transcript_window(case: CaseView) -> tuple[datetime, datetime]:
    """From the first message of the context packet (or the opening) to the resolution.

    An open case's window has no end yet (whatever arrives while it is open belongs to it).
    """
    times: list[Any] = [m.get("time") for m in case.context.get("last_messages") or []
                        if isinstance(m, dict)]  # fmt: skip
    starts = [datetime.fromtimestamp(t, timezone.utc) for t in times
              if isinstance(t, (int, float)) and not isinstance(t, bool)]  # fmt: skip
    return min([case.created_at, *starts]), case.resolved_at or datetime.max.replace(
        tzinfo=timezone.utc
    )


async def _lines(ctx: Ctx, case: CaseView) -> list[Line]:
    if not case.person_id or not may_read_transcript(ctx, case):
        return []
    start, end = transcript_window(case)
    lines = await ctx.request.app.state.console.handoff.transcript(case.person_id)
    return [line for line in lines if start <= line.at <= end]


def zalo_window_closed(case: CaseView, lines: list[Line], now: datetime, hours: int) -> bool:
    """Whether Zalo may refuse a reply: the person's last message is older than the window."""
    if case.channel != "zalo":
        return False
    last = max((line.at for line in lines if line.sender == "person"), default=None)
    return last is None or now - last > timedelta(hours=hours)


@guarded()
async def case_page(ctx: Ctx) -> Response:
    """Everything about a case on one page."""
    state = ctx.request.app.state.console
    case = await _case(ctx)
    lines = await _lines(ctx, case)
    await _audit(ctx, "view", case)
    kept = await off_loop(_kept, state.store, state, case)
    return state.render(
        ctx.request,
        "case.html",
        case=case,
        lines=lines,
        can_read=may_read_transcript(ctx, case),
        notes=kept["notes"],
        held=case.held_by(ctx.operator.username),
        outcomes=OUTCOMES,
        can_resolve=case.status != "resolved"
        and (case.held_by(ctx.operator.username) or ctx.operator.role in SUPERVISORS),
        zalo_closed=may_read_transcript(ctx, case)
        and zalo_window_closed(case, lines, state.now(), state.settings.zalo.reply_window_hours),
        window_hours=state.settings.zalo.reply_window_hours,
        zalo=kept["zalo"],
        flash=ctx.request.session.pop("flash", None),
        max_chars=state.settings.max_message_chars,
        max_note=MAX_NOTE,
        block=kept["block"],
        members=kept["members"],
        can_block=case.person_id is not None and ctx.operator.role in SUPERVISORS,
        block_days=BLOCK_DAYS,
        max_block_reason=MAX_BLOCK_REASON,
    )


def _kept(store: Any, state: Any, case: CaseView) -> dict[str, Any]:
    """What the case page reads from the store (in a worker thread: `off_loop`)."""
    return {
        "notes": store.notes(case.id),
        "zalo": zalo_status(state, case),
        "block": store.block_of(case.person_id) if case.person_id else None,
        "members": store.group_members(case.id) if case.is_group else [],
    }


@guarded(json=True)
async def transcript_json(ctx: Ctx) -> Response:
    """The transcript as HTML rows, for live updates of the case page."""
    state = ctx.request.app.state.console
    case = await _case(ctx)
    lines = await _lines(ctx, case)
    can_read = may_read_transcript(ctx, case)
    html = state.env.get_template("_transcript.html").render(
        lines=lines, case=case, can_read=can_read
    )
    count = html.count("<li")  # what console.js compares with the lines it shows
    return JSONResponse({"html": html, "count": count, "status": case.status})


@guarded()
async def claim(ctx: Ctx) -> Response:
    """Take the case: exactly one of several operators wins; the bot pauses for the person."""
    store = ctx.request.app.state.console.store
    case = await off_loop(store.case, ctx.request.path_params["case_id"])
    if case is None:
        raise ConsoleError(404, "not_found")
    if not await ctx.request.app.state.console.handoff.claim(case.id, ctx.operator.username):
        raise ConsoleError(409, "taken")
    await _audit(ctx, "claim", case)
    return _back(ctx, case, "claimed")


@guarded()
async def reply(ctx: Ctx) -> Response:
    """Send a reply to the person on their channel (only the holder may)."""
    state = ctx.request.app.state.console
    case = await _case(ctx)
    text = field(ctx.form, "text", max_chars=state.settings.max_message_chars)
    try:
        result = await state.handoff.reply(case.id, ctx.operator.username, text)
    except HandoffError as exc:
        raise ConsoleError(409, "not_holder") from exc
    await _audit(ctx, "reply", case, result)
    return _back(ctx, case, result)


@guarded()
async def note(ctx: Ctx) -> Response:
    """Add a note to the case."""
    state = ctx.request.app.state.console
    case = await _case(ctx)
    text = field(ctx.form, "text", max_chars=MAX_NOTE)
    await off_loop(state.store.add_note, case.id, ctx.operator.username, text)
    await _audit(ctx, "note", case)
    return _back(ctx, case, "noted")


@guarded()
async def hand_back(ctx: Ctx) -> Response:
    """Give the conversation back to the bot (the case stays open until resolved)."""
    case = await _case(ctx)
    try:
        await ctx.request.app.state.console.handoff.hand_back(case.id, ctx.operator.username)
    except HandoffError as exc:
        raise ConsoleError(409, "not_holder") from exc
    await _audit(ctx, "hand_back", case)
    return _back(ctx, case, "handed_back")


@guarded()
async def resolve(ctx: Ctx) -> Response:
    """Close the case with an outcome; supervisors may close cases they do not hold."""
    case = await _case(ctx)
    outcome = field(ctx.form, "outcome", max_chars=32)
    if outcome not in OUTCOMES:
        raise ConsoleError(400, "bad_input")
    handoff = ctx.request.app.state.console.handoff
    supervisor = ctx.operator.role in SUPERVISORS
    if not await handoff.resolve(case.id, ctx.operator.username, outcome, any_holder=supervisor):
        raise ConsoleError(409, "not_holder")
    await _audit(ctx, "resolve", case, outcome)
    return _back(ctx, case, "resolved")


def _person(case: CaseView) -> str:
    if case.person_id is None:  # anonymised after /xoa or by the retention job
        raise ConsoleError(409, "anonymised")
    return case.person_id


@guarded(roles=SUPERVISORS)
async def block(ctx: Ctx) -> Response:
    """Block the person of the case for some days (supervisors and admins; urgent still passes)."""
    state = ctx.request.app.state.console
    case = await _case(ctx)
    days = field(ctx.form, "days", max_chars=3)
    if days not in BLOCK_DAYS:
        raise ConsoleError(400, "bad_input")
    reason = field(ctx.form, "reason", max_chars=MAX_BLOCK_REASON, required=False)
    await off_loop(state.store.block, _person(case), ctx.operator.username, days=int(days),
                   reason=reason)  # fmt: skip
    await _audit(ctx, "block", case, f"{days} days")
    return _back(ctx, case, "blocked")


@guarded(roles=SUPERVISORS)
async def unblock(ctx: Ctx) -> Response:
    """Lift the block of the person of the case."""
    case = await _case(ctx)
    if not await off_loop(ctx.request.app.state.console.store.unblock, _person(case)):
        return _back(ctx, case, "not_blocked")
    await _audit(ctx, "unblock", case)
    return _back(ctx, case, "unblocked")
