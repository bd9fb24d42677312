"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import DateTime, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes; SQLite keeps no zone, so it is restored on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class _Cipher:
    """The process-wide key ring for fields encrypted at rest (set by the app factory)."""

    fernet: MultiFernet | None = None

    @classmethod
    def configure(cls, keys: list[str]) -> None:
        cls.fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @classmethod
    def get(cls) -> MultiFernet:
        if cls.fernet is None:
            raise RuntimeError("encryption keys are not configured")
        return cls.fernet


configure_encryption = _Cipher.configure


def rotate_ciphertext(token: str) -> str:
    """Re-encrypt a stored value under the newest key (used by key rotation)."""
    return _Cipher.get().rotate(token.encode()).decode()


class EncryptedString(TypeDecorator[str]):
    """A string stored as Fernet ciphertext; the first configured key encrypts, all decrypt."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _Cipher.get().encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            return _Cipher.get().decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise RuntimeError("stored value cannot be decrypted with the configured keys") from exc


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact decimal (an FX rate, an interest rate) stored as its canonical text.

    SQLite's NUMERIC is a binary float, so a rate like 1.0837123456789 would not survive
    a round trip; text does on both databases. Not for amounts (those are integer minor
    units) and not for values the database must sum or compare numerically.
    """

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"an exact, finite Decimal is required, not {value!r}")
        text = format(value.normalize(), "f")
        if len(text) > 64:
            raise ValueError("decimal too long to store exactly")
        return text

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)
