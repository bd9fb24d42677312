"""Saved import formats (a household's named CSV mappings) and the built-in presets.

A mapping for an upload comes from, first given: an explicit mapping, a saved format,
a preset by name, or the sniff's suggestion.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.errors import NotFound, ValidationFailed, field_error
from coffer.imports.models import ImportFormat
from coffer.imports.parsers import PRESETS, CsvMapping, MappingError

NAME_MAX = 100


def check_mapping(raw: Any, *, field: str = "mapping") -> CsvMapping:
    try:
        return CsvMapping.from_dict(dict(raw) if isinstance(raw, dict) else raw)
    except (MappingError, TypeError) as exc:
        problems = exc.problems if isinstance(exc, MappingError) else [str(exc)]
        raise ValidationFailed(
            f"{field}: " + "; ".join(problems),
            errors=[{"field": field, "message": p} for p in problems],
        ) from exc


def presets() -> dict[str, CsvMapping]:
    return dict(PRESETS)


def get_format(session: Session, *, tenant_id: uuid.UUID, format_id: uuid.UUID) -> ImportFormat:
    found = session.scalar(
        select(ImportFormat).where(
            ImportFormat.tenant_id == tenant_id, ImportFormat.id == format_id
        )
    )
    if found is None:
        raise NotFound("No saved import format with this id in this household.")
    return found


def resolve_mapping(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    mapping: dict[str, Any] | None,
    preset: str | None,
    import_format_id: uuid.UUID | None,
    fallback: CsvMapping | None,
) -> tuple[CsvMapping | None, str | None]:
    """The mapping to use and the preset's name when it is one."""
    if mapping is not None:
        return check_mapping(mapping), None
    if import_format_id is not None:
        saved = get_format(session, tenant_id=tenant_id, format_id=import_format_id)
        return check_mapping(saved.mapping, field="import_format_id"), None
    if preset is not None:
        if preset not in PRESETS:
            raise field_error("preset", f"must be one of {', '.join(PRESETS)}")
        return PRESETS[preset], preset
    return fallback, None


def list_formats(session: Session, *, tenant_id: uuid.UUID) -> list[ImportFormat]:
    return list(
        session.scalars(
            select(ImportFormat)
            .where(ImportFormat.tenant_id == tenant_id)
            .order_by(ImportFormat.name, ImportFormat.id)
        )
    )


def _name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise field_error("name", "must not be empty")
    if len(cleaned) > NAME_MAX:
        raise field_error("name", f"must be at most {NAME_MAX} characters")
    return cleaned


def _audit(
    session: Session, action: str, actor_id: uuid.UUID | None, found: ImportFormat, **values: Any
) -> None:
    record(
        session,
        action=action,
        actor_id=actor_id,
        tenant_id=found.tenant_id,
        entity_type="import_format",
        entity_id=found.id,
        **values,
    )


def _save(session: Session, found: ImportFormat) -> None:
    try:
        with session.begin_nested():
            session.add(found)
            session.flush()
    except IntegrityError as exc:
        raise field_error("name", "a saved format with this name already exists") from exc


def create_format(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    name: str,
    mapping: dict[str, Any],
) -> ImportFormat:
    found = ImportFormat(
        tenant_id=tenant_id, name=_name(name), mapping=check_mapping(mapping).to_dict()
    )
    _save(session, found)
    _audit(session, "import_format.created", actor_id, found, new={"name": found.name})
    return found


def update_format(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    format_id: uuid.UUID,
    name: str | None = None,
    mapping: dict[str, Any] | None = None,
) -> ImportFormat:
    found = get_format(session, tenant_id=tenant_id, format_id=format_id)
    before = {"name": found.name, "mapping": found.mapping}
    if name is not None:
        found.name = _name(name)
    if mapping is not None:
        found.mapping = check_mapping(mapping).to_dict()
    _save(session, found)
    old, new = changes(before, {"name": found.name, "mapping": found.mapping})
    if new:
        _audit(session, "import_format.updated", actor_id, found, old=old, new=new)
    return found


def delete_format(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, format_id: uuid.UUID
) -> None:
    found = get_format(session, tenant_id=tenant_id, format_id=format_id)
    _audit(session, "import_format.deleted", actor_id, found, old={"name": found.name})
    session.delete(found)
    session.flush()
