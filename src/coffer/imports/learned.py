"""The household's learned categoriser (coffer.core.categorise): trained from its own
categorised history, kept in categoriser_state, used for rows no rule categorises.

Freshness: the stored model is used while the household has as many categorised
transactions as when it was trained and it is less than a day old; otherwise it is
retrained from the most recent MAX_HISTORY categorised transactions (a few seconds at
most) and, when the caller may write, stored again. Categories the categoriser chose
at import and no person has confirmed (category_suggestion rows whose category is still
the transaction's) are left out of training, so a guess never teaches itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffer.core.categorise import Categoriser, Example, Suggestion
from coffer.db.base import utcnow
from coffer.imports.models import CategoriserState, CategorySuggestion
from coffer.ledger.models import LedgerTransaction

MAX_HISTORY = 100_000
MAX_AGE = timedelta(days=1)
# Suggestions at or above this confidence are applied at commit when the person opts in;
# weaker ones (down to the categoriser's own threshold) are only shown.
APPLY_THRESHOLD = 0.7


def categorised_count(session: Session, *, tenant_id: uuid.UUID) -> int:
    txn = LedgerTransaction
    return int(
        session.scalar(
            select(func.count()).where(txn.tenant_id == tenant_id, txn.category_id.is_not(None))
        )
        or 0
    )


def _history(session: Session, tenant_id: uuid.UUID) -> Iterator[Example]:
    txn, mark = LedgerTransaction, CategorySuggestion
    query = (
        select(txn.payee, txn.amount_minor, txn.category_id, txn.account_id)
        .outerjoin(mark, and_(mark.tenant_id == tenant_id, mark.transaction_id == txn.id))
        .where(
            txn.tenant_id == tenant_id,
            txn.category_id.is_not(None),
            txn.payee.is_not(None),
            or_(mark.id.is_(None), mark.category_id != txn.category_id),
        )
        .order_by(txn.posted_on.desc(), txn.id.desc())
        .limit(MAX_HISTORY)
    )
    rows = session.execute(query).all()
    for payee, amount, category_id, account_id in reversed(rows):  # oldest first
        yield Example(payee or "", int(amount), str(category_id), str(account_id))


def train(session: Session, *, tenant_id: uuid.UUID) -> Categoriser | None:
    model = Categoriser.train(_history(session, tenant_id))
    return model if model.categories else None


@dataclass
class Loaded:
    model: Categoriser
    examples: int  # categorised transactions when it was trained
    retrained: bool  # not the stored state: worth storing


def load(session: Session, *, tenant_id: uuid.UUID) -> Loaded | None:
    """The household's categoriser, retrained when stale; None without any history."""
    count = categorised_count(session, tenant_id=tenant_id)
    if count == 0:
        return None
    state = session.scalar(select(CategoriserState).where(CategoriserState.tenant_id == tenant_id))
    if state is not None and state.examples == count and state.trained_at > utcnow() - MAX_AGE:
        try:
            return Loaded(Categoriser.from_dict(state.model), count, retrained=False)
        except (ValueError, KeyError, TypeError):
            pass  # an older format: retrain below
    model = train(session, tenant_id=tenant_id)
    return Loaded(model, count, retrained=True) if model is not None else None


def store(session: Session, *, tenant_id: uuid.UUID, loaded: Loaded) -> None:
    """Keep a retrained model, so the next import need not train it again."""
    if not loaded.retrained:
        return
    data = loaded.model.to_dict()
    state = session.scalar(select(CategoriserState).where(CategoriserState.tenant_id == tenant_id))
    if state is not None:
        state.model, state.examples, state.trained_at = data, loaded.examples, utcnow()
        session.flush()
        return
    try:
        with session.begin_nested():
            session.add(CategoriserState(tenant_id=tenant_id, model=data, examples=loaded.examples))
    except IntegrityError:
        pass  # another import stored one a moment ago; either will do


def suggest(
    model: Categoriser | None, payee: str, amount_minor: int, account_id: str
) -> tuple[uuid.UUID, float] | None:
    if model is None or not payee:
        return None
    found: Suggestion | None = model.predict(payee, amount_minor, account_id)
    if found is None:
        return None
    return uuid.UUID(found.category), found.confidence
