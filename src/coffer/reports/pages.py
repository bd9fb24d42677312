"""The home dashboard and the report pages (/reports).

The home dashboard as a page: the registered cards (coffer.reports.dashboard), each
rendered by its own partial into a slot of the dashboard's grid.

The home route (coffer.tenancy.pages) decides between the getting-started page and
this one; it calls `dashboard_page`. A partial is rendered here, one at a time, so a
card whose template fails is caught like a card whose data failed: its slot says so
and the rest of the page is whole.

Each report page (/reports/...) is a GET form of the common report filter, a chart
for the eye and a table for the figures, every figure a link to the transaction
search that lists what makes it up. The filter's field names are the transaction
search's; bad input re-renders the form with field errors (422). Each page links to
its table as CSV and XLSX (/reports/<slug>.csv, .xlsx) with the filter it shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import structlog
from babel.dates import format_date
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session

from coffer.core.money import from_minor
from coffer.errors import NotFound, ValidationFailed
from coffer.ledger import service as ledger
from coffer.ledger.common import decimal_text, month_of
from coffer.ledger.export_csv import export_lines
from coffer.ledger.models import Category, CategoryKind
from coffer.ledger.pages_rates import RATES_PATH
from coffer.ledger.pages_transactions import SearchForm, search_request
from coffer.reports import service, tables
from coffer.reports.dashboard import CardContext, CardResult, CardSpec, load_cards
from coffer.reports.engine import Drilldown, ReportFilter, add_months, month_end
from coffer.reports.exports import report_files, xlsx
from coffer.reports.service import Figure
from coffer.tenancy.deps import PageTenant, TenantContext
from coffer.web.csrf import verify_csrf
from coffer.web.deps import DatabaseDep, SessionDep
from coffer.web.forms import errors_by_field, redirect
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

    @property
    def report_href(self) -> str | None:
        return self.card.href


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


# --- report pages ---------------------------------------------------------------------

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

TRANSACTIONS_PAGE = "/transactions"
DEFAULT_MONTHS = 12

# The dashboard cards whose heading leads to the report that tells the longer story.


@dataclass(frozen=True, slots=True)
class ReportInfo:
    slug: str
    title: str
    summary: str
    # Filters that mean something to this report (net worth covers whole balances).
    by_category: bool = True
    by_tag: bool = True
    # The category trend follows one category, chosen in a select of its own.
    one_category: bool = False

    @property
    def href(self) -> str:
        return f"/reports/{self.slug}"


REPORTS = [
    ReportInfo(
        "monthly-summary",
        "Monthly summary",
        "Income and spending by category, month by month, with totals and averages.",
    ),
    ReportInfo(
        "cash-flow",
        "Cash flow",
        "Money in and money out of your accounts each month, transfers left out.",
    ),
    ReportInfo(
        "income-statement",
        "Income statement",
        "What came in and what went out over a period, by category, and what was left.",
    ),
    ReportInfo(
        "net-worth",
        "Net worth",
        "What you own less what you owe, at the end of every month.",
        by_category=False,
        by_tag=False,
    ),
    ReportInfo(
        "top-merchants",
        "Top merchants",
        "Where the money went: the merchants you spent most at.",
    ),
    ReportInfo(
        "spending-by-tag",
        "Spending by tag",
        "Spending, income and what is not categorised, for each tag. A transaction with "
        "several tags counts under each of them.",
    ),
    ReportInfo(
        "category-trend",
        "Category trend",
        "One category month by month, against the month before and the year before.",
        by_category=False,
        one_category=True,
    ),
]
REPORT_BY_SLUG = {r.slug: r for r in REPORTS}


@dataclass
class ReportForm:
    """The filter as typed: every field a string, so a bad value is shown back as it
    was. The names are the transaction search's, so a filter reads the same on both."""

    date_from: str = ""
    date_to: str = ""
    account_ids: list[str] = field(default_factory=list)
    category_ids: list[str] = field(default_factory=list)
    tag_ids: list[str] = field(default_factory=list)
    category_id: str = ""

    def query(self, info: ReportInfo) -> str:
        """The filter as the query string of this report's page and downloads."""
        pairs = [("date_from", self.date_from), ("date_to", self.date_to)]
        pairs += [("account_ids", v) for v in self.account_ids]
        if info.by_category:
            pairs += [("category_ids", v) for v in self.category_ids]
        if info.by_tag:
            pairs += [("tag_ids", v) for v in self.tag_ids]
        if info.one_category:
            pairs.append(("category_id", self.category_id))
        return urlencode([(k, v) for k, v in pairs if v])


