"""Tags and merchants: the labels a transaction carries besides its category.

A merchant is the normalised name behind the many ways a bank spells a payee
("SQ *BLUE BOTTLE COFFEE 0423" and "BLUE BOTTLE COFFEE #12" are both "Blue Bottle
Coffee"). Names are unique per household regardless of case.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.errors import field_error
from coffer.ledger.common import MAX_PAGE, get_or_404, required_name, rowcount, scoped
from coffer.ledger.models import LedgerTransaction, Merchant, Tag, TransactionTag

TAG_MAX = 60
MERCHANT_MAX = 200
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
# Card processors and wallets that prefix the real merchant: "SQ *", "PAYPAL *".
_PROCESSOR = re.compile(
    r"^(?:SQ|TST|SP|PP|PAYPAL|GOOGLE|APL|APPLE\s?PAY|IZ|ZTL|SUMUP|SUM\s?UP|CKO|PY)\s*\*\s*",
    re.IGNORECASE,
)
_CARD_WORDS = re.compile(
    r"^(?:(?:POS|CARD|DEBIT|CREDIT|VISA|MASTERCARD|PURCHASE|PAYMENT|CONTACTLESS|DD)\b\s*)+",
    re.IGNORECASE,
)
_EDGE_PUNCTUATION = " .,-_/*#:;"


def normalise_merchant(payee: str | None) -> str | None:
    """A merchant name from a bank's payee text, or None when nothing useful is left.

    Drops processor prefixes, card-scheme words, and everything from the first token
    that carries a reference (a digit or '#') onwards; then tidies case.
    """
    if not payee:
        return None
    text = " ".join(payee.split())
    text = _PROCESSOR.sub("", text)
    text = _CARD_WORDS.sub("", text)
    text = text.split("*", 1)[0]
    kept: list[str] = []
    for token in text.split(" "):
        if kept and (any(ch.isdigit() for ch in token) or "#" in token):
            break
        kept.append(token)
    name = " ".join(kept).strip(_EDGE_PUNCTUATION)
    if not name or not any(ch.isalpha() for ch in name):
        return None
    if name.isupper() or name.islower():
        name = " ".join(word.capitalize() for word in name.split(" "))
    return name[:MERCHANT_MAX]


def _check_colour(colour: str | None) -> str | None:
    if colour is None:
        return None
    if not _COLOUR.match(colour.strip()):
        raise field_error("colour", "use a colour like #1E88E5")
    return colour.strip().upper()


# --- merchants ------------------------------------------------------------------------


def merchant_snapshot(merchant: Merchant) -> dict[str, Any]:
    return {"name": merchant.name}


def find_or_create_merchant(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    name: str,
    actor_id: uuid.UUID | None = None,
    field: str = "merchant",
) -> Merchant:
    """The household's merchant of this name (any case), created (and audited) when
    missing."""
    cleaned = required_name(name, field=field, max_length=MERCHANT_MAX)
    key = cleaned.casefold()
    found = session.scalar(scoped(Merchant, tenant_id).where(Merchant.key == key))
    if found is not None:
        return found
    merchant = Merchant(tenant_id=tenant_id, name=cleaned, key=key)
    try:
        with session.begin_nested():
            session.add(merchant)
    except IntegrityError:
        # Another request created it a moment ago.
        found = session.scalar(scoped(Merchant, tenant_id).where(Merchant.key == key))
        if found is None:
            raise
        return found
    record(
        session,
        action="merchant.created",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="merchant",
        entity_id=merchant.id,
        new=merchant_snapshot(merchant),
    )
    return merchant


def create_merchant(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, name: str
) -> Merchant:
    cleaned = required_name(name, max_length=MERCHANT_MAX)
    if session.scalar(scoped(Merchant, tenant_id).where(Merchant.key == cleaned.casefold())):
        raise field_error("name", "a merchant with this name already exists")
    merchant = Merchant(tenant_id=tenant_id, name=cleaned, key=cleaned.casefold())
    session.add(merchant)
    session.flush()
    record(
        session,
        action="merchant.created",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="merchant",
        entity_id=merchant.id,
        new=merchant_snapshot(merchant),
    )
    return merchant


def rename_merchant(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    merchant_id: uuid.UUID,
    name: str,
) -> Merchant:
    merchant = get_or_404(session, Merchant, tenant_id=tenant_id, id=merchant_id)
    cleaned = required_name(name, max_length=MERCHANT_MAX)
    clash = session.scalar(
        scoped(Merchant, tenant_id).where(
            Merchant.key == cleaned.casefold(), Merchant.id != merchant.id
        )
    )
    if clash is not None:
        raise field_error("name", "a merchant with this name already exists")
    before = merchant_snapshot(merchant)
    merchant.name, merchant.key = cleaned, cleaned.casefold()
    session.flush()
    old, new = changes(before, merchant_snapshot(merchant))
    if new:
        record(
            session,
            action="merchant.renamed",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="merchant",
            entity_id=merchant.id,
            old=old,
            new=new,
        )
    return merchant


def delete_merchant(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, merchant_id: uuid.UUID
) -> None:
    """Delete; its transactions keep their payee text and lose the merchant link."""
    merchant = get_or_404(session, Merchant, tenant_id=tenant_id, id=merchant_id)
    txn = LedgerTransaction
    unlinked = rowcount(
        session.execute(
            update(txn)
            .where(txn.tenant_id == tenant_id, txn.merchant_id == merchant.id)
            .values(merchant_id=None)
            .execution_options(synchronize_session="fetch")
        )
    )
    record(
        session,
        action="merchant.deleted",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="merchant",
        entity_id=merchant.id,
        old=merchant_snapshot(merchant),
        new={"transactions_unlinked": unlinked},
    )
    session.delete(merchant)
    session.flush()


def list_merchants(
    session: Session, *, tenant_id: uuid.UUID, search: str | None = None, limit: int = MAX_PAGE
) -> list[Merchant]:
    query = scoped(Merchant, tenant_id)
    if search:
        query = query.where(Merchant.key.contains(search.strip().casefold(), autoescape=True))
    return list(session.scalars(query.order_by(Merchant.key).limit(limit)))


# --- tags -----------------------------------------------------------------------------


def tag_snapshot(tag: Tag) -> dict[str, Any]:
    return {"name": tag.name, "colour": tag.colour}


def create_tag(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    name: str,
    colour: str | None = None,
) -> Tag:
    cleaned = required_name(name, max_length=TAG_MAX)
    if session.scalar(scoped(Tag, tenant_id).where(Tag.key == cleaned.casefold())):
        raise field_error("name", "a tag with this name already exists")
    tag = Tag(
        tenant_id=tenant_id, name=cleaned, key=cleaned.casefold(), colour=_check_colour(colour)
    )
    session.add(tag)
    session.flush()
    record(
        session,
        action="tag.created",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="tag",
        entity_id=tag.id,
        new=tag_snapshot(tag),
    )
    return tag


def update_tag(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    tag_id: uuid.UUID,
    name: str | None = None,
    colour: str | None = None,
    set_colour: bool = False,
) -> Tag:
    tag = get_or_404(session, Tag, tenant_id=tenant_id, id=tag_id)
    before = tag_snapshot(tag)
    if name is not None:
        cleaned = required_name(name, max_length=TAG_MAX)
        clash = session.scalar(
            scoped(Tag, tenant_id).where(Tag.key == cleaned.casefold(), Tag.id != tag.id)
        )
        if clash is not None:
            raise field_error("name", "a tag with this name already exists")
        tag.name, tag.key = cleaned, cleaned.casefold()
    if set_colour:
        tag.colour = _check_colour(colour)
    session.flush()
    old, new = changes(before, tag_snapshot(tag))
    if new:
        record(
            session,
            action="tag.updated",
            actor_id=actor_id,
            tenant_id=tenant_id,
            entity_type="tag",
            entity_id=tag.id,
            old=old,
            new=new,
        )
    return tag


def delete_tag(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, tag_id: uuid.UUID
) -> None:
    tag = get_or_404(session, Tag, tenant_id=tenant_id, id=tag_id)
    untagged = rowcount(
        session.execute(
            delete(TransactionTag).where(
                TransactionTag.tenant_id == tenant_id, TransactionTag.tag_id == tag.id
            )
        )
    )
    record(
        session,
        action="tag.deleted",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="tag",
        entity_id=tag.id,
        old=tag_snapshot(tag),
        new={"transactions_untagged": untagged},
    )
    session.delete(tag)
    session.flush()


def list_tags(session: Session, *, tenant_id: uuid.UUID) -> list[Tag]:
    return list(session.scalars(scoped(Tag, tenant_id).order_by(Tag.key)))


def tag_usage(session: Session, *, tenant_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """How many transactions carry each tag."""
    query = (
        select(TransactionTag.tag_id, func.count())
        .where(TransactionTag.tenant_id == tenant_id)
        .group_by(TransactionTag.tag_id)
    )
    return {tag_id: int(count) for tag_id, count in session.execute(query)}
