"""Merchant aliases: payee text that names a merchant (matching: alias_match.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.errors import NotFound, field_error
from coffer.imports.models import AliasMatch, MerchantAlias
from coffer.imports.rules_engine import regex_problem
from coffer.ledger import service as ledger
from coffer.ledger.common import get_or_404, rowcount
from coffer.ledger.labels import merchant_snapshot
from coffer.ledger.models import LedgerTransaction, Merchant

PATTERN_MAX = 200
MAX_ALIASES = 2000


def _snapshot(alias: MerchantAlias) -> dict[str, Any]:
    return {"pattern": alias.pattern, "match": alias.match, "merchant_id": alias.merchant_id}


def _audit(
    session: Session, action: str, actor_id: uuid.UUID | None, alias: MerchantAlias, **values: Any
) -> None:
    record(
        session,
        action=action,
        actor_id=actor_id,
        tenant_id=alias.tenant_id,
        entity_type="merchant_alias",
        entity_id=alias.id,
        **values,
    )


def _check(pattern: str, match: str) -> tuple[str, str]:
    try:
        kind = AliasMatch(match)
    except ValueError as exc:
        raise field_error("match", "must be exact, contains or regex") from exc
    cleaned = (pattern or "").strip()
    if not cleaned:
        raise field_error("pattern", "must not be empty")
    if len(cleaned) > PATTERN_MAX:
        raise field_error("pattern", f"must be at most {PATTERN_MAX} characters")
    if kind is AliasMatch.regex and (problem := regex_problem(cleaned)):
        raise field_error("pattern", problem)
    return cleaned, kind.value


def _merchant(
    session: Session, tenant_id: uuid.UUID, merchant_id: uuid.UUID | None, merchant: str | None
) -> uuid.UUID:
    if merchant_id is not None:
        found = session.scalar(
            select(Merchant.id).where(Merchant.tenant_id == tenant_id, Merchant.id == merchant_id)
        )
        if found is None:
            raise NotFound(
                "merchant_id: No merchant with this id in this household.",
                errors=[{"field": "merchant_id", "message": "no merchant with this id"}],
            )
        return found
    if merchant is None or not merchant.strip():
        raise field_error("merchant", "name the merchant, or give merchant_id")
    return ledger.find_or_create_merchant(session, tenant_id=tenant_id, name=merchant).id


def get_alias(session: Session, *, tenant_id: uuid.UUID, alias_id: uuid.UUID) -> MerchantAlias:
    alias = session.scalar(
        select(MerchantAlias).where(
            MerchantAlias.tenant_id == tenant_id, MerchantAlias.id == alias_id
        )
    )
    if alias is None:
        raise NotFound("No merchant alias with this id in this household.")
    return alias


def list_aliases(session: Session, *, tenant_id: uuid.UUID) -> list[MerchantAlias]:
    return list(
        session.scalars(
            select(MerchantAlias)
            .where(MerchantAlias.tenant_id == tenant_id)
            .order_by(MerchantAlias.created_at, MerchantAlias.id)
        )
    )


def _save(session: Session, alias: MerchantAlias) -> None:
    try:
        with session.begin_nested():
            session.add(alias)
            session.flush()
    except IntegrityError as exc:
        raise field_error("pattern", "this alias already exists") from exc


def create_alias(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    pattern: str,
    match: str = AliasMatch.contains.value,
    merchant_id: uuid.UUID | None = None,
    merchant: str | None = None,
) -> MerchantAlias:
    cleaned, kind = _check(pattern, match)
    count = len(list_aliases(session, tenant_id=tenant_id))
    if count >= MAX_ALIASES:
        raise field_error("pattern", f"a household has at most {MAX_ALIASES} aliases")
    alias = MerchantAlias(
        tenant_id=tenant_id,
        pattern=cleaned,
        match=kind,
        merchant_id=_merchant(session, tenant_id, merchant_id, merchant),
    )
    _save(session, alias)
    _audit(session, "merchant_alias.created", actor_id, alias, new=_snapshot(alias))
    return alias


def update_alias(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    alias_id: uuid.UUID,
    pattern: str | None = None,
    match: str | None = None,
    merchant_id: uuid.UUID | None = None,
    merchant: str | None = None,
) -> MerchantAlias:
    alias = get_alias(session, tenant_id=tenant_id, alias_id=alias_id)
    before = _snapshot(alias)
    alias.pattern, alias.match = _check(
        pattern if pattern is not None else alias.pattern, match or alias.match
    )
    if merchant_id is not None or merchant is not None:
        alias.merchant_id = _merchant(session, tenant_id, merchant_id, merchant)
    _save(session, alias)
    old, new = changes(before, _snapshot(alias))
    if new:
        _audit(session, "merchant_alias.updated", actor_id, alias, old=old, new=new)
    return alias


def delete_alias(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, alias_id: uuid.UUID
) -> None:
    alias = get_alias(session, tenant_id=tenant_id, alias_id=alias_id)
    _audit(session, "merchant_alias.deleted", actor_id, alias, old=_snapshot(alias))
    session.delete(alias)
    session.flush()


def merchant_names(
    session: Session, *, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict(
        session.execute(
            select(Merchant.id, Merchant.name).where(
                Merchant.tenant_id == tenant_id, Merchant.id.in_(ids)
            )
        ).all()
    )


@dataclass(frozen=True, slots=True)
class MergeResult:
    target: Merchant
    transactions: int
    aliases: int
    # The alias that sends the merged merchant's payees to the target from now on;
    # None when one like it existed or the household has as many aliases as allowed.
    new_alias: MerchantAlias | None


def merge_merchants(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
) -> MergeResult:
    """Fold `source` into `target`: its transactions and aliases move, it is deleted.

    Without more, the next import would bring `source` back: a payee is named by its
    normalised text ("POS STARBUCKS #12" gives "Starbucks"), and no merchant of that
    name would exist any more. So the merge also adds the alias "payee contains
    <source's name>" for `target`, which imports consult before naming a merchant.
    """
    source = get_or_404(session, Merchant, tenant_id=tenant_id, id=source_id)
    target = get_or_404(session, Merchant, tenant_id=tenant_id, id=target_id, field="target_id")
    if source.id == target.id:
        raise field_error("target_id", "choose a different merchant")
    txn = LedgerTransaction
    moved = rowcount(
        session.execute(
            update(txn)
            .where(txn.tenant_id == tenant_id, txn.merchant_id == source.id)
            .values(merchant_id=target.id)
            .execution_options(synchronize_session="fetch")
        )
    )
    aliases = rowcount(
        session.execute(
            update(MerchantAlias)
            .where(MerchantAlias.tenant_id == tenant_id, MerchantAlias.merchant_id == source.id)
            .values(merchant_id=target.id)
            .execution_options(synchronize_session="fetch")
        )
    )
    new_alias = _follow_alias(session, tenant_id, source.name, target.id)
    record(
        session,
        action="merchant.merged",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="merchant",
        entity_id=source.id,
        old=merchant_snapshot(source),
        new={
            "merged_into": target.id,
            "transactions": moved,
            "aliases": aliases,
            "new_alias": new_alias.pattern if new_alias else None,
        },
    )
    if new_alias is not None:
        _audit(session, "merchant_alias.created", actor_id, new_alias, new=_snapshot(new_alias))
    session.delete(source)
    session.flush()
    return MergeResult(target, moved, aliases, new_alias)


def _follow_alias(
    session: Session, tenant_id: uuid.UUID, name: str, target_id: uuid.UUID
) -> MerchantAlias | None:
    pattern = name.strip()[:PATTERN_MAX]
    existing = session.scalar(
        select(func.count())
        .select_from(MerchantAlias)
        .where(
            MerchantAlias.tenant_id == tenant_id,
            MerchantAlias.match == AliasMatch.contains.value,
            func.lower(MerchantAlias.pattern) == pattern.lower(),
        )
    )
    total = session.scalar(
        select(func.count()).select_from(MerchantAlias).where(MerchantAlias.tenant_id == tenant_id)
    )
    if existing or (total or 0) >= MAX_ALIASES or not pattern:
        return None
    alias = MerchantAlias(
        tenant_id=tenant_id,
        pattern=pattern,
        match=AliasMatch.contains.value,
        merchant_id=target_id,
    )
    _save(session, alias)
    return alias
