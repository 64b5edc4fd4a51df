"""The yearly report in the console: the page, and the CSV and self-contained HTML downloads."""

from __future__ import annotations

from starlette.responses import HTMLResponse, Response

from bot.console.report_page import to_html
from bot.console.security import ConsoleError, Ctx, guarded
from bot.console.views.queue import SUPERVISORS
from bot.report import Report, build_report, to_csv, topic_labels
from bot.storage.store import CODE
from bot.storage.threads import off_loop

# The downloaded page carries its own CSS inline and nothing else.
SELF_CONTAINED = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


async def _report(ctx: Ctx) -> Report:
    """The report for ?year=&province= (400 on a malformed value)."""
    state = ctx.request.app.state.console
    params = ctx.request.query_params
    year_text = params.get("year") or str(state.now().year)
    province = params.get("province") or None
    if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
        raise ConsoleError(400, "bad_input")
    if province is not None and not CODE.match(province):
        raise ConsoleError(400, "bad_input")
    detail = f"{year_text} {province or 'all'}"
    await off_loop(state.store.audit, ctx.operator.username, "report", None, detail)
    return await off_loop(
        build_report,
        state.store,
        int(year_text),
        province=province,
        timezone_name=state.settings.console.timezone,
    )


@guarded(roles=SUPERVISORS)
async def report_page(ctx: Ctx) -> Response:
    """The report inside the console, with links to the downloads."""
    state = ctx.request.app.state.console
    return state.render(
        ctx.request, "report.html", report=await _report(ctx), labels=topic_labels()
    )


@guarded(roles=SUPERVISORS)
async def report_csv(ctx: Ctx) -> Response:
    """The report as CSV."""
    report = await _report(ctx)
    name = f"donghanh-{report.year}-{report.province or 'all'}.csv"
    return Response(
        to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@guarded(roles=SUPERVISORS)
async def report_html(ctx: Ctx) -> Response:
    """The report as one self-contained HTML file."""
    report = await _report(ctx)
    name = f"donghanh-{report.year}-{report.province or 'all'}.html"
    headers = {
        "content-disposition": f'attachment; filename="{name}"',
        "content-security-policy": SELF_CONTAINED,
    }
    return HTMLResponse(to_html(report, labels=topic_labels()), headers=headers)
