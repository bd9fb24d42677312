"""REST routes of what shapes imports: saved formats (and presets), category rules with
their matches, and merchant aliases."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from coffer.core.money import from_minor
from coffer.imports import aliases, formats, rule_apply, rules
from coffer.imports.models import ImportFormat, MerchantAlias, Rule
from coffer.imports.schemas import (
    AliasCreate,
    AliasRead,
    AliasUpdate,
    ImportFormatCreate,
    ImportFormatList,
    ImportFormatRead,
    ImportFormatUpdate,
    MatchedTransaction,
    PresetRead,
    RuleApply,
    RuleApplyRead,
    RuleCreate,
    RuleMatchesRead,
    RuleRead,
    RuleReorder,
    RuleTest,
    RuleUpdate,
)
from coffer.ledger import service as ledger
from coffer.ledger.api_common import idempotent
from coffer.tenancy.deps import CurrentTenant, TenantContext, WritableTenant
from coffer.web.deps import SessionDep
from coffer.web.idempotency import IdempotencyKeyDep

router = APIRouter()
NO_CONTENT = status.HTTP_204_NO_CONTENT


def _scope(context: TenantContext) -> dict[str, Any]:
    return {"tenant_id": context.tenant_id, "actor_id": context.user.id}


# --- saved formats ---------------------------------------------------------------------


def format_read(found: ImportFormat) -> ImportFormatRead:
    return ImportFormatRead(
        id=found.id,
        name=found.name,
        mapping=found.mapping,
        created_at=found.created_at,
        updated_at=found.updated_at,
    )


def save_format(
    session: Session, context: TenantContext, name: str, mapping: dict[str, Any]
) -> ImportFormat:
    return formats.create_format(session, **_scope(context), name=name, mapping=mapping)


@router.get(
    "/import-formats",
    response_model=ImportFormatList,
    tags=["import formats"],
    summary="Saved CSV formats of the household, and the built-in presets",
)
def list_formats(context: CurrentTenant, session: SessionDep) -> ImportFormatList:
    return ImportFormatList(
        items=[format_read(f) for f in formats.list_formats(session, tenant_id=context.tenant_id)],
        presets=[
            PresetRead(name=name, mapping=mapping.to_dict())
            for name, mapping in formats.presets().items()
        ],
    )


@router.post(
    "/import-formats",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportFormatRead,
    tags=["import formats"],
    summary="Save a CSV column mapping by name",
)
def create_format(
    body: ImportFormatCreate, context: WritableTenant, session: SessionDep
) -> ImportFormatRead:
    return format_read(save_format(session, context, body.name, body.mapping))


@router.get(
    "/import-formats/{import_format_id}",
    response_model=ImportFormatRead,
    tags=["import formats"],
    summary="One saved format",
)
def get_format(
    import_format_id: uuid.UUID, context: CurrentTenant, session: SessionDep
) -> ImportFormatRead:
    return format_read(
        formats.get_format(session, tenant_id=context.tenant_id, format_id=import_format_id)
    )


@router.patch(
    "/import-formats/{import_format_id}",
    response_model=ImportFormatRead,
    tags=["import formats"],
    summary="Rename a saved format or change its mapping",
)
def update_format(
    import_format_id: uuid.UUID,
    body: ImportFormatUpdate,
    context: WritableTenant,
    session: SessionDep,
) -> ImportFormatRead:
    found = formats.update_format(
        session,
        **_scope(context),
        format_id=import_format_id,
        name=body.name,
        mapping=body.mapping,
    )
    return format_read(found)


@router.delete(
    "/import-formats/{import_format_id}",
    status_code=NO_CONTENT,
    tags=["import formats"],
    summary="Delete a saved format",
)
def delete_format(
    import_format_id: uuid.UUID, context: WritableTenant, session: SessionDep
) -> Response:
    formats.delete_format(session, **_scope(context), format_id=import_format_id)
    return Response(status_code=NO_CONTENT)


# --- rules -----------------------------------------------------------------------------


def rule_read(rule: Rule) -> RuleRead:
    return RuleRead(
        id=rule.id,
        name=rule.name,
        position=rule.position,
        enabled=rule.enabled,
        stop_processing=rule.stop_processing,
        conditions=rule.conditions,
        actions=rule.actions,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


@router.get("/rules", response_model=list[RuleRead], tags=["rules"], summary="Rules, in order")
def list_rules(context: CurrentTenant, session: SessionDep) -> list[RuleRead]:
    return [rule_read(r) for r in rules.list_rules(session, tenant_id=context.tenant_id)]


@router.post(
    "/rules",
    status_code=status.HTTP_201_CREATED,
    response_model=RuleRead,
    tags=["rules"],
    summary="Add a rule after the existing ones",
)
def create_rule(body: RuleCreate, context: WritableTenant, session: SessionDep) -> RuleRead:
    rule = rules.create_rule(
        session,
        **_scope(context),
        name=body.name,
        conditions=[c.model_dump(mode="json") for c in body.conditions],
        actions=body.actions.model_dump(mode="json", exclude_none=True),
        enabled=body.enabled,
        stop_processing=body.stop_processing,
    )
    return rule_read(rule)


@router.post(
    "/rules/reorder", response_model=list[RuleRead], tags=["rules"], summary="Put rules in order"
)
def reorder_rules(
    body: RuleReorder, context: WritableTenant, session: SessionDep
) -> list[RuleRead]:
    return [rule_read(r) for r in rules.reorder_rules(session, **_scope(context), ids=body.ids)]


def _matches_read(
    session: Session, context: TenantContext, found: rules.RuleMatches
) -> RuleMatchesRead:
    codes = {a.id: a.currency for a in ledger.list_accounts(session, tenant_id=context.tenant_id)}
    return RuleMatchesRead(
        items=[
            MatchedTransaction(
                id=t.id,
                account_id=t.account_id,
                posted_on=t.posted_on,
                amount=str(from_minor(t.amount_minor, codes[t.account_id])),
                currency=codes[t.account_id],
                payee=t.payee,
                memo=t.memo,
                category_id=t.category_id,
            )
            for t in found.items
        ],
        scanned=found.scanned,
        complete=found.complete,
    )


@router.post(
    "/rules/test",
    response_model=RuleMatchesRead,
    tags=["rules"],
    summary="Existing transactions that conditions (not saved) would match",
)
def try_rule(
    body: RuleTest,
    context: CurrentTenant,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RuleMatchesRead:
    found = rules.rule_matches(
        session,
        tenant_id=context.tenant_id,
        conditions=[c.model_dump(mode="json") for c in body.conditions],
        limit=limit,
    )
    return _matches_read(session, context, found)


@router.get("/rules/{rule_id}", response_model=RuleRead, tags=["rules"], summary="One rule")
def get_rule(rule_id: uuid.UUID, context: CurrentTenant, session: SessionDep) -> RuleRead:
    return rule_read(rules.get_rule(session, tenant_id=context.tenant_id, rule_id=rule_id))


@router.get(
    "/rules/{rule_id}/matches",
    response_model=RuleMatchesRead,
    tags=["rules"],
    summary="Existing transactions this rule would match, newest first",
)
def rule_matches(
    rule_id: uuid.UUID,
    context: CurrentTenant,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RuleMatchesRead:
    found = rules.stored_rule_matches(
        session, tenant_id=context.tenant_id, rule_id=rule_id, limit=limit
    )
    return _matches_read(session, context, found)


@router.post(
    "/rules/{rule_id}/apply",
    response_model=RuleApplyRead,
    tags=["rules"],
    summary="Apply a rule to the existing transactions it matches (honours Idempotency-Key)",
    description=(
        "Sets the rule's category (not on split transactions), adds its tags and sets its "
        "merchant and memo on every transaction already in the household that its "
        "conditions match, in one atomic change; transactions already as the rule says are "
        "not touched. Reconciled transactions are included: a rule changes none of what "
        "reconciliation locks. With dry_run nothing changes and the counts say what would."
    ),
)
def apply_rule(
    rule_id: uuid.UUID,
    context: WritableTenant,
    session: SessionDep,
    idempotency: IdempotencyKeyDep,
    body: RuleApply | None = None,
) -> Any:
    options = body or RuleApply()

    def produce() -> RuleApplyRead:
        result = rule_apply.apply_rule(
            session,
            **_scope(context),
            rule_id=rule_id,
            only_uncategorised=options.only_uncategorised,
            dry_run=options.dry_run,
        )
        return RuleApplyRead(**result.counts(), dry_run=result.dry_run)

    return idempotent(session, idempotency, context, status_code=200, produce=produce)


@router.patch("/rules/{rule_id}", response_model=RuleRead, tags=["rules"], summary="Change a rule")
def update_rule(
    rule_id: uuid.UUID, body: RuleUpdate, context: WritableTenant, session: SessionDep
) -> RuleRead:
    values: rules.RulePatch = {}
    given = body.model_fields_set
    if "name" in given and body.name is not None:
        values["name"] = body.name
    if "enabled" in given and body.enabled is not None:
        values["enabled"] = body.enabled
    if "stop_processing" in given and body.stop_processing is not None:
        values["stop_processing"] = body.stop_processing
    if "conditions" in given and body.conditions is not None:
        values["conditions"] = [c.model_dump(mode="json") for c in body.conditions]
    if "actions" in given and body.actions is not None:
        values["actions"] = body.actions.model_dump(mode="json", exclude_none=True)
    return rule_read(rules.update_rule(session, **_scope(context), rule_id=rule_id, values=values))


@router.delete("/rules/{rule_id}", status_code=NO_CONTENT, tags=["rules"], summary="Delete a rule")
def delete_rule(rule_id: uuid.UUID, context: WritableTenant, session: SessionDep) -> Response:
    rules.delete_rule(session, **_scope(context), rule_id=rule_id)
    return Response(status_code=NO_CONTENT)


# --- merchant aliases ------------------------------------------------------------------


def alias_reads(
    session: Session, context: TenantContext, found: list[MerchantAlias]
) -> list[AliasRead]:
    names = aliases.merchant_names(
        session, tenant_id=context.tenant_id, ids={a.merchant_id for a in found}
    )
    return [
        AliasRead(
            id=a.id,
            pattern=a.pattern,
            match=a.match,
            merchant_id=a.merchant_id,
            merchant_name=names.get(a.merchant_id),
            created_at=a.created_at,
        )
        for a in found
    ]


@router.get(
    "/merchant-aliases",
    response_model=list[AliasRead],
    tags=["merchant aliases"],
    summary="Payee texts that name a merchant",
)
def list_aliases(context: CurrentTenant, session: SessionDep) -> list[AliasRead]:
    return alias_reads(session, context, aliases.list_aliases(session, tenant_id=context.tenant_id))


@router.post(
    "/merchant-aliases",
    status_code=status.HTTP_201_CREATED,
    response_model=AliasRead,
    tags=["merchant aliases"],
    summary="Add a merchant alias",
)
def create_alias(body: AliasCreate, context: WritableTenant, session: SessionDep) -> AliasRead:
    alias = aliases.create_alias(
        session,
        **_scope(context),
        pattern=body.pattern,
        match=body.match,
        merchant_id=body.merchant_id,
        merchant=body.merchant,
    )
    return alias_reads(session, context, [alias])[0]


@router.get(
    "/merchant-aliases/{merchant_alias_id}",
    response_model=AliasRead,
    tags=["merchant aliases"],
    summary="One merchant alias",
)
def get_alias(
    merchant_alias_id: uuid.UUID, context: CurrentTenant, session: SessionDep
) -> AliasRead:
    alias = aliases.get_alias(session, tenant_id=context.tenant_id, alias_id=merchant_alias_id)
    return alias_reads(session, context, [alias])[0]


@router.patch(
    "/merchant-aliases/{merchant_alias_id}",
    response_model=AliasRead,
    tags=["merchant aliases"],
    summary="Change a merchant alias",
)
def update_alias(
    merchant_alias_id: uuid.UUID, body: AliasUpdate, context: WritableTenant, session: SessionDep
) -> AliasRead:
    alias = aliases.update_alias(
        session,
        **_scope(context),
        alias_id=merchant_alias_id,
        pattern=body.pattern,
        match=body.match,
        merchant_id=body.merchant_id,
        merchant=body.merchant,
    )
    return alias_reads(session, context, [alias])[0]


@router.delete(
    "/merchant-aliases/{merchant_alias_id}",
    status_code=NO_CONTENT,
    tags=["merchant aliases"],
    summary="Delete a merchant alias",
)
def delete_alias(
    merchant_alias_id: uuid.UUID, context: WritableTenant, session: SessionDep
) -> Response:
    aliases.delete_alias(session, **_scope(context), alias_id=merchant_alias_id)
    return Response(status_code=NO_CONTENT)
