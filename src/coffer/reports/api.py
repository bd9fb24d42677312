"""REST routes of the reports under /api/v1/reports: thin shapes around
coffer.reports.service. Any member of the household may read them; another
household's account, category or tag ids answer 404 naming the field.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from coffer.ledger.common import decimal_text
from coffer.reports import service
from coffer.reports.schemas import (
    AccountBalancesRead,
    CashFlowMonthRead,
    CashFlowRead,
    CategoryRowRead,
    CategoryTrendRead,
    ChangeRead,
    FigureRead,
    IncomeStatementRead,
    LineRead,
    MerchantRowRead,
    MissingRateRead,
    MonthlySummaryRead,
    NetWorthPointRead,
    NetWorthRead,
    PeriodQuery,
    ReportQuery,
    SectionRead,
    SpendingByTagRead,
    StatementRowRead,
    TagRowRead,
    TopMerchantsRead,
    TrendPointRead,
    TrendQuery,
)
from coffer.tenancy.deps import CurrentTenant, TenantContext
from coffer.web.deps import SessionDep

router = APIRouter(prefix="/reports", tags=["reports"])

TRANSACTIONS_PAGE = "/transactions"
R = TypeVar("R")


def _json(report: BaseModel) -> Response:
    """The report as JSON, encoded once by pydantic: the route's response_model still
    documents it, but FastAPI does not validate and convert it a second time (a ten-year
    summary holds thousands of figures)."""
    return Response(report.model_dump_json(), media_type="application/json")


def _run(
    report: Callable[..., R],
    session: Session,
    context: TenantContext,
    query: PeriodQuery,
    **extra: Any,
) -> R:
    """A report of coffer.reports.service for this household and the query's filter."""
    return report(
        session,
        tenant_id=context.tenant_id,
        base_currency=context.tenant.base_currency,
        filters=report_filter(query),
        **extra,
    )


def report_filter(query: PeriodQuery) -> service.ReportFilter:
    return service.ReportFilter(
        date_from=query.date_from,
        date_to=query.date_to,
        account_ids=tuple(query.account_ids),
        category_ids=tuple(getattr(query, "category_ids", ())),
        tag_ids=tuple(getattr(query, "tag_ids", ())),
    )


class _Shape:
    """Turns a report's minor units into decimal strings of its currency."""

    def __init__(self, header: service.Header) -> None:
        self.code = header.currency
        self.header = {
            "currency": header.currency,
            "date_from": header.date_from,
            "date_to": header.date_to,
            "missing_rates": [
                MissingRateRead(currency=code, on=on) for code, on in header.missing_rates
            ],
        }

    def money(self, amount_minor: int) -> str:
        return decimal_text(amount_minor, self.code)

    def figure(self, figure: service.Figure) -> FigureRead:
        query = figure.query_string()
        return FigureRead(
            amount=self.money(figure.amount_minor),
            drilldown=f"{TRANSACTIONS_PAGE}?{query}" if query else TRANSACTIONS_PAGE,
        )

    def figures(self, figures: Sequence[service.Figure]) -> list[FigureRead]:
        return [self.figure(f) for f in figures]

    def line(self, line: service.Line) -> LineRead:
        return LineRead(
            months=self.figures(line.months),
            total=self.figure(line.total),
            average=self.money(line.average_minor),
        )

    def category(self, row: service.CategoryRow) -> CategoryRowRead:
        return CategoryRowRead(
            category_id=row.category_id,
            name=row.name,
            parent_id=row.parent_id,
            months=self.figures(row.months),
            total=self.figure(row.total),
            average=self.money(row.average_minor),
            children=[self.category(c) for c in row.children],
        )

    def section(self, section: service.Section) -> SectionRead:
        return SectionRead(
            categories=[self.category(c) for c in section.categories],
            months=self.figures(section.months),
            total=self.figure(section.total),
            average=self.money(section.average_minor),
        )

    def statement(self, row: service.StatementRow) -> StatementRowRead:
        return StatementRowRead(
            category_id=row.category_id,
            name=row.name,
            parent_id=row.parent_id,
            amount=self.figure(row.amount),
            children=[self.statement(c) for c in row.children],
        )

    def change(self, change: service.Change | None) -> ChangeRead | None:
        if change is None:
            return None
        percent = None if change.percent is None else str(change.percent)
        return ChangeRead(amount=self.money(change.amount_minor), percent=percent)


@router.get(
    "/monthly-summary",
    response_model=MonthlySummaryRead,
    summary="Income and spending by category per month, with totals and averages",
)
def monthly_summary(
    session: SessionDep, context: CurrentTenant, filters: Annotated[ReportQuery, Query()]
) -> Response:
    report = _run(service.monthly_summary, session, context, filters)
    shape = _Shape(report.header)
    return _json(
        MonthlySummaryRead(
            **shape.header,
            months=report.months,
            income=shape.section(report.income),
            spending=shape.section(report.spending),
            uncategorised=shape.line(report.uncategorised),
            net=shape.line(report.net),
        )
    )


