"""The demo household's money (coffer.demo_ledger), loaded through the services on SQLite
and PostgreSQL: accounts and balances, two years of history, splits, transfers, rules,
imports, reconciliation, and loading again changing nothing.

Loading takes seconds, so each backend loads the demo once (in the first test) and
checks everything on that one household.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffer import demo_ledger
from coffer.audit.models import AuditEvent
from coffer.auth.service import get_user_by_email
from coffer.config import Settings
from coffer.db.session import Database
from coffer.demo import DEMO_EMAIL, load_demo, registered_follow_ups, registered_loaders
from coffer.imports import aliases as alias_service
from coffer.imports import rules as rule_service
from coffer.imports import service as import_service
from coffer.imports.models import BatchStatus, ImportBatch, Rule
from coffer.ledger import service as ledger
from coffer.ledger.models import (
    Account,
    AccountMonth,
    FxRate,
    LedgerTransaction,
    Reconciliation,
    Tag,
    TransactionSplit,
    TransactionStatus,
    TransactionTag,
)

TABLES = (
    Account,
    LedgerTransaction,
    TransactionSplit,
    TransactionTag,
    Tag,
    FxRate,
    Reconciliation,
    AccountMonth,
    Rule,
    ImportBatch,
    AuditEvent,
)


def _owner(database: Database) -> tuple[uuid.UUID, uuid.UUID]:
    with database.unit_of_work() as session:
        owner = get_user_by_email(session, DEMO_EMAIL)
        assert owner is not None
        assert owner.personal_tenant_id is not None
        return owner.id, owner.personal_tenant_id


def _counts(session: Session, tenant_id: uuid.UUID) -> dict[str, int]:
    return {
        model.__name__: session.scalar(
            select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
        )
        or 0
        for model in TABLES
    }


def _uploads(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "uploads").rglob("*") if p.is_file())


# --- the plan, without a database -------------------------------------------------------


@pytest.mark.parametrize(
    "today", [date(2026, 11, 22), date(2028, 2, 29), date(2027, 1, 1), date(2026, 7, 31)]
)
def test_the_plan_is_the_same_for_the_same_day_and_spans_two_years(today: date) -> None:
    plan = demo_ledger.build_plan(today)
    assert plan == demo_ledger.build_plan(today)
    two_years_ago = today.replace(year=today.year - 2, day=28 if today.day == 29 else today.day)
    assert plan.start <= two_years_ago
    days = (
        [e.on for e in plan.entries] + [m.on for m in plan.moves] + [r.on for r in plan.statement]
    )
    days += [r.on for rows in plan.history.values() for r in rows]
    assert min(days) == plan.start
    assert max(days) <= today
    # The exports end where the bank's CSV begins; each split adds up.
    assert all(r.on < plan.switch_on for rows in plan.history.values() for r in rows)
    assert plan.statement
    assert all(plan.switch_on <= r.on <= today for r in plan.statement)
    splits = [e for e in plan.entries if e.splits]
    assert splits
    assert all(sum(c for _, c in e.splits) == e.cents for e in splits)
    # Tagged trips happen inside the history, before the switch.
    tagged = [e for e in plan.entries if e.tags]
    assert {t for e in tagged for t in e.tags} == set(plan.tags)
    assert all(plan.start <= e.on < plan.switch_on for e in tagged)
    assert plan.statement_days()[-1] < plan.switch_on


def test_another_day_gives_other_dates() -> None:
    first = demo_ledger.build_plan(date(2026, 11, 22))
    later = demo_ledger.build_plan(date(2026, 11, 23))
    assert later.start == first.start + timedelta(days=1)
    assert [e.on for e in later.entries] != [e.on for e in first.entries]


def test_the_ledger_part_is_registered_through_the_demo_loader() -> None:
    assert "coffer.demo_ledger.load_ledger" in registered_loaders()
    ledger_follow_ups = [f for f in registered_follow_ups() if f.startswith("coffer.demo_ledger.")]
    assert ledger_follow_ups == [
        "coffer.demo_ledger.import_checking_history",
        "coffer.demo_ledger.import_card_history",
        "coffer.demo_ledger.import_card_statement",
    ]


# --- the demo household, loaded -----------------------------------------------------------


def test_demo_ledger_loads_through_the_services_and_only_once(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = date.today()
    data_dir = settings.data_dir

    # A load that fails in its last step (the bank CSV's commit) leaves the household
    # without that import and no stray file; the next load finishes it.
    real_commit = import_service.request_commit

    def failing_commit(session: Session, **kwargs: Any) -> Any:
        batch = import_service.get_batch(
            session, tenant_id=kwargs["tenant_id"], batch_id=kwargs["batch_id"]
        )
        if batch.filename == demo_ledger.STATEMENT_FILE:
            raise RuntimeError("the disk is full")
        return real_commit(session, **kwargs)

    monkeypatch.setattr(import_service, "request_commit", failing_commit)
    with pytest.raises(RuntimeError, match="the disk is full"):
        load_demo(database, data_dir=data_dir)
    assert len(_uploads(data_dir)) == 2  # the two history exports, committed
    monkeypatch.setattr(import_service, "request_commit", real_commit)

    repaired = load_demo(database, data_dir=data_dir)
    assert not repaired.created
    # The statement's import, then the later capabilities' follow-ups the failure
    # stopped (those that read the imported history).
    assert repaired.finished[0] == "coffer.demo_ledger.import_card_statement"
    assert not any(f.startswith("coffer.demo_ledger.") for f in repaired.finished[1:])
    assert len(_uploads(data_dir)) == 3

    owner_id, tenant_id = _owner(database)
    with database.unit_of_work(user_id=owner_id, tenant_id=tenant_id) as session:
        before = _counts(session, tenant_id)
        _check_accounts_and_balances(session, tenant_id)
        _check_history(session, tenant_id, today)
        _check_rules_and_imports(session, tenant_id)

    again = load_demo(database, data_dir=data_dir)
    assert not again.created
    assert again.finished == ()
    with database.unit_of_work(user_id=owner_id, tenant_id=tenant_id) as session:
        assert _counts(session, tenant_id) == before
    assert len(_uploads(data_dir)) == 3

    # The bank CSV's import can be undone, as on the imports page.
    with database.unit_of_work(user_id=owner_id, tenant_id=tenant_id) as session:
        batch = _batch(session, tenant_id, demo_ledger.STATEMENT_FILE)
        card = batch.account_id
        undone = import_service.undo_batch(
            session, tenant_id=tenant_id, actor_id=owner_id, batch_id=batch.id
        )
        assert undone.status == BatchStatus.undone.value
        assert ledger.reconcile_aggregates(session, tenant_id=tenant_id, account_ids=[card]) == []


def _batch(session: Session, tenant_id: uuid.UUID, filename: str) -> ImportBatch:
    page = import_service.list_batches(session, tenant_id=tenant_id, limit=100)
    (batch,) = [b for b in page.items if b.filename == filename]
    return batch


def _check_accounts_and_balances(session: Session, tenant_id: uuid.UUID) -> None:
    accounts = ledger.list_accounts(session, tenant_id=tenant_id)
    by_name = {a.name: a for a in accounts}
    assert set(by_name) == {spec[0] for spec in demo_ledger.ACCOUNTS.values()}
    kinds = {a.type for a in accounts}
    assert {"checking", "savings", "credit_card", "cash", "mortgage", "property"} <= kinds
    assert {"retirement"} <= kinds
    card = by_name["Harbor Visa Signature"]
    assert card.credit_limit_minor == 1_200_000
    assert card.interest_rate is not None
    assert {a.currency for a in accounts} == {"USD", "EUR"}

    balances = ledger.balances(session, tenant_id=tenant_id, accounts=accounts)
    sums = dict(
        session.execute(
            select(LedgerTransaction.account_id, func.sum(LedgerTransaction.amount_minor))
            .where(LedgerTransaction.tenant_id == tenant_id)
            .group_by(LedgerTransaction.account_id)
        ).all()
    )
    for account in accounts:
        expected = account.opening_balance_minor + int(sums.get(account.id, 0))
        assert balances[account.id] == expected, account.name
    assert ledger.reconcile_aggregates(session, tenant_id=tenant_id) == []
    # Plausible figures: money in the bank, a mortgage being paid down, a card in use.
    assert balances[by_name["Joint checking"].id] > 0
    assert balances[by_name["Cash wallet"].id] > 0
    mortgage = by_name["Mortgage: 14 Alder Lane"]
    assert mortgage.opening_balance_minor < balances[mortgage.id] < 0
    assert -card.credit_limit_minor < balances[card.id] < 0


def _check_history(session: Session, tenant_id: uuid.UUID, today: date) -> None:
    txn = LedgerTransaction
    first, last, count = session.execute(
        select(func.min(txn.posted_on), func.max(txn.posted_on), func.count()).where(
            txn.tenant_id == tenant_id
        )
    ).one()
    assert first <= today - timedelta(days=730)
    assert today - timedelta(days=3) <= last <= today
    assert 1000 <= count <= 5000

    own = select(func.count()).where(txn.tenant_id == tenant_id, txn.transfer_group_id.is_(None))
    categorised = session.scalar(own.where(txn.category_id.is_not(None) | txn.is_split))
    assert categorised is not None
    assert categorised >= 0.9 * (session.scalar(own) or 0)

    splits = list(session.scalars(select(txn).where(txn.tenant_id == tenant_id, txn.is_split)))
    assert len(splits) >= 10
    lines = session.execute(
        select(TransactionSplit.transaction_id, func.sum(TransactionSplit.amount_minor))
        .where(TransactionSplit.tenant_id == tenant_id)
        .group_by(TransactionSplit.transaction_id)
    ).all()
    assert dict(lines) == {t.id: t.amount_minor for t in splits}

    legs = list(
        session.scalars(
            select(txn).where(txn.tenant_id == tenant_id, txn.transfer_group_id.is_not(None))
        )
    )
    groups = Counter(leg.transfer_group_id for leg in legs)
    assert len(groups) >= 50
    assert set(groups.values()) == {2}
    currencies = {a.id: a.currency for a in ledger.list_accounts(session, tenant_id=tenant_id)}
    between = [leg for leg in legs if leg.fx_rate is not None]
    assert between, "a transfer between currencies"
    for leg in between:
        other = next(
            o for o in legs if o.transfer_group_id == leg.transfer_group_id and o.id != leg.id
        )
        assert currencies[leg.account_id] != currencies[other.account_id]
    assert ledger.list_rates(session, tenant_id=tenant_id).items

    statuses = Counter(session.scalars(select(txn.status).where(txn.tenant_id == tenant_id)))
    assert statuses[TransactionStatus.reconciled.value] > 500
    assert statuses[TransactionStatus.cleared.value] > 0
    reconciliations = session.scalars(
        select(Reconciliation).where(Reconciliation.tenant_id == tenant_id)
    ).all()
    assert len(reconciliations) >= 12
    assert {r.status for r in reconciliations} == {"completed"}

    tags = {t.name: t.id for t in ledger.list_tags(session, tenant_id=tenant_id)}
    holiday = next(name for name in tags if name.startswith("Holiday "))
    usage = ledger.tag_usage(session, tenant_id=tenant_id)
    assert usage[tags[holiday]] >= 10

    # Some of it was entered by the partner, not the owner (the audit log says who).
    actors = set(
        session.scalars(
            select(AuditEvent.actor_id).where(
                AuditEvent.tenant_id == tenant_id, AuditEvent.action == "transaction.created"
            )
        )
    )
    assert len(actors) == 2


def _check_rules_and_imports(session: Session, tenant_id: uuid.UUID) -> None:
    rules = rule_service.list_rules(session, tenant_id=tenant_id)
    assert len(rules) >= 5
    assert any(c["op"] == "regex" for r in rules for c in r.conditions)
    assert len(alias_service.list_aliases(session, tenant_id=tenant_id)) >= 5

    page = import_service.list_batches(session, tenant_id=tenant_id, limit=100)
    assert {b.filename for b in page.items} == {
        *demo_ledger.HISTORY_FILES.values(),
        demo_ledger.STATEMENT_FILE,
    }
    assert {b.status for b in page.items} == {BatchStatus.committed.value}
    statement = _batch(session, tenant_id, demo_ledger.STATEMENT_FILE)
    assert statement.added_count == statement.parsed_count > 10
    assert statement.result is not None
    assert statement.result["categorised"].get("rule", 0) > 0
    imported = session.scalars(
        select(LedgerTransaction).where(
            LedgerTransaction.tenant_id == tenant_id,
            LedgerTransaction.import_batch_id == statement.id,
        )
    ).all()
    assert len(imported) == statement.added_count
    assert all(t.status != TransactionStatus.reconciled.value for t in imported)
    # The aliases named the bank's descriptors' merchants.
    merchants = {m.id: m.name for m in ledger.list_merchants(session, tenant_id=tenant_id)}
    names = {merchants.get(t.merchant_id) for t in imported if t.merchant_id}
    assert names & {"Whole Foods Market", "Trader Joe's", "Amazon", "Sprouts Farmers Market"}
