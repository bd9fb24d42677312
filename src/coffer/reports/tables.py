"""Every report as one flat table: what its CSV and XLSX files hold.

A table is the report's figures, row by row, exactly as the page and the API show them
(the same service call, the same filter), with typed cells: text, a month (its first
day), an amount (a Decimal in the report's currency), a count or a percentage. The
writers in coffer.reports.exports.report_files turn it into a CSV or a workbook.

Category trees become rows with a `Parent` column: a top-level category's row includes
its subcategories' lines, which follow it with the parent named. Summing a column
therefore means summing the rows without a parent (or reading the total row).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, TypeVar

from sqlalchemy.orm import Session

from coffer.core.money import from_minor
from coffer.errors import field_error
from coffer.reports import service
from coffer.reports.engine import ReportFilter

CellKind = Literal["text", "month", "money", "count", "percent"]
Cell = str | date | Decimal | int | None


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: CellKind = "text"


@dataclass
class Table:
    slug: str
    title: str
    currency: str  # every money cell is in it
    date_from: date
    date_to: date
    missing_rates: list[tuple[str, date]]
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TableRequest:
    """What a report's table needs besides the household: its filter, the category of
    the category trend, the number of merchants of the top merchants."""

    filters: ReportFilter
    category_id: uuid.UUID | None = None
    limit: int = 10


TITLES = {
    "monthly-summary": "Monthly summary",
    "cash-flow": "Cash flow",
    "income-statement": "Income statement",
    "net-worth": "Net worth",
    "top-merchants": "Top merchants",
    "spending-by-tag": "Spending by tag",
    "category-trend": "Category trend",
}
# Reports that take the whole balances of accounts, not lines by category or tag.
WHOLE_BALANCES = frozenset({"net-worth"})


class _Cells:
    def __init__(self, header: service.Header) -> None:
        self.code = header.currency

    def money(self, amount_minor: int | None) -> Decimal | None:
        return None if amount_minor is None else from_minor(amount_minor, self.code)


def _table(slug: str, header: service.Header, columns: list[Column]) -> Table:
    return Table(
        slug=slug,
        title=TITLES[slug],
        currency=header.currency,
        date_from=header.date_from,
        date_to=header.date_to,
        missing_rates=list(header.missing_rates),
        columns=columns,
    )


Row = TypeVar("Row", service.CategoryRow, service.StatementRow)


def _tree(rows: Iterable[Row]) -> Iterable[tuple[Row, str | None]]:
    for row in rows:
        yield row, None
        for child in row.children:
            yield child, row.name


def monthly_summary_table(report: service.MonthlySummary) -> Table:
    cells = _Cells(report.header)
    columns = [Column("Section"), Column("Category"), Column("Parent")]
    columns += [Column(m.strftime("%Y-%m"), "money") for m in report.months]
    columns += [Column("Total", "money"), Column("Monthly average", "money")]
    table = _table("monthly-summary", report.header, columns)

    def line(
        section: str, name: str, parent: str | None, figures: service.Line | service.Section
    ) -> None:
        table.rows.append(
            [
                section,
                name,
                parent,
                *(cells.money(f.amount_minor) for f in figures.months),
                cells.money(figures.total.amount_minor),
                cells.money(figures.average_minor),
            ]
        )

    for title, section in (("Income", report.income), ("Spending", report.spending)):
        for row, parent in _tree(section.categories):
            line(title, row.name, parent, service.Line(row.months, row.total, row.average_minor))
        line(title, f"Total {title.lower()}", None, section)
    line("Uncategorised", "Uncategorised (net)", None, report.uncategorised)
    line("Net", "Income less spending", None, report.net)
    table.notes.append(
        "A category's row includes its subcategories, which follow it with the parent named."
    )
    return table


def income_statement_table(report: service.IncomeStatement) -> Table:
    cells = _Cells(report.header)
    columns = [Column("Section"), Column("Category"), Column("Parent"), Column("Amount", "money")]
    table = _table("income-statement", report.header, columns)
    for title, rows, total in (
        ("Income", report.income, report.income_total),
        ("Spending", report.spending, report.spending_total),
    ):
        for row, parent in _tree(rows):
            table.rows.append([title, row.name, parent, cells.money(row.amount.amount_minor)])
        table.rows.append([title, f"Total {title.lower()}", None, cells.money(total.amount_minor)])
    uncategorised = cells.money(report.uncategorised.amount_minor)
    table.rows.append(["Uncategorised", "Uncategorised (net)", None, uncategorised])
    table.rows.append(["Net", "Income less spending", None, cells.money(report.net.amount_minor)])
    table.notes.append(
        "A category's row includes its subcategories, which follow it with the parent named."
    )
    return table


def cash_flow_table(report: service.CashFlow) -> Table:
    cells = _Cells(report.header)
    columns = [
        Column("Month", "month"),
        Column("Money in", "money"),
        Column("Money out", "money"),
        Column("Net", "money"),
    ]
    table = _table("cash-flow", report.header, columns)
    for m in report.months:
        table.rows.append(
            [
                m.month,
                cells.money(m.money_in.amount_minor),
                cells.money(m.money_out.amount_minor),
                cells.money(m.net.amount_minor),
            ]
        )
    table.rows.append(
        [
            "Total",
            cells.money(report.money_in.amount_minor),
            cells.money(report.money_out.amount_minor),
            cells.money(report.net.amount_minor),
        ]
    )
    uncategorised = cells.money(report.uncategorised_out.amount_minor)
    table.rows.append(["Of the money out, not categorised", None, uncategorised, None])
    table.notes.append("Transfers between your own accounts are left out.")
    return table


def net_worth_table(report: service.NetWorthHistory) -> Table:
    cells = _Cells(report.header)
    columns = [
        Column("Month end", "month"),
        Column("Assets", "money"),
        Column("Liabilities", "money"),
        Column("Net worth", "money"),
    ]
    columns += [Column(a.name, "money") for a in report.accounts]
    table = _table("net-worth", report.header, columns)
    for i, p in enumerate(report.points):
        table.rows.append(
            [
                p.month,
                cells.money(p.assets),
                cells.money(p.liabilities),
                cells.money(p.net_worth.amount_minor),
                *(cells.money(a.balances_minor[i]) for a in report.accounts),
            ]
        )
    table.notes.append(
        "Balances at the end of each month, converted at that day's rate; an empty account "
        "cell means no rate was known."
    )
    return table


def top_merchants_table(report: service.TopMerchants) -> Table:
    cells = _Cells(report.header)
    columns = [Column("Merchant"), Column("Spending", "money"), Column("Lines", "count")]
    table = _table("top-merchants", report.header, columns)
    for m in report.merchants:
        table.rows.append([m.name, cells.money(m.spending.amount_minor), m.count])
    table.rows.append(["Other merchants", cells.money(report.others), None])
    table.rows.append(["Total", cells.money(report.total), None])
    return table


def spending_by_tag_table(report: service.SpendingByTag) -> Table:
    cells = _Cells(report.header)
    columns = [
        Column("Tag"),
        Column("Spending", "money"),
        Column("Income", "money"),
        Column("Uncategorised (net)", "money"),
    ]
    table = _table("spending-by-tag", report.header, columns)
    for t in report.tags:
        table.rows.append(
            [
                t.name,
                cells.money(t.spending.amount_minor),
                cells.money(t.income.amount_minor),
                cells.money(t.uncategorised.amount_minor),
            ]
        )
    table.notes.append("A transaction with several tags counts under each of them.")
    return table


def category_trend_table(report: service.CategoryTrend) -> Table:
    cells = _Cells(report.header)
    columns = [
        Column("Month", "month"),
        Column(report.name, "money"),
        Column("Change on the month before", "money"),
        Column("Change on the month before (%)", "percent"),
        Column("Change on the year before", "money"),
        Column("Change on the year before (%)", "percent"),
    ]
    table = _table("category-trend", report.header, columns)
    for p in report.points:
        mom, yoy = p.month_over_month, p.year_over_year
        table.rows.append(
            [
                p.month,
                cells.money(p.amount.amount_minor),
                None if mom is None else cells.money(mom.amount_minor),
                None if mom is None else mom.percent,
                None if yoy is None else cells.money(yoy.amount_minor),
                None if yoy is None else yoy.percent,
            ]
        )
    blank: list[Cell] = [None, None, None, None]
    table.rows.append(["Total", cells.money(report.total.amount_minor), *blank])
    table.rows.append(["Monthly average", cells.money(report.average_minor), *blank])
    kind = "income" if report.kind == "income" else "spending"
    table.notes.append(f"{report.name}: {kind}, its subcategories included.")
    return table


def build_table(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    base_currency: str,
    slug: str,
    request: TableRequest,
) -> Table:
    """The report named by `slug` as a table. An unknown slug, a category trend without
    its category, or a filter the report does not take (categories or tags on net
    worth, categories on the trend) is a ValidationFailed naming the field; ids of
    another household are NotFound, as for the report itself."""
    if slug not in TITLES:
        raise field_error("report", f"Choose one of: {', '.join(TITLES)}.")
    f = request.filters
    if slug in WHOLE_BALANCES and (f.category_ids or f.tag_ids):
        name = "category_ids" if f.category_ids else "tag_ids"
        raise field_error(name, "Net worth covers whole balances: it takes no category or tag.")
    t, b = tenant_id, base_currency
    if slug == "category-trend":
        if f.category_ids:
            raise field_error("category_ids", "The trend follows one category: use category_id.")
        if request.category_id is None:
            raise field_error("category_id", "Choose the category whose trend to export.")
        return category_trend_table(
            service.category_trend(
                session, tenant_id=t, base_currency=b, category_id=request.category_id, filters=f
            )
        )
    if slug == "monthly-summary":
        return monthly_summary_table(
            service.monthly_summary(session, tenant_id=t, base_currency=b, filters=f)
        )
    if slug == "cash-flow":
        return cash_flow_table(service.cash_flow(session, tenant_id=t, base_currency=b, filters=f))
    if slug == "income-statement":
        return income_statement_table(
            service.income_statement(session, tenant_id=t, base_currency=b, filters=f)
        )
    if slug == "net-worth":
        return net_worth_table(
            service.net_worth_history(session, tenant_id=t, base_currency=b, filters=f)
        )
    if slug == "top-merchants":
        return top_merchants_table(
            service.top_merchants(
                session, tenant_id=t, base_currency=b, filters=f, limit=request.limit
            )
        )
    return spending_by_tag_table(
        service.spending_by_tag(session, tenant_id=t, base_currency=b, filters=f)
    )
