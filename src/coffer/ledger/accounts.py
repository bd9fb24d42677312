"""Accounts: create, change, close, reopen, delete, and their balances.

A balance is the opening balance plus the sum of the account's transactions. It is
read from the monthly aggregate (a few hundred rows at most), plus one bounded query
of the month in question when a balance on a given day is asked for.

Amounts are signed: money owed on a credit card, loan or mortgage is a negative
balance. The full account number, when given, is encrypted at rest and never returned;
only its last four characters are shown.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.core.money import currency
from coffer.errors import RuleViolation, field_error
from coffer.ledger.common import (
    check_currency,
    clean_text,
    decimal_text,
    get_or_404,
    minor,
    month_of,
    required_name,
    scoped,
)
from coffer.ledger.errors import AccountClosed
from coffer.ledger.models import (
    Account,
    AccountMonth,
    AccountType,
    LedgerTransaction,
    Reconciliation,
    TransactionStatus,
)

NAME_MAX = 200
CREDIT_LIMIT_TYPES = frozenset({AccountType.credit_card, AccountType.other_liability})
INTEREST_TYPES = frozenset(
    {
        AccountType.checking,
        AccountType.savings,
        AccountType.credit_card,
        AccountType.loan,
        AccountType.mortgage,
        AccountType.other_asset,
        AccountType.other_liability,
    }
)
BUDGET_BY_DEFAULT = frozenset(
    {AccountType.checking, AccountType.savings, AccountType.credit_card, AccountType.cash}
)
_ACCOUNT_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{2,40}[A-Za-z0-9]$")
_LAST_FOUR = re.compile(r"^[A-Za-z0-9]{4}$")


class AccountPatch(TypedDict, total=False):
    name: str
    type: AccountType
    currency: str
    opening_balance: Decimal
    opening_on: date
    institution: str | None
    account_number: str | None
    last_four: str | None
    credit_limit: Decimal | None
    interest_rate: Decimal | None
    include_in_budget: bool
    notes: str | None


def snapshot(account: Account) -> dict[str, Any]:
    """The audited view of an account: amounts as decimal strings, no account number."""
    code = account.currency
    return {
        "name": account.name,
        "type": account.type,
        "currency": code,
        "opening_balance": decimal_text(account.opening_balance_minor, code),
        "opening_on": account.opening_on,
        "institution": account.institution,
        "last_four": account.last_four,
        "account_number_stored": account.account_number is not None,
        "credit_limit": (
            decimal_text(account.credit_limit_minor, code)
            if account.credit_limit_minor is not None
            else None
        ),
        "interest_rate": account.interest_rate,
        "include_in_budget": account.include_in_budget,
        "closed_on": account.closed_on,
        "notes": account.notes,
    }


def _check_name(
    session: Session, tenant_id: uuid.UUID, name: str, *, exclude: uuid.UUID | None = None
) -> str:
    cleaned = required_name(name, max_length=NAME_MAX)
    query = scoped(Account, tenant_id).where(func.lower(Account.name) == cleaned.lower())
    if exclude is not None:
        query = query.where(Account.id != exclude)
    if session.scalar(query) is not None:
        raise field_error("name", "another account already has this name")
    return cleaned


def _number_fields(
    account_number: str | None, last_four: str | None
) -> tuple[str | None, str | None]:
    number = clean_text(account_number, field="account_number", max_length=42)
    four = clean_text(last_four, field="last_four", max_length=4)
    if number is not None:
        if not _ACCOUNT_NUMBER.match(number):
            raise field_error("account_number", "use 4 to 42 letters, digits, spaces or dashes")
        derived = re.sub(r"[^A-Za-z0-9]", "", number)[-4:]
        if four is not None and four != derived:
            raise field_error("last_four", "does not match the account number's last four")
        four = derived
    if four is not None and not _LAST_FOUR.match(four):
        raise field_error("last_four", "must be exactly 4 letters or digits")
    return number, four


def _check_terms(
    kind: AccountType, code: str, credit_limit: Decimal | None, interest_rate: Decimal | None
) -> tuple[int | None, Decimal | None]:
    limit_minor = None
    if credit_limit is not None:
        if kind not in CREDIT_LIMIT_TYPES:
            raise field_error("credit_limit", "applies only to credit cards and credit lines")
        limit_minor = minor(credit_limit, code, field="credit_limit")
        if limit_minor < 0:
            raise field_error("credit_limit", "cannot be negative")
    if interest_rate is not None:
        if kind not in INTEREST_TYPES:
            raise field_error("interest_rate", f"does not apply to a {kind.value} account")
        if not isinstance(interest_rate, Decimal) or not interest_rate.is_finite():
            raise field_error("interest_rate", "must be a decimal percentage")
        if not Decimal(0) <= interest_rate <= Decimal(100):
            raise field_error("interest_rate", "must be a percentage from 0 to 100")
        if interest_rate.as_tuple().exponent < -6:  # type: ignore[operator]
            raise field_error("interest_rate", "at most 6 decimal places")
    return limit_minor, interest_rate


def create_account(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    name: str,
    type: AccountType,
    currency: str,
    opening_balance: Decimal = Decimal(0),
    opening_on: date | None = None,
    institution: str | None = None,
    account_number: str | None = None,
    last_four: str | None = None,
    credit_limit: Decimal | None = None,
    interest_rate: Decimal | None = None,
    include_in_budget: bool | None = None,
    notes: str | None = None,
) -> Account:
    kind = AccountType(type)
    code = check_currency(currency, field="currency")
    number, four = _number_fields(account_number, last_four)
    limit_minor, rate = _check_terms(kind, code, credit_limit, interest_rate)
    account = Account(
        tenant_id=tenant_id,
        name=_check_name(session, tenant_id, name),
        type=kind.value,
        currency=code,
        opening_balance_minor=minor(opening_balance, code, field="opening_balance"),
        opening_on=opening_on or date.today(),
        institution=clean_text(institution, field="institution", max_length=200),
        account_number=number,
        last_four=four,
        credit_limit_minor=limit_minor,
        interest_rate=rate,
        include_in_budget=(
            kind in BUDGET_BY_DEFAULT if include_in_budget is None else include_in_budget
        ),
        notes=clean_text(notes, field="notes"),
    )
    session.add(account)
    session.flush()
    record(
        session,
        action="account.created",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="account",
        entity_id=account.id,
        new=snapshot(account),
    )
    return account


def _has_transactions(session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID) -> bool:
    query = scoped(LedgerTransaction, tenant_id).where(LedgerTransaction.account_id == account_id)
    return session.scalar(select(query.exists())) or False


def update_account(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    values: AccountPatch,
) -> Account:
    account = get_account(session, tenant_id=tenant_id, account_id=account_id)
    before = snapshot(account)
    code = account.currency
    if "currency" in values:
        new_code = check_currency(values["currency"], field="currency")
        if new_code != code and _has_transactions(session, tenant_id, account_id):
            raise field_error("currency", "cannot change once the account has transactions in it")
        code = new_code
    kind = AccountType(values.get("type", account.type))
    if "name" in values:
        account.name = _check_name(session, tenant_id, values["name"], exclude=account.id)
    if "account_number" in values or "last_four" in values:
        number = values.get("account_number", account.account_number)
        four = values.get("last_four", None if "account_number" in values else account.last_four)
        account.account_number, account.last_four = _number_fields(number, four)
    current_limit = (
        None
        if account.credit_limit_minor is None
        else Decimal(account.credit_limit_minor).scaleb(-_minor_units(account.currency))
    )
    limit = values.get("credit_limit", current_limit if kind in CREDIT_LIMIT_TYPES else None)
    rate = values.get("interest_rate", account.interest_rate if kind in INTEREST_TYPES else None)
    account.credit_limit_minor, account.interest_rate = _check_terms(kind, code, limit, rate)
    if "opening_balance" in values:
        account.opening_balance_minor = minor(
            values["opening_balance"], code, field="opening_balance"
        )
    elif code != account.currency:
        # The same amount, re-expressed in the new currency's minor units.
        opening = Decimal(account.opening_balance_minor).scaleb(-_minor_units(account.currency))
        account.opening_balance_minor = minor(opening, code, field="opening_balance")
    account.type, account.currency = kind.value, code
    if "opening_on" in values:
        account.opening_on = values["opening_on"]
    if "institution" in values:
        account.institution = clean_text(values["institution"], field="institution", max_length=200)
    if "include_in_budget" in values:
        account.include_in_budget = bool(values["include_in_budget"])
    if "notes" in values:
        account.notes = clean_text(values["notes"], field="notes")
    session.flush()
    _audit_change(session, account, before, "account.updated", actor_id)
    return account


def _minor_units(code: str) -> int:
    return currency(code).minor_units


def _audit_change(
    session: Session,
    account: Account,
    before: dict[str, Any],
    action: str,
    actor_id: uuid.UUID | None,
) -> None:
    old, new = changes(before, snapshot(account))
    if new:
        record(
            session,
            action=action,
            actor_id=actor_id,
            tenant_id=account.tenant_id,
            entity_type="account",
            entity_id=account.id,
            old=old,
            new=new,
        )


def close_account(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    closed_on: date | None = None,
) -> Account:
    """Closed accounts keep their history but take no new transactions."""
    account = get_account(session, tenant_id=tenant_id, account_id=account_id)
    if account.closed_on is not None:
        return account
    before = snapshot(account)
    account.closed_on = closed_on or date.today()
    session.flush()
    _audit_change(session, account, before, "account.closed", actor_id)
    return account


def reopen_account(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, account_id: uuid.UUID
) -> Account:
    account = get_account(session, tenant_id=tenant_id, account_id=account_id)
    if account.closed_on is None:
        return account
    before = snapshot(account)
    account.closed_on = None
    session.flush()
    _audit_change(session, account, before, "account.reopened", actor_id)
    return account


def delete_account(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, account_id: uuid.UUID
) -> None:
    """Only an empty account can be deleted; one with history is closed instead."""
    account = get_account(session, tenant_id=tenant_id, account_id=account_id)
    if _has_transactions(session, tenant_id, account_id):
        raise RuleViolation(
            "This account has transactions. Close it to keep its history, or delete its "
            "transactions first."
        )
    record(
        session,
        action="account.deleted",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="account",
        entity_id=account.id,
        old=snapshot(account),
    )
    for reconciliation in session.scalars(
        scoped(Reconciliation, tenant_id).where(Reconciliation.account_id == account_id)
    ):
        session.delete(reconciliation)
    session.delete(account)
    session.flush()


def get_account(session: Session, *, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Account:
    return get_or_404(session, Account, tenant_id=tenant_id, id=account_id, field=None)


def open_account(
    session: Session, *, tenant_id: uuid.UUID, account_id: uuid.UUID, field: str = "account_id"
) -> Account:
    """An account that takes new transactions (NotFound / AccountClosed otherwise)."""
    account = get_or_404(session, Account, tenant_id=tenant_id, id=account_id, field=field)
    if account.closed_on is not None:
        raise AccountClosed(f"{account.name} is closed; reopen it to add transactions.")
    return account


def list_accounts(
    session: Session, *, tenant_id: uuid.UUID, include_closed: bool = True
) -> list[Account]:
    query = scoped(Account, tenant_id)
    if not include_closed:
        query = query.where(Account.closed_on.is_(None))
    return list(session.scalars(query.order_by(Account.closed_on.is_not(None), Account.name)))


# --- balances -------------------------------------------------------------------------


def balances(
    session: Session, *, tenant_id: uuid.UUID, accounts: list[Account]
) -> dict[uuid.UUID, int]:
    """Current balance (minor units) of each account: opening + every transaction."""
    ids = [a.id for a in accounts]
    sums: dict[uuid.UUID, int] = {}
    if ids:
        query = (
            select(AccountMonth.account_id, func.sum(AccountMonth.total_minor))
            .where(AccountMonth.tenant_id == tenant_id, AccountMonth.account_id.in_(ids))
            .group_by(AccountMonth.account_id)
        )
        sums = {account_id: int(total) for account_id, total in session.execute(query)}
    return {a.id: a.opening_balance_minor + sums.get(a.id, 0) for a in accounts}


def balance(
    session: Session, *, tenant_id: uuid.UUID, account: Account, on: date | None = None
) -> int:
    """The balance at the end of `on` (or now): aggregates before its month, rows within."""
    if on is None:
        return balances(session, tenant_id=tenant_id, accounts=[account])[account.id]
    month = month_of(on)
    before = session.scalar(
        select(func.coalesce(func.sum(AccountMonth.total_minor), 0)).where(
            AccountMonth.tenant_id == tenant_id,
            AccountMonth.account_id == account.id,
            AccountMonth.month < month,
        )
    )
    within = session.scalar(
        select(func.coalesce(func.sum(LedgerTransaction.amount_minor), 0)).where(
            LedgerTransaction.tenant_id == tenant_id,
            LedgerTransaction.account_id == account.id,
            LedgerTransaction.posted_on >= month,
            LedgerTransaction.posted_on <= on,
        )
    )
    return account.opening_balance_minor + int(before or 0) + int(within or 0)


def pending_totals(
    session: Session, *, tenant_id: uuid.UUID, account_ids: list[uuid.UUID], on: date | None = None
) -> dict[uuid.UUID, int]:
    """The sum of each account's pending (not yet cleared) transactions, up to the end
    of `on` if given. Pending rows are few and have a partial index of their own, so
    this reads only them however long the account's history."""
    if not account_ids:
        return {}
    txn = LedgerTransaction
    query = (
        select(txn.account_id, func.sum(txn.amount_minor))
        .where(
            txn.tenant_id == tenant_id,
            txn.account_id.in_(account_ids),
            txn.status == TransactionStatus.pending.value,
        )
        .group_by(txn.account_id)
    )
    if on is not None:
        query = query.where(txn.posted_on <= on)
    return {account_id: int(total) for account_id, total in session.execute(query)}


