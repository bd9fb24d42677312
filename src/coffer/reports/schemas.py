"""API shapes of the reports.

Every amount is a decimal string in the report's `currency` (the household's base
currency). Every figure that counts transactions carries `drilldown`: the URL of the
transaction search listing them (the same query string answers GET
/api/v1/transactions). Definitions of income, spending, uncategorised and transfers
are in coffer.reports.engine.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

Money = Annotated[str, Field(description='An exact decimal string, e.g. "1234.50".')]


class PeriodQuery(BaseModel):
    """The period and accounts of a report; a missing date is taken from the data."""

    date_from: date | None = None
    date_to: date | None = None
    account_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class ReportQuery(PeriodQuery):
    """The common report filter."""

    category_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=100, description="A parent includes its children."
    )
    tag_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=100,
        description="Keep transactions carrying any of these tags.",
    )


class TrendQuery(PeriodQuery):
    tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class MissingRateRead(BaseModel):
    currency: str
    on: date


class FigureRead(BaseModel):
    amount: Money
    drilldown: str = Field(
        description="The /transactions search listing the transactions behind the figure."
    )


class ReportRead(BaseModel):
    currency: str = Field(description="The household's base currency: every amount is in it.")
    date_from: date
    date_to: date
    missing_rates: list[MissingRateRead] = Field(
        description="Currency and day pairs with no exchange rate: their amounts are in no "
        "figure. Add the rates to complete the report."
    )


class LineRead(BaseModel):
    months: list[FigureRead]
    total: FigureRead
    average: Money = Field(description="The total divided by the number of months.")


class CategoryRowRead(LineRead):
    category_id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    children: list[CategoryRowRead] = Field(
        description="Child categories; this row's figures include theirs."
    )


class SectionRead(LineRead):
    categories: list[CategoryRowRead]


class MonthlySummaryRead(ReportRead):
    months: list[date] = Field(description="First day of each month; figures follow this order.")
    income: SectionRead
    spending: SectionRead = Field(description="Money out in expense categories, less refunds.")
    uncategorised: LineRead = Field(
        description="Net of lines without a category (positive: money in)."
    )
    net: LineRead = Field(description="income - spending + uncategorised.")


class StatementRowRead(BaseModel):
    category_id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    amount: FigureRead
    children: list[StatementRowRead]


class IncomeStatementRead(ReportRead):
    income: list[StatementRowRead]
    income_total: FigureRead
    spending: list[StatementRowRead]
    spending_total: FigureRead
    uncategorised: FigureRead
    net: FigureRead = Field(description="income - spending + uncategorised.")


class ChangeRead(BaseModel):
    amount: Money
    percent: str | None = Field(description="Relative change in %, null when from zero.")


class TrendPointRead(BaseModel):
    month: date
    amount: FigureRead
    month_over_month: ChangeRead | None
    year_over_year: ChangeRead | None


class CategoryTrendRead(ReportRead):
    category_id: uuid.UUID
    name: str
    kind: str = Field(description="income: amounts are income; expense: amounts are spending.")
    points: list[TrendPointRead]
    total: FigureRead
    average: Money


class MerchantRowRead(BaseModel):
    merchant_id: uuid.UUID
    name: str
    spending: FigureRead
    count: int = Field(description="Transaction lines counted.")


class TopMerchantsRead(ReportRead):
    merchants: list[MerchantRowRead]
    others: Money = Field(description="Spending at every merchant below these.")
    total: Money = Field(description="Spending at every merchant.")


class CashFlowMonthRead(BaseModel):
    month: date
    money_in: FigureRead
    money_out: FigureRead
    net: FigureRead


class CashFlowRead(ReportRead):
    months: list[CashFlowMonthRead]
    money_in: FigureRead
    money_out: FigureRead = Field(description="Positive: what left the accounts.")
    net: FigureRead
    uncategorised_out: FigureRead = Field(
        description="The part of money_out on lines without a category (positive)."
    )


class TagRowRead(BaseModel):
    tag_id: uuid.UUID
    name: str
    spending: FigureRead
    income: FigureRead
    uncategorised: FigureRead


class SpendingByTagRead(ReportRead):
    tags: list[TagRowRead]


class NetWorthPointRead(BaseModel):
    month: date
    assets: Money
    liabilities: Money = Field(description="Balances below zero: a negative amount.")
    net_worth: FigureRead


class AccountBalancesRead(BaseModel):
    account_id: uuid.UUID
    name: str
    currency: str = Field(description="The account's own currency.")
    balances: list[Money | None] = Field(
        description="Month-end balances in the base currency; null when no rate is known."
    )


class NetWorthRead(ReportRead):
    points: list[NetWorthPointRead]
    accounts: list[AccountBalancesRead]
