"""Apply one saved rule to the transactions already in the ledger ("apply to existing").

Rules normally act on imports only. Here the household asks for one rule to act on
what is already there: every transaction its conditions match (the same matching as
the rule page's list of matches: the compiled engine, per account, on payee, memo,
amount and account) gets the rule's actions:

- category: set, except on split transactions, whose categories are on their lines;
- tags: added, never removed;
- merchant: set (the merchant is created, audited, when the household has none of
  that name);
- memo: replaced.

Reconciled transactions are included: reconciliation locks the amount, date, account
and status, and a rule changes none of those. With `only_uncategorised`, transactions
that already have a category (a split transaction has its categories on its lines)
are left entirely alone.

The household's transactions are read in keyset pages of PAGE rows (newest first), so
memory stays bounded however large the ledger; there is no cap on how many change.
Each page's changes go through the ledger's own write paths (bulk recategorise and
tag, update_transaction for merchant and memo), so the monthly aggregate stays exact
and every transaction changed gets audit events with its old and new values. Nothing
commits here: the caller's unit of work makes the whole application one atomic
change. Transactions the rule would leave as they are are not written, so applying a
rule twice changes nothing the second time.

`dry_run=True` runs the same scan and counts what would change without writing: the
page's confirmation step shows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from coffer.audit.service import record
from coffer.core.money import currency
from coffer.imports.rules import get_rule, prefilter
from coffer.imports.rules_engine import Outcome, RuleEngine, RuleSpec
from coffer.ledger.bulk import BulkAction, bulk_update
from coffer.ledger.common import MAX_BULK
from coffer.ledger.labels import find_or_create_merchant
from coffer.ledger.models import Account, Category, LedgerTransaction, Merchant, Tag
from coffer.ledger.transactions import TransactionPatch, update_transaction
from coffer.ledger.views import load_tags

PAGE = 500


@dataclass
class ApplyResult:
    """What applying a rule did (or, for a dry run, would do).

    `matched` = `changed` + `unchanged` + `skipped_categorised`. The per-action counts
    (`categorised`, `tagged`, `merchant_set`, `memo_set`) overlap when one transaction
    gets several actions. `skipped_split` counts matched split transactions whose
    category the rule would have set; they may still be changed by its other actions.
    """

    matched: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped_categorised: int = 0
    skipped_split: int = 0
    categorised: int = 0
    tagged: int = 0
    merchant_set: int = 0
    memo_set: int = 0
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k != "dry_run"}


@dataclass(frozen=True, slots=True)
class _Row:
    id: uuid.UUID
    account_id: uuid.UUID
    posted_on: date
    payee: str | None
    memo: str | None
    amount_minor: int
    category_id: uuid.UUID | None
    is_split: bool
    merchant_id: uuid.UUID | None


@dataclass
class _PagePlan:
    """The writes one page of matches needs, grouped the way the ledger writes them."""

    category: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)  # category -> txns
    tags: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)  # tag -> txns
    merchant: list[uuid.UUID] = field(default_factory=list)
    memo: dict[uuid.UUID, str] = field(default_factory=dict)  # txn -> memo


class _Merchant:
    """The rule's merchant: looked up by name once, created (and audited by the ledger)
    only when a transaction is about to get it, so a dry run writes nothing."""

    def __init__(self, session: Session, tenant_id: uuid.UUID, name: str | None) -> None:
        self.session, self.tenant_id, self.name = session, tenant_id, name
        self.id: uuid.UUID | None = None
        if name is not None:
            self.id = session.scalar(
                select(Merchant.id).where(
                    Merchant.tenant_id == tenant_id, Merchant.key == name.strip().casefold()
                )
            )

    def differs(self, merchant_id: uuid.UUID | None) -> bool:
        return self.name is not None and (self.id is None or merchant_id != self.id)

    def ensure(self, actor_id: uuid.UUID | None) -> uuid.UUID:
        if self.id is None:
            assert self.name is not None
            self.id = find_or_create_merchant(
                self.session, tenant_id=self.tenant_id, name=self.name, actor_id=actor_id
            ).id
        return self.id


_COLUMNS = (
    LedgerTransaction.id,
    LedgerTransaction.account_id,
    LedgerTransaction.posted_on,
    LedgerTransaction.payee,
    LedgerTransaction.memo,
    LedgerTransaction.amount_minor,
    LedgerTransaction.category_id,
    LedgerTransaction.is_split,
    LedgerTransaction.merchant_id,
)


def _pages(
    session: Session, tenant_id: uuid.UUID, conditions: Sequence[dict[str, Any]]
) -> Iterator[list[_Row]]:
    """The household's candidate rows, newest first, PAGE at a time. The keyset is
    (posted_on, id), which no rule action changes, so writes between pages never make
    a row be seen twice or skipped."""
    txn = LedgerTransaction
    base = select(*_COLUMNS).where(txn.tenant_id == tenant_id, *prefilter(conditions))
    after: tuple[date, uuid.UUID] | None = None
    while True:
        query = base
        if after is not None:
            day, last_id = after
            query = query.where(
                txn.posted_on <= day,
                or_(txn.posted_on < day, and_(txn.posted_on == day, txn.id < last_id)),
            )
        query = query.order_by(txn.posted_on.desc(), txn.id.desc()).limit(PAGE)
        rows = [_Row(*row) for row in session.execute(query)]
        if rows:
            yield rows
        if len(rows) < PAGE:
            return
        after = (rows[-1].posted_on, rows[-1].id)


def apply_rule(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    rule_id: uuid.UUID,
    only_uncategorised: bool = False,
    dry_run: bool = False,
) -> ApplyResult:
    """Apply the rule's actions to every existing transaction it matches (see the
    module's docstring) and count what changed. NotFound for another household's
    rule."""
    rule = get_rule(session, tenant_id=tenant_id, rule_id=rule_id)
    spec = RuleSpec(rule.id, rule.conditions, rule.actions)
    known_categories = set(
        session.scalars(select(Category.id).where(Category.tenant_id == tenant_id))
    )
    known_tags = set(session.scalars(select(Tag.id).where(Tag.tenant_id == tenant_id)))
    minor_units = {
        account_id: currency(code).minor_units
        for account_id, code in session.execute(
            select(Account.id, Account.currency).where(Account.tenant_id == tenant_id)
        )
    }
    merchant = _Merchant(session, tenant_id, rule.actions.get("merchant") or None)
    engines: dict[uuid.UUID, RuleEngine] = {}
    result = ApplyResult(dry_run=dry_run)
    for rows in _pages(session, tenant_id, rule.conditions):
        matches: list[tuple[_Row, Outcome]] = []
        for row in rows:
            engine = engines.get(row.account_id)
            if engine is None:
                engine = engines[row.account_id] = RuleEngine(
                    [spec],
                    account_id=row.account_id,
                    minor_units=minor_units[row.account_id],
                    known_categories=known_categories,
                    known_tags=known_tags,
                )
            outcome = engine.apply(row.payee or "", row.memo or "", row.amount_minor)
            if outcome is not None:
                matches.append((row, outcome))
        if matches:
            plan = _plan(session, tenant_id, matches, merchant, only_uncategorised, result)
            if not dry_run:
                _write(session, tenant_id, actor_id, plan, merchant)
    if not dry_run and result.changed:
        record(
            session,
            action="rule.applied",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="rule",
            entity_id=rule.id,
            new={"only_uncategorised": only_uncategorised, **result.counts()},
        )
    return result


def _plan(
    session: Session,
    tenant_id: uuid.UUID,
    matches: list[tuple[_Row, Outcome]],
    merchant: _Merchant,
    only_uncategorised: bool,
    result: ApplyResult,
) -> _PagePlan:
    """What each matched row of a page needs, counted into `result`."""
    plan = _PagePlan()
    current_tags = load_tags(session, tenant_id, [row.id for row, _ in matches])
    for row, outcome in matches:
        result.matched += 1
        if only_uncategorised and (row.category_id is not None or row.is_split):
            result.skipped_categorised += 1
            continue
        changed = False
        if outcome.category_id is not None:
            if row.is_split:
                result.skipped_split += 1
            elif row.category_id != outcome.category_id:
                plan.category.setdefault(outcome.category_id, []).append(row.id)
                result.categorised += 1
                changed = True
        has = set(current_tags.get(row.id, ()))
        missing = [t for t in outcome.tag_ids if t not in has]
        for tag_id in missing:
            plan.tags.setdefault(tag_id, []).append(row.id)
        if missing:
            result.tagged += 1
            changed = True
        if merchant.differs(row.merchant_id):
            plan.merchant.append(row.id)
            result.merchant_set += 1
            changed = True
        if outcome.memo is not None and row.memo != outcome.memo:
            plan.memo[row.id] = outcome.memo
            result.memo_set += 1
            changed = True
        if changed:
            result.changed += 1
        else:
            result.unchanged += 1
    return plan


def _write(
    session: Session,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    plan: _PagePlan,
    merchant: _Merchant,
) -> None:
    """One page's changes through the ledger's write paths: bulk recategorise and tag
    (aggregate deltas and one audit event per transaction and action), and
    update_transaction for the merchant and memo (old and new values audited)."""
    for category_id, ids in plan.category.items():
        for start in range(0, len(ids), MAX_BULK):
            bulk_update(
                session,
                tenant_id=tenant_id,
                actor_id=actor_id,
                action=BulkAction.recategorise,
                ids=ids[start : start + MAX_BULK],
                category_id=category_id,
            )
    for tag_id, ids in plan.tags.items():
        for start in range(0, len(ids), MAX_BULK):
            bulk_update(
                session,
                tenant_id=tenant_id,
                actor_id=actor_id,
                action=BulkAction.tag,
                ids=ids[start : start + MAX_BULK],
                tag_id=tag_id,
            )
    new_merchant = set(plan.merchant)
    for txn_id in dict.fromkeys([*plan.merchant, *plan.memo]):
        values: TransactionPatch = {}
        if txn_id in new_merchant:
            values["merchant_id"] = merchant.ensure(actor_id)
        if txn_id in plan.memo:
            values["memo"] = plan.memo[txn_id]
        update_transaction(
            session, tenant_id=tenant_id, actor_id=actor_id, transaction_id=txn_id, values=values
        )