@router.get(
    "/category-trend",
    response_model=CategoryTrendRead,
    summary="One category over the months, with month-over-month and year-over-year change",
)
def category_trend(
    session: SessionDep,
    context: CurrentTenant,
    category_id: Annotated[uuid.UUID, Query(description="A parent includes its children.")],
    filters: Annotated[TrendQuery, Query()],
) -> Response:
    report = _run(service.category_trend, session, context, filters, category_id=category_id)
    shape = _Shape(report.header)
    return _json(
        CategoryTrendRead(
            **shape.header,
            category_id=report.category_id,
            name=report.name,
            kind=report.kind,
            points=[
                TrendPointRead(
                    month=p.month,
                    amount=shape.figure(p.amount),
                    month_over_month=shape.change(p.month_over_month),
                    year_over_year=shape.change(p.year_over_year),
                )
                for p in report.points
            ],
            total=shape.figure(report.total),
            average=shape.money(report.average_minor),
        )
    )


@router.get(
    "/top-merchants",
    response_model=TopMerchantsRead,
    summary="Spending per merchant, largest first",
)
def top_merchants(
    session: SessionDep,
    context: CurrentTenant,
    filters: Annotated[ReportQuery, Query()],
    limit: Annotated[int, Query(ge=1, le=service.MAX_MERCHANTS)] = 10,
) -> Response:
    report = _run(service.top_merchants, session, context, filters, limit=limit)
    shape = _Shape(report.header)
    return _json(
        TopMerchantsRead(
            **shape.header,
            merchants=[
                MerchantRowRead(
                    merchant_id=m.merchant_id,
                    name=m.name,
                    spending=shape.figure(m.spending),
                    count=m.count,
                )
                for m in report.merchants
            ],
            others=shape.money(report.others),
            total=shape.money(report.total),
        )
    )


@router.get(
    "/cash-flow",
    response_model=CashFlowRead,
    summary="Money in, money out and net per month (transfers excluded)",
)
def cash_flow(
    session: SessionDep, context: CurrentTenant, filters: Annotated[ReportQuery, Query()]
) -> Response:
    report = _run(service.cash_flow, session, context, filters)
    shape = _Shape(report.header)
    return _json(
        CashFlowRead(
            **shape.header,
            months=[
                CashFlowMonthRead(
                    month=m.month,
                    money_in=shape.figure(m.money_in),
                    money_out=shape.figure(m.money_out),
                    net=shape.figure(m.net),
                )
                for m in report.months
            ],
            money_in=shape.figure(report.money_in),
            money_out=shape.figure(report.money_out),
            net=shape.figure(report.net),
            uncategorised_out=shape.figure(report.uncategorised_out),
        )
    )


@router.get(
    "/income-statement",
    response_model=IncomeStatementRead,
    summary="Income and spending by category tree for the period, and the net result",
)
def income_statement(
    session: SessionDep, context: CurrentTenant, filters: Annotated[ReportQuery, Query()]
) -> Response:
    report = _run(service.income_statement, session, context, filters)
    shape = _Shape(report.header)
    return _json(
        IncomeStatementRead(
            **shape.header,
            income=[shape.statement(r) for r in report.income],
            income_total=shape.figure(report.income_total),
            spending=[shape.statement(r) for r in report.spending],
            spending_total=shape.figure(report.spending_total),
            uncategorised=shape.figure(report.uncategorised),
            net=shape.figure(report.net),
        )
    )


@router.get(
    "/net-worth",
    response_model=NetWorthRead,
    summary="Month-end balances of every account in the base currency: assets, "
    "liabilities, net worth",
)
def net_worth(
    session: SessionDep, context: CurrentTenant, filters: Annotated[PeriodQuery, Query()]
) -> Response:
    report = _run(service.net_worth_history, session, context, filters)
    shape = _Shape(report.header)

    def balance(amount: int | None) -> str | None:
        return None if amount is None else shape.money(amount)

    return _json(
        NetWorthRead(
            **shape.header,
            points=[
                NetWorthPointRead(
                    month=p.month,
                    assets=shape.money(p.assets),
                    liabilities=shape.money(p.liabilities),
                    net_worth=shape.figure(p.net_worth),
                )
                for p in report.points
            ],
            accounts=[
                AccountBalancesRead(
                    account_id=a.account_id,
                    name=a.name,
                    currency=a.currency,
                    balances=[balance(b) for b in a.balances_minor],
                )
                for a in report.accounts
            ],
        )
    )


@router.get(
    "/spending-by-tag",
    response_model=SpendingByTagRead,
    summary="Spending, income and uncategorised net per tag",
)
def spending_by_tag(
    session: SessionDep, context: CurrentTenant, filters: Annotated[ReportQuery, Query()]
) -> Response:
    report = _run(service.spending_by_tag, session, context, filters)
    shape = _Shape(report.header)
    return _json(
        SpendingByTagRead(
            **shape.header,
            tags=[
                TagRowRead(
                    tag_id=t.tag_id,
                    name=t.name,
                    spending=shape.figure(t.spending),
                    income=shape.figure(t.income),
                    uncategorised=shape.figure(t.uncategorised),
                )
                for t in report.tags
            ],
        )
    )
