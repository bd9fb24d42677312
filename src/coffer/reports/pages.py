"""The home dashboard as a page: the registered cards (coffer.reports.dashboard), each
rendered by its own partial into a slot of the dashboard's grid.

The home route (coffer.tenancy.pages) decides between the getting-started page and
this one; it calls `dashboard_page`. A partial is rendered here, one at a time, so a
card whose template fails is caught like a card whose data failed: its slot says so
and the rest of the page is whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import structlog
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session

from coffer.reports.dashboard import CardContext, CardResult, CardSpec, load_cards
from coffer.tenancy.deps import TenantContext
from coffer.web.templating import render

log = structlog.get_logger("coffer.dashboard")


@dataclass(frozen=True, slots=True)
class Slot:
    """One card's place on the page: its rendered body, or None when it failed."""

    card: CardSpec
    body: Markup | None

    @property
    def failed(self) -> bool:
        return self.body is None


@dataclass(frozen=True, slots=True)
class GettingStarted:
    """The steps still open, shown above the cards until they are all done."""

    done: int
    total: int
    next_title: str
    next_href: str
    next_action: str


def _render_slot(request: Request, result: CardResult, context: dict[str, Any]) -> Slot:
    if result.failed:
        return Slot(result.spec, None)
    templates: Jinja2Templates = request.app.state.templates
    try:
        template = templates.env.get_template(result.spec.template)
        html = template.render({**context, "card": result.spec, "data": result.data})
        # The output of an autoescaping template: already safe HTML.
        body = Markup(html)  # noqa: S704
    except Exception:
        log.exception("dashboard card could not be rendered", card=result.spec.key)
        return Slot(result.spec, None)
    return Slot(result.spec, body)


def dashboard_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    *,
    getting_started: GettingStarted | None = None,
    today: date | None = None,
) -> HTMLResponse:
    card_ctx = CardContext(
        tenant=ctx.tenant, user=ctx.user, role=ctx.role, today=today or date.today()
    )
    results = load_cards(session, card_ctx)
    # What the layout's dependencies put in place: locale and base currency for the
    # filters, the signed-in identity; the partials get nothing that renders once only
    # (flash messages, which `render` takes for the page itself).
    context: dict[str, Any] = {
        **getattr(request.state, "page_context", {}),
        "request": request,
        "today": card_ctx.today,
    }
    slots = [_render_slot(request, result, context) for result in results]
    return render(
        request,
        "reports/dashboard.html",
        {
            "active_nav": "home",
            "tenant": ctx.tenant,
            "slots": slots,
            "getting_started": getting_started,
            "today": card_ctx.today,
        },
    )
