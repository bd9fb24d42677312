"""Declarative base, key and timestamp conventions shared by every table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from uuid_utils.compat import uuid7

from coffer.db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """Time-ordered UUID (version 7): unique across servers, yet index-friendly."""
    return uuid7()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    # Keys and timestamps are made in Python, not by the database, so an INSERT needs no
    # RETURNING (which row-level security would also have to admit).
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TenantMixin:
    """Marks a tenant table: row-level security and the isolation tests find it by this."""

    __tenant_table__ = True

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(Uuid, ForeignKey("tenant.id", ondelete="CASCADE"), nullable=False)


def tenant_tables() -> list[str]:
    """Names of every table whose rows belong to a tenant."""
    return sorted(
        str(getattr(mapper.local_table, "name", ""))
        for mapper in Base.registry.mappers
        if getattr(mapper.class_, "__tenant_table__", False)
    )
