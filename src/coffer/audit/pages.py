"""GET /audit: the active household's audit log as a readable table, for its owners
and admins. Everyone else gets a 403 page that says why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from coffer.errors import Forbidden, ValidationFailed
from coffer.tenancy import audit_log
from coffer.tenancy.deps import PageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

PAGE_SIZE = 25
# The filter offered on the page: action prefix -> what a person calls it.
CATEGORIES = {
    "": "Everything",
    "membership.": "Members and roles",
    "invitation.": "Invitations",
    "tenant.": "Household details",
}


def _display(value: Any) -> str:
    """A stored value as a person reads it (the log keeps JSON: ISO dates, plain strings)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return value
    return str(value)


def _changes(entry: audit_log.AuditEntry) -> list[tuple[str, str, str]]:
    """(field, before, after) for each recorded field; internal ids are left out."""
    old = entry.event.old_values or {}
    new = entry.event.new_values or {}
    keys = [k for k in dict.fromkeys([*old, *new]) if not k.endswith("_id")]
    return [
        (
            audit_log.FIELD_LABELS.get(key, key.replace("_", " ")).capitalize(),
            _display(old.get(key)) if key in old else "",
            _display(new.get(key)) if key in new else "",
        )
        for key in keys
    ]


def _link(cursor: str | None, action: str) -> str | None:
    if cursor is None:
        return None
    params = {"cursor": cursor, **({"action": action} if action else {})}
    return "/audit?" + urlencode(params)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    ctx: PageTenant,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    action: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    if not ctx.role.can_manage:
        raise Forbidden(
            f"The audit log of {ctx.tenant.name} is for its owners and admins; your role "
            f"there is {ctx.role.value}."
        )
    action = action if action in CATEGORIES else ""
    try:
        page = audit_log.list_events(
            session,
            tenant_id=ctx.tenant_id,
            limit=PAGE_SIZE,
            cursor=cursor,
            action_prefix=action or None,
        )
    except ValidationFailed:
        # A cursor from an old bookmark or an edited address: start from the newest.
        page = audit_log.list_events(
            session, tenant_id=ctx.tenant_id, limit=PAGE_SIZE, action_prefix=action or None
        )
    rows = [
        {
            "entry": entry,
            "when": format_datetime(
                entry.event.occurred_at, "medium", tzinfo=UTC, locale=ctx.tenant.locale
            ),
            "changes": _changes(entry),
        }
        for entry in page.entries
    ]
    return render(
        request,
        "audit/log.html",
        {
            "active_nav": "audit",
            "tenant": ctx.tenant,
            "rows": rows,
            "categories": list(CATEGORIES.items()),
            "action": action,
            "newer_url": _link(page.newer_cursor, action),
            "older_url": _link(page.older_cursor, action),
            "first_page": cursor is None or page.newer_cursor is None,
        },
    )