def _report_form(request: Request, today: date) -> ReportForm:
    """The form from the query string. Opened without dates, a report covers the last
    twelve months, this one included: long enough for a trend, short enough to read."""
    params = request.query_params
    form = ReportForm(
        date_from=params.get("date_from", ""),
        date_to=params.get("date_to", ""),
        account_ids=[v for v in params.getlist("account_ids") if v],
        category_ids=[v for v in params.getlist("category_ids") if v],
        tag_ids=[v for v in params.getlist("tag_ids") if v],
        category_id=params.get("category_id", "").strip(),
    )
    if "date_from" not in params and "date_to" not in params:
        this_month = month_of(today)
        form.date_from = add_months(this_month, 1 - DEFAULT_MONTHS).isoformat()
        form.date_to = month_end(this_month).isoformat()
    return form


def _parse_date(value: str, name: str, errors: dict[str, str]) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "Enter a date, like 2026-03-15."
        return None


def _parse_ids(values: list[str], name: str, errors: dict[str, str]) -> tuple[uuid.UUID, ...]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            errors[name] = "That choice does not exist (any longer)."
    return tuple(dict.fromkeys(ids))


def _parse(form: ReportForm, info: ReportInfo) -> tuple[ReportFilter, dict[str, str]]:
    errors: dict[str, str] = {}
    filters = ReportFilter(
        date_from=_parse_date(form.date_from, "date_from", errors),
        date_to=_parse_date(form.date_to, "date_to", errors),
        account_ids=_parse_ids(form.account_ids, "account_ids", errors),
        category_ids=_parse_ids(form.category_ids, "category_ids", errors)
        if info.by_category
        else (),
        tag_ids=_parse_ids(form.tag_ids, "tag_ids", errors) if info.by_tag else (),
    )
    if info.one_category and form.category_id:
        _parse_ids([form.category_id], "category_id", errors)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors["date_to"] = "Choose an end date on or after the start date."
    return filters, errors


def _sentence(message: str) -> str:
    text = message.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def drilldown_href(figure: Figure | Drilldown) -> str:
    """The /transactions search listing the transactions behind a figure."""
    query = figure.query_string()
    return f"{TRANSACTIONS_PAGE}?{query}" if query else TRANSACTIONS_PAGE


def _category_options(categories: list[Category]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group, [(value, text)]) for the category select: each top-level category with
    its children, spending first, as on the transaction search."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    children: dict[uuid.UUID, list[Category]] = {}
    for c in categories:
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    for kind in (CategoryKind.expense.value, CategoryKind.income.value):
        for c in categories:
            if c.kind != kind or c.parent_id is not None:
                continue
            label = "income" if kind == CategoryKind.income.value else "spending"
            options = [(str(c.id), c.name)]
            options += [(str(k.id), f"{c.name} › {k.name}") for k in children.get(c.id, [])]
            groups.append((f"{c.name} ({label})", options))
    return groups