def cleared_balance(
    session: Session, *, tenant_id: uuid.UUID, account: Account, on: date | None = None
) -> int:
    """What the bank has settled: the balance without the pending transactions."""
    pending = pending_totals(session, tenant_id=tenant_id, account_ids=[account.id], on=on)
    return balance(session, tenant_id=tenant_id, account=account, on=on) - pending.get(
        account.id, 0
    )


def balance_through(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    account: Account,
    posted_on: date,
    id: uuid.UUID,
) -> int:
    """The running balance just after the row (posted_on, id) in register order."""
    month = month_of(posted_on)
    before = session.scalar(
        select(func.coalesce(func.sum(AccountMonth.total_minor), 0)).where(
            AccountMonth.tenant_id == tenant_id,
            AccountMonth.account_id == account.id,
            AccountMonth.month < month,
        )
    )
    txn = LedgerTransaction
    within = session.scalar(
        select(func.coalesce(func.sum(txn.amount_minor), 0)).where(
            txn.tenant_id == tenant_id,
            txn.account_id == account.id,
            txn.posted_on >= month,
            txn.posted_on <= posted_on,
            or_(txn.posted_on < posted_on, and_(txn.posted_on == posted_on, txn.id <= id)),
        )
    )
    return account.opening_balance_minor + int(before or 0) + int(within or 0)
