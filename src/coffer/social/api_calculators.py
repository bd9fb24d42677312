"""Calculators without stored data: split an expense, settle a group.

POST /api/v1/calculators/split and /api/v1/calculators/settle read and write amounts as
decimal strings in the given currency and store nothing; the arithmetic is
`coffer.core.splits` and `coffer.core.settle` (largest remainder to the cent, ties by
member order; the fewest payments, exact up to 20 members). Invalid input is a 422
problem whose `errors` name the field and say what is wrong. They need no sign-in:
they read nothing of anybody's, and their size is bounded (MAX_MEMBERS, MAX_ITEMS).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from coffer.core import settle as settling
from coffer.core import splits
from coffer.errors import ValidationFailed, field_error
from coffer.ledger.common import check_currency, decimal_text, minor
from coffer.ledger.schemas import Amount, Currency

router = APIRouter(prefix="/calculators", tags=["calculators"])

MAX_MEMBERS = 500
MAX_ITEMS = 500
Name = Annotated[str, Field(min_length=1, max_length=100)]


class Method(StrEnum):
    equal = "equal"
    exact = "exact"
    percent = "percent"
    shares = "shares"
    itemized = "itemized"


class SplitMember(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    amount: Amount | None = Field(default=None, description="For the exact method.")
    percent: Amount | None = Field(default=None, description="For the percent method.")
    shares: Amount | None = Field(default=None, description="For the shares method.")


class SplitItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=200)
    amount: Amount
    members: list[Name] = Field(min_length=1, max_length=MAX_MEMBERS)


class SplitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total: Amount
    currency: Currency
    method: Method
    members: list[SplitMember] = Field(min_length=1, max_length=MAX_MEMBERS)
    items: list[SplitItem] = Field(default_factory=list, max_length=MAX_ITEMS)
    tax: Amount = Field(default=Decimal(0), description="Itemised: spread by subtotal.")
    tip: Amount = Field(default=Decimal(0), description="Itemised: spread by subtotal.")

    @model_validator(mode="after")
    def _names_once(self) -> SplitRequest:
        seen: set[str] = set()
        for member in self.members:
            if member.name in seen:
                raise ValueError(f"{member.name!r} is listed twice in members")
            seen.add(member.name)
        return self


class Allocation(BaseModel):
    name: str
    amount: str = Field(description="A decimal string in the request's currency.")


class SplitResponse(BaseModel):
    currency: str
    total: str
    allocations: list[Allocation]


class Balance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    balance: Amount = Field(description="Positive: is owed money; negative: owes money.")


class SettleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: Currency
    balances: list[Balance] = Field(min_length=1, max_length=MAX_MEMBERS)


class PaymentOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    amount: str


class SettleResponse(BaseModel):
    currency: str
    payments: list[PaymentOut]
    greedy_payments: int = Field(description="How many payments the usual greedy plan needs.")


def _split_error(exc: splits.SplitError) -> ValidationFailed:
    return field_error(exc.field or "members", str(exc))


def _needed(values: list[Any], method: Method, what: str) -> None:
    missing = [i for i, value in enumerate(values) if value is None]
    if missing:
        article = "an" if what[0] in "aeiou" else "a"
        raise field_error(
            f"members[{missing[0]}].{what}",
            f"the {method} method needs {article} {what} for every member",
        )


@router.post("/split", response_model=SplitResponse, summary="Split an expense to the cent")
def split(body: SplitRequest) -> SplitResponse:
    code = check_currency(body.currency, field="currency")
    total = minor(body.total, code, field="total")
    names = [m.name for m in body.members]

    def write(amount_minor: int) -> str:
        return decimal_text(amount_minor, code)

    try:
        if body.method is Method.equal:
            result = splits.split_equal(total, names)
        elif body.method is Method.exact:
            _needed([m.amount for m in body.members], body.method, "amount")
            result = splits.split_exact(
                total,
                {
                    m.name: minor(m.amount, code, field=f"members[{i}].amount")
                    for i, m in enumerate(body.members)
                    if m.amount is not None
                },
                write=write,
            )
        elif body.method is Method.percent:
            _needed([m.percent for m in body.members], body.method, "percent")
            result = splits.split_percent(
                total, {m.name: m.percent for m in body.members if m.percent is not None}
            )
        elif body.method is Method.shares:
            _needed([m.shares for m in body.members], body.method, "shares")
            result = splits.split_shares(
                total, {m.name: m.shares for m in body.members if m.shares is not None}
            )
        else:
            if not body.items:
                raise field_error("items", "the itemized method needs at least one item")
            known = set(names)
            items = []
            for i, item in enumerate(body.items):
                for name in item.members:
                    if name not in known:
                        raise field_error(f"items[{i}].members", f"{name!r} is not a member")
                items.append(
                    splits.Item(
                        minor(item.amount, code, field=f"items[{i}].amount"),
                        tuple(item.members),
                        item.name,
                    )
                )
            result = splits.split_itemized(
                items,
                tax=minor(body.tax, code, field="tax"),
                tip=minor(body.tip, code, field="tip"),
                total=total,
                members=names,
                write=write,
            )
    except splits.SplitError as exc:
        raise _split_error(exc) from exc
    return SplitResponse(
        currency=code,
        total=decimal_text(total, code),
        allocations=[Allocation(name=n, amount=decimal_text(result[n], code)) for n in names],
    )


@router.post(
    "/settle", response_model=SettleResponse, summary="Settle a group in the fewest payments"
)
def settle(body: SettleRequest) -> SettleResponse:
    code = check_currency(body.currency, field="currency")
    balances: dict[str, int] = {}
    for i, entry in enumerate(body.balances):
        if entry.name in balances:
            raise field_error(f"balances[{i}].name", f"{entry.name!r} is listed twice")
        balances[entry.name] = minor(entry.balance, code, field=f"balances[{i}].balance")
    excess = sum(balances.values())
    if excess:
        raise field_error(
            "balances",
            f"the balances add up to {decimal_text(excess, code)}, not 0: what the group is "
            "owed must equal what it owes",
        )
    try:
        plan = settling.settle(balances)
        greedy = settling.greedy(balances)
    except settling.SettleError as exc:
        raise field_error("balances", str(exc)) from exc
    return SettleResponse(
        currency=code,
        payments=[
            PaymentOut(from_=p.payer, to=p.payee, amount=decimal_text(p.amount, code)) for p in plan
        ],
        greedy_payments=len(greedy),
    )
