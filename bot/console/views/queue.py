"""The queue (live), the supervisor's view of every open case, and the audit log."""

from __future__ import annotations

from starlette.responses import JSONResponse, RedirectResponse, Response

from bot.console.security import Ctx, guarded
from bot.storage.store import CaseView
from bot.storage.threads import off_loop

SUPERVISORS = ("supervisor", "admin")


async def visible_queue(ctx: Ctx) -> list[CaseView]:
    """A counsellor sees unclaimed cases and their own; supervisors see every open case.

    A flood group (many new cases from one source in a minute) is for supervisors only.
    """
    cases = await off_loop(ctx.request.app.state.console.store.queue)
    if ctx.operator.role in SUPERVISORS:
        return cases
    return [
        c
        for c in cases
        if (c.status == "new" and not c.is_group) or c.claimed_by == ctx.operator.username
    ]


@guarded()
async def home(ctx: Ctx) -> Response:
    """The console's front page is the queue."""
    return RedirectResponse(ctx.request.url_for("queue").path, status_code=303)


@guarded()
async def queue_page(ctx: Ctx) -> Response:
    """The queue, most urgent first, then longest waiting; refreshed by console.js."""
    state = ctx.request.app.state.console
    return state.render(ctx.request, "queue.html", cases=await visible_queue(ctx))


@guarded(json=True)
async def queue_json(ctx: Ctx) -> Response:
    """The queue rows as HTML (rendered and escaped here) plus counts, for live updates."""
    state = ctx.request.app.state.console
    cases = await visible_queue(ctx)
    rows = state.env.get_template("_queue_rows.html").render(
        request=ctx.request, cases=cases, now=state.now(), operator=ctx.operator
    )
    waiting = sum(1 for c in cases if c.status == "new")
    return JSONResponse({"html": rows, "open": len(cases), "waiting": waiting})


@guarded(roles=SUPERVISORS)
async def supervisor(ctx: Ctx) -> Response:
    """Every open case with its waiting time and holder, and the load of each operator."""
    state = ctx.request.app.state.console
    cases = await off_loop(state.store.queue)
    now = state.now()
    load: dict[str, int] = {}
    for case in cases:
        if case.claimed_by:
            load[case.claimed_by] = load.get(case.claimed_by, 0) + 1
    longest = max((c.waited(now) for c in cases if c.status == "new"), default=None)
    return state.render(
        ctx.request, "supervisor.html", cases=cases, load=sorted(load.items()), longest=longest
    )


@guarded(roles=("admin",))
async def audit_page(ctx: Ctx) -> Response:
    """The latest audit entries."""
    state = ctx.request.app.state.console
    entries = await off_loop(state.store.audit_entries, limit=300)
    return state.render(ctx.request, "audit.html", entries=entries)
