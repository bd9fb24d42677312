"""Settings, read from COFFER_* environment variables and an optional .env file.

Secrets are never built in: when the operator gives none, a random secret is
generated once and kept in the data directory (mode 0600), so restarts keep sessions
valid and encrypted fields readable.
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from platformdirs import user_data_dir
from pydantic import Field, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class LogFormat(StrEnum):
    console = "console"
    json = "json"


def _default_data_dir() -> Path:
    return Path(user_data_dir("coffer", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COFFER_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    # PostgreSQL only: the table owner that runs migrations. The application itself must
    # connect as a role that owns no table, so row-level security applies to it.
    migration_database_url: str | None = None
    redis_url: str | None = None
    secret_key: str | None = None
    encryption_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_format: LogFormat | None = None
    log_level: str = "INFO"
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    invitation_days: int = 7
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    auth_rate_limit: str = "20/minute"
    demo_on_first_run: bool = True
    # Set when Coffer is served over TLS (directly or behind a proxy): cookies become
    # Secure and HSTS is sent.
    https: bool = False
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Where background jobs run: "thread" inside each `coffer serve`, "celery" in
    # `coffer worker` processes; "auto" picks Celery in server mode with Redis.
    jobs_backend: Literal["auto", "thread", "celery"] = "auto"

    # Imports: uploads larger than import_max_bytes are refused; files past either
    # background threshold commit (and undo) as background jobs; the preview looks for
    # duplicates over at most import_preview_scan_rows rows.
    import_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    import_background_rows: int = Field(default=5_000, ge=1)
    import_background_bytes: int = Field(default=1024 * 1024, ge=1)
    import_preview_scan_rows: int = Field(default=50_000, ge=1)

    # Secrets read from (or written to) the data directory, kept after the first read:
    # the secret key is needed on every request that checks a token.
    _file_secrets: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("encryption_keys", "trusted_proxies", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def server_mode(self) -> bool:
        """Server mode is PostgreSQL; the embedded default is a SQLite file."""
        return self.resolved_database_url.startswith("postgresql")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'coffer.db'}"

    @property
    def resolved_migration_url(self) -> str:
        return self.migration_database_url or self.resolved_database_url

    @property
    def resolved_log_format(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.json if self.server_mode else LogFormat.console

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        if "secret_key" not in self._file_secrets:
            self._file_secrets["secret_key"] = _read_or_create(
                self.ensure_data_dir() / "secret_key", lambda: secrets.token_urlsafe(48)
            )
        return self._file_secrets["secret_key"]

    def resolved_encryption_keys(self) -> list[str]:
        """Newest key first; older keys still decrypt until `coffer keys rotate` rewrites."""
        if self.encryption_keys:
            return self.encryption_keys
        key = _read_or_create(
            self.ensure_data_dir() / "encryption_key", lambda: Fernet.generate_key().decode()
        )
        return [key]


def _read_or_create(path: Path, make: object) -> str:
    if path.exists():
        return path.read_text().strip()
    value = make()  # type: ignore[operator]
    # O_EXCL: two workers starting together must not write two different secrets.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(str(value))
    return str(value)


@lru_cache
def get_settings() -> Settings:
    return Settings()