class Amounts:
    """What the templates need of a report's minor units: the Decimal to format, the
    decimal string a chart draws, and the link behind a figure."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __call__(self, amount_minor: int | None) -> Decimal | None:
        return None if amount_minor is None else from_minor(amount_minor, self.code)

    def text(self, amount_minor: int | None) -> str | None:
        return None if amount_minor is None else decimal_text(amount_minor, self.code)

    @staticmethod
    def href(figure: Figure | Drilldown) -> str:
        return drilldown_href(figure)


Builder = Callable[[Session, TenantContext, ReportFilter, ReportForm], Any]


def _whole_household(report: Callable[..., Any]) -> Builder:
    """The builder of a report that takes nothing but the household and the filters."""

    def build(session: Session, ctx: TenantContext, filters: ReportFilter, _form: Any) -> Any:
        return report(
            session,
            tenant_id=ctx.tenant_id,
            base_currency=ctx.tenant.base_currency,
            filters=filters,
        )

    return build


def _report_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    info: ReportInfo,
    build: Builder,
    chart: Callable[[Any, Amounts], dict[str, Any] | None],
) -> HTMLResponse:
    today = date.today()
    form = _report_form(request, today)
    filters, errors = _parse(form, info)
    report = None
    # The trend waits for its category rather than guessing one.
    chosen = form.category_id or not info.one_category
    if not errors and chosen:
        try:
            report = build(session, ctx, filters, form)
        except (ValidationFailed, NotFound) as exc:
            # Another household's id, a span too long: the form says which field.
            errors = errors_by_field(exc)
    code = ctx.tenant.base_currency
    amounts = Amounts(code)
    return render(
        request,
        f"reports/{info.slug.replace('-', '_')}.html",
        {
            "active_nav": "reports",
            "info": info,
            "reports": REPORTS,
            "form": form,
            "errors": {k: _sentence(v) for k, v in errors.items()},
            "report": report,
            "code": code,
            "amounts": amounts,
            "chart": chart(report, amounts) if report is not None else None,
            "accounts": ledger.list_accounts(session, tenant_id=ctx.tenant_id),
            "category_groups": _category_options(
                ledger.list_categories(session, tenant_id=ctx.tenant_id)
            ),
            "tags": ledger.list_tags(session, tenant_id=ctx.tenant_id),
            "fx_rates_href": RATES_PATH,
            "export_query": form.query(info),
        },
        status_code=422 if errors else 200,
    )


def _month_labels(months: list[date], locale: str) -> list[str]:
    return [format_date(m, "MMM yyyy", locale=locale) for m in months]


@router.get("/reports", response_class=HTMLResponse)
def reports_index(request: Request, _ctx: PageTenant) -> HTMLResponse:
    return render(request, "reports/index.html", {"active_nav": "reports", "reports": REPORTS})


@router.get("/reports/monthly-summary", response_class=HTMLResponse)
def monthly_summary_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    locale = ctx.tenant.locale or "en_US"

    def chart(report: service.MonthlySummary, amounts: Amounts) -> dict[str, Any]:
        return {
            "type": "bar",
            "labels": _month_labels(report.months, locale),
            "series": [
                {
                    "label": "Income",
                    "colour": "--chart-1",
                    "values": [amounts.text(f.amount_minor) for f in report.income.months],
                },
                {
                    "label": "Spending",
                    "colour": "--chart-3",
                    "values": [amounts.text(f.amount_minor) for f in report.spending.months],
                },
            ],
        }

    return _report_page(
        request,
        session,
        ctx,
        REPORT_BY_SLUG["monthly-summary"],
        _whole_household(service.monthly_summary),
        chart,
    )


@router.get("/reports/cash-flow", response_class=HTMLResponse)
def cash_flow_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    locale = ctx.tenant.locale or "en_US"

    def chart(report: service.CashFlow, amounts: Amounts) -> dict[str, Any]:
        return {
            "type": "bar",
            "labels": _month_labels([m.month for m in report.months], locale),
            "series": [
                {
                    "label": "Money in",
                    "colour": "--chart-1",
                    "values": [amounts.text(m.money_in.amount_minor) for m in report.months],
                },
                {
                    "label": "Money out",
                    "colour": "--chart-3",
                    "values": [amounts.text(m.money_out.amount_minor) for m in report.months],
                },
            ],
        }

    return _report_page(
        request,
        session,
        ctx,
        REPORT_BY_SLUG["cash-flow"],
        _whole_household(service.cash_flow),
        chart,
    )


@router.get("/reports/income-statement", response_class=HTMLResponse)
def income_statement_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    def chart(report: service.IncomeStatement, amounts: Amounts) -> dict[str, Any] | None:
        rows = [r for r in report.spending if r.amount.amount_minor > 0]
        if not rows:
            return None
        rows.sort(key=lambda r: -r.amount.amount_minor)
        return {
            "type": "bar",
            "horizontal": True,
            "labels": [r.name for r in rows],
            "series": [
                {
                    "label": "Spending",
                    "colour": "--chart-3",
                    "values": [amounts.text(r.amount.amount_minor) for r in rows],
                }
            ],
        }

    return _report_page(
        request,
        session,
        ctx,
        REPORT_BY_SLUG["income-statement"],
        _whole_household(service.income_statement),
        chart,
    )


@router.get("/reports/net-worth", response_class=HTMLResponse)
def net_worth_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    locale = ctx.tenant.locale or "en_US"

    def chart(report: service.NetWorthHistory, amounts: Amounts) -> dict[str, Any]:
        return {
            "type": "line",
            "label": "Net worth",
            "labels": _month_labels([p.month for p in report.points], locale),
            "values": [amounts.text(p.net_worth.amount_minor) for p in report.points],
        }

    return _report_page(
        request,
        session,
        ctx,
        REPORT_BY_SLUG["net-worth"],
        _whole_household(service.net_worth_history),
        chart,
    )


@router.get("/reports/top-merchants", response_class=HTMLResponse)
def top_merchants_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    def chart(report: service.TopMerchants, amounts: Amounts) -> dict[str, Any] | None:
        if not report.merchants:
            return None
        return {
            "type": "bar",
            "horizontal": True,
            "labels": [m.name for m in report.merchants],
            "series": [
                {
                    "label": "Spending",
                    "colour": "--chart-2",
                    "values": [amounts.text(m.spending.amount_minor) for m in report.merchants],
                }
            ],
        }

    return _report_page(
        request,
        session,
        ctx,
        REPORT_BY_SLUG["top-merchants"],
        _whole_household(service.top_merchants),
        chart,
    )


@router.get("/reports/spending-by-tag", response_class=HTMLResponse)
def spending_by_tag_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    def chart(report: service.SpendingByTag, amounts: Amounts) -> dict[str, Any] | None:
        if not report.tags:
            return None
        return {
            "type": "bar",
            "horizontal": True,
            "labels": [f"#{t.name}" for t in report.tags],
            "series": [
                {
                    "label": "Spending",
                    "colour": "--chart-3",
                    "values": [amounts.text(t.spending.amount_minor) for t in report.tags],
                },
                {
                    "label": "Income",
                    "colour": "--chart-1",
                    "values": [amounts.text(t.income.amount_minor) for t in report.tags],
                },
            ],
        }

    return _report_page(
        request,
        session,
        ctx,
        REPORT_BY_SLUG["spending-by-tag"],
        _whole_household(service.spending_by_tag),
        chart,
    )


@router.get("/reports/category-trend", response_class=HTMLResponse)
def category_trend_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    locale = ctx.tenant.locale or "en_US"

    def chart(report: service.CategoryTrend, amounts: Amounts) -> dict[str, Any]:
        return {
            "type": "bar",
            "labels": _month_labels([p.month for p in report.points], locale),
            "series": [
                {
                    "label": report.name,
                    "colour": "--chart-1"
                    if report.kind == CategoryKind.income.value
                    else "--chart-3",
                    "values": [amounts.text(p.amount.amount_minor) for p in report.points],
                }
            ],
        }

    return _report_page(
        request,
        session,
        ctx,
        REPORT_BY_SLUG["category-trend"],
        lambda s, c, f, form: service.category_trend(
            s,
            tenant_id=c.tenant_id,
            base_currency=c.tenant.base_currency,
            category_id=uuid.UUID(form.category_id),
            filters=f,
        ),
        chart,
    )


def _download(
    request: Request, session: Session, ctx: TenantContext, slug: str, extension: str
) -> Response:
    """The report's table as a file, with the filter its page would show. A filter the
    page would refuse sends the browser back to the page, which says what is wrong."""
    info = REPORT_BY_SLUG.get(slug)
    if info is None:
        raise NotFound("There is no such report.")
    form = _report_form(request, date.today())
    filters, errors = _parse(form, info)
    back = redirect(f"{info.href}?{form.query(info)}")
    if errors or (info.one_category and not form.category_id):
        return back
    try:
        table = tables.build_table(
            session,
            tenant_id=ctx.tenant_id,
            base_currency=ctx.tenant.base_currency,
            slug=slug,
            request=tables.TableRequest(
                filters=filters,
                category_id=uuid.UUID(form.category_id) if info.one_category else None,
            ),
        )
    except (ValidationFailed, NotFound):
        return back
    body, media_type, name = report_files.as_file(table, extension)
    return Response(body, media_type=media_type, headers=_attachment(name))


def _attachment(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }


@router.get("/reports/{slug}.csv", response_model=None)
def report_csv(request: Request, ctx: PageTenant, session: SessionDep, slug: str) -> Response:
    return _download(request, session, ctx, slug, "csv")


@router.get("/reports/{slug}.xlsx", response_model=None)
def report_xlsx(request: Request, ctx: PageTenant, session: SessionDep, slug: str) -> Response:
    return _download(request, session, ctx, slug, "xlsx")


def _back_to_search(form: SearchForm) -> Response:
    query = urlencode(form.pairs())
    return redirect("/transactions" + (f"?{query}" if query else ""))


@router.get("/transactions/export.csv", response_model=None)
def transactions_csv(request: Request, ctx: PageTenant, database: DatabaseDep) -> Response:
    """Every transaction the search page's filters find, as the API's CSV export."""
    form, filters, errors = search_request(request, ctx)
    if errors:
        return _back_to_search(form)
    user_id, tenant_id = ctx.user.id, ctx.tenant_id

    def lines() -> Iterator[bytes]:
        with database.unit_of_work(user_id=user_id, tenant_id=tenant_id) as reader:
            for text in export_lines(reader, tenant_id=tenant_id, filters=filters):
                yield text.encode("utf-8")

    return StreamingResponse(
        lines(),
        media_type=report_files.CSV_MEDIA_TYPE,
        headers=_attachment(f"coffer-transactions-{date.today().isoformat()}.csv"),
    )


@router.get("/transactions/export.xlsx", response_model=None)
def transactions_xlsx(request: Request, ctx: PageTenant, session: SessionDep) -> Response:
    """Every transaction the search page's filters find, as the API's XLSX export."""
    form, filters, errors = search_request(request, ctx)
    if errors:
        return _back_to_search(form)
    spooled = xlsx.workbook_file(session, tenant_id=ctx.tenant_id, filters=filters)
    return StreamingResponse(
        xlsx.stream_file(spooled),
        media_type=xlsx.MEDIA_TYPE,
        headers=_attachment(f"coffer-transactions-{date.today().isoformat()}.xlsx"),
    )
