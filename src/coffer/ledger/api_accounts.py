"""REST routes of accounts, their register and their reconciliations."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from coffer.ledger import service
from coffer.ledger.api_common import (
    account_read,
    converter,
    idempotent,
    money,
    patch_values,
    register_rows,
)
from coffer.ledger.common import decimal_text
from coffer.ledger.schemas import (
    AccountClose,
    AccountCreate,
    AccountRead,
    AccountUpdate,
    BalanceRead,
    ReconciliationRead,
    ReconciliationStart,
    ReconciliationToggle,
    ReconciliationUpdate,
    RegisterPage,
)
from coffer.tenancy.deps import CurrentTenant, WritableTenant
from coffer.web.deps import SessionDep
from coffer.web.idempotency import IdempotencyKeyDep

router = APIRouter(tags=["accounts"])

ACCOUNT_NULLABLE = frozenset(
    {"institution", "account_number", "last_four", "credit_limit", "interest_rate", "notes"}
)

Limit = Annotated[int | None, Query(ge=1, le=500, description="Page size (default 50).")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the page before.")]


def _read(session: SessionDep, context: CurrentTenant, account: Any) -> AccountRead:
    balance = service.balances(session, tenant_id=context.tenant_id, accounts=[account])
    return account_read(account, balance[account.id], converter(session, context))


@router.get("/accounts", response_model=list[AccountRead], summary="Accounts with balances")
def list_accounts(
    session: SessionDep,
    context: CurrentTenant,
    include_closed: Annotated[bool, Query()] = True,
) -> list[AccountRead]:
    accounts = service.list_accounts(
        session, tenant_id=context.tenant_id, include_closed=include_closed
    )
    balances = service.balances(session, tenant_id=context.tenant_id, accounts=accounts)
    convert = converter(session, context)
    return [account_read(a, balances[a.id], convert) for a in accounts]


@router.post(
    "/accounts",
    response_model=AccountRead,
    status_code=status.HTTP_201_CREATED,
    summary="Open an account (honours Idempotency-Key)",
)
def create_account(
    body: AccountCreate,
    session: SessionDep,
    context: WritableTenant,
    idempotency: IdempotencyKeyDep,
) -> Any:
    def produce() -> AccountRead:
        account = service.create_account(
            session,
            tenant_id=context.tenant_id,
            actor_id=context.user.id,
            **body.model_dump(),
        )
        return _read(session, context, account)

    return idempotent(session, idempotency, context, status_code=201, produce=produce)


@router.get("/accounts/{account_id}", response_model=AccountRead, summary="One account")
def get_account(account_id: uuid.UUID, session: SessionDep, context: CurrentTenant) -> AccountRead:
    account = service.get_account(session, tenant_id=context.tenant_id, account_id=account_id)
    return _read(session, context, account)


@router.patch("/accounts/{account_id}", response_model=AccountRead, summary="Change an account")
def update_account(
    account_id: uuid.UUID, body: AccountUpdate, session: SessionDep, context: WritableTenant
) -> AccountRead:
    account = service.update_account(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        account_id=account_id,
        values=patch_values(body, nullable=ACCOUNT_NULLABLE),  # type: ignore[arg-type]
    )
    return _read(session, context, account)


@router.delete(
    "/accounts/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    summary="Delete an empty account",
)
def delete_account(account_id: uuid.UUID, session: SessionDep, context: WritableTenant) -> Response:
    service.delete_account(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, account_id=account_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/accounts/{account_id}/close", response_model=AccountRead, summary="Close")
def close_account(
    account_id: uuid.UUID, body: AccountClose, session: SessionDep, context: WritableTenant
) -> AccountRead:
    account = service.close_account(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        account_id=account_id,
        closed_on=body.closed_on,
    )
    return _read(session, context, account)


@router.post("/accounts/{account_id}/reopen", response_model=AccountRead, summary="Reopen")
def reopen_account(
    account_id: uuid.UUID, session: SessionDep, context: WritableTenant
) -> AccountRead:
    account = service.reopen_account(
        session, tenant_id=context.tenant_id, actor_id=context.user.id, account_id=account_id
    )
    return _read(session, context, account)


@router.get(
    "/accounts/{account_id}/balance",
    response_model=BalanceRead,
    summary="Balance now, or at the end of a day",
)
def get_balance(
    account_id: uuid.UUID,
    session: SessionDep,
    context: CurrentTenant,
    on: Annotated[date | None, Query()] = None,
) -> BalanceRead:
    account = service.get_account(session, tenant_id=context.tenant_id, account_id=account_id)
    amount = service.balance(session, tenant_id=context.tenant_id, account=account, on=on)
    pending = service.pending_totals(
        session, tenant_id=context.tenant_id, account_ids=[account.id], on=on
    ).get(account.id, 0)
    convert = converter(session, context)
    return BalanceRead(
        account_id=account.id,
        on=on,
        currency=account.currency,
        balance=decimal_text(amount, account.currency),
        cleared_balance=decimal_text(amount - pending, account.currency),
        base_currency=convert.to_ccy,
        balance_base=money(convert(amount, account.currency, on or date.today()), convert.to_ccy),
    )


@router.get(
    "/accounts/{account_id}/register",
    response_model=RegisterPage,
    summary="The account's transactions, newest first, with running balances",
)
def get_register(
    account_id: uuid.UUID,
    session: SessionDep,
    context: CurrentTenant,
    limit: Limit = None,
    cursor: Cursor = None,
) -> RegisterPage:
    page = service.register_page(
        session, tenant_id=context.tenant_id, account_id=account_id, limit=limit, cursor=cursor
    )
    code = page.account.currency
    return RegisterPage(
        account_id=page.account.id,
        currency=code,
        balance=decimal_text(page.balance_minor, code),
        items=register_rows(page.items, converter(session, context)),
        next_cursor=page.next_cursor,
    )


# --- reconciliations ------------------------------------------------------------------


def _reconciliation_read(summary: service.ReconciliationSummary) -> ReconciliationRead:
    r, code = summary.reconciliation, summary.account.currency
    return ReconciliationRead(
        id=r.id,
        account_id=r.account_id,
        currency=code,
        statement_on=r.statement_on,
        statement_balance=decimal_text(r.statement_balance_minor, code),
        cleared_balance=decimal_text(summary.cleared_balance_minor, code),
        difference=decimal_text(summary.difference_minor, code),
        uncleared_count=summary.uncleared_count,
        status=r.status,
        completed_at=r.completed_at,
        reconciled_count=r.reconciled_count,
    )


RECONCILIATIONS = "/accounts/{account_id}/reconciliations"
RECONCILIATION = RECONCILIATIONS + "/{reconciliation_id}"


@router.get(RECONCILIATIONS, response_model=list[ReconciliationRead], summary="Reconciliations")
def list_reconciliations(
    account_id: uuid.UUID, session: SessionDep, context: CurrentTenant
) -> list[ReconciliationRead]:
    rows = service.list_reconciliations(session, tenant_id=context.tenant_id, account_id=account_id)
    return [
        _reconciliation_read(
            service.get_reconciliation(
                session, tenant_id=context.tenant_id, account_id=account_id, reconciliation_id=r.id
            )
        )
        for r in rows
    ]


@router.post(
    RECONCILIATIONS,
    response_model=ReconciliationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Start reconciling against a statement",
)
def start_reconciliation(
    account_id: uuid.UUID, body: ReconciliationStart, session: SessionDep, context: WritableTenant
) -> ReconciliationRead:
    summary = service.start_reconciliation(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        account_id=account_id,
        statement_on=body.statement_on,
        statement_balance=body.statement_balance,
    )
    return _reconciliation_read(summary)


@router.get(RECONCILIATION, response_model=ReconciliationRead, summary="Progress and difference")
def get_reconciliation(
    account_id: uuid.UUID, reconciliation_id: uuid.UUID, session: SessionDep, context: CurrentTenant
) -> ReconciliationRead:
    summary = service.get_reconciliation(
        session,
        tenant_id=context.tenant_id,
        account_id=account_id,
        reconciliation_id=reconciliation_id,
    )
    return _reconciliation_read(summary)


@router.patch(RECONCILIATION, response_model=ReconciliationRead, summary="Correct the statement")
def update_reconciliation(
    account_id: uuid.UUID,
    reconciliation_id: uuid.UUID,
    body: ReconciliationUpdate,
    session: SessionDep,
    context: WritableTenant,
) -> ReconciliationRead:
    summary = service.update_statement(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        account_id=account_id,
        reconciliation_id=reconciliation_id,
        statement_on=body.statement_on,
        statement_balance=body.statement_balance,
    )
    return _reconciliation_read(summary)


@router.post(
    RECONCILIATION + "/toggle",
    response_model=ReconciliationRead,
    summary="Tick (or untick) transactions as cleared",
)
def toggle_cleared(
    account_id: uuid.UUID,
    reconciliation_id: uuid.UUID,
    body: ReconciliationToggle,
    session: SessionDep,
    context: WritableTenant,
) -> ReconciliationRead:
    summary = service.set_cleared(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        account_id=account_id,
        reconciliation_id=reconciliation_id,
        transaction_ids=body.transaction_ids,
        cleared=body.cleared,
    )
    return _reconciliation_read(summary)


@router.post(
    RECONCILIATION + "/finish",
    response_model=ReconciliationRead,
    summary="Lock the cleared transactions (difference must be 0; honours Idempotency-Key)",
)
def finish_reconciliation(
    account_id: uuid.UUID,
    reconciliation_id: uuid.UUID,
    session: SessionDep,
    context: WritableTenant,
    idempotency: IdempotencyKeyDep,
) -> Any:
    def produce() -> ReconciliationRead:
        summary = service.finish_reconciliation(
            session,
            tenant_id=context.tenant_id,
            actor_id=context.user.id,
            account_id=account_id,
            reconciliation_id=reconciliation_id,
        )
        return _reconciliation_read(summary)

    return idempotent(session, idempotency, context, status_code=200, produce=produce)


@router.delete(
    RECONCILIATION,
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    summary="Abandon a reconciliation in progress",
)
def cancel_reconciliation(
    account_id: uuid.UUID,
    reconciliation_id: uuid.UUID,
    session: SessionDep,
    context: WritableTenant,
) -> Response:
    service.cancel_reconciliation(
        session,
        tenant_id=context.tenant_id,
        actor_id=context.user.id,
        account_id=account_id,
        reconciliation_id=reconciliation_id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
