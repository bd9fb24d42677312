"""Category rules: create, change, reorder, delete, and find the transactions a rule
would match (the rule page). What conditions and actions mean: rules_engine.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coffer.audit.service import changes, record
from coffer.core.money import currency
from coffer.errors import NotFound, field_error
from coffer.imports.models import Rule
from coffer.imports.rules_engine import RuleEngine, RuleSpec, check_actions, check_conditions
from coffer.ledger.models import Account, Category, LedgerTransaction, Tag

NAME_MAX = 100
MAX_RULES = 500
MATCH_LIMIT = 200
SCAN_LIMIT = 50_000


class RulePatch(TypedDict, total=False):
    name: str
    enabled: bool
    stop_processing: bool
    conditions: list[dict[str, Any]]
    actions: dict[str, Any]


def _snapshot(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "position": rule.position,
        "enabled": rule.enabled,
        "stop_processing": rule.stop_processing,
        "conditions": rule.conditions,
        "actions": rule.actions,
    }


def _audit(
    session: Session, action: str, actor_id: uuid.UUID | None, rule: Rule, **values: Any
) -> None:
    record(
        session,
        action=action,
        actor_id=actor_id,
        tenant_id=rule.tenant_id,
        entity_type="rule",
        entity_id=rule.id,
        **values,
    )


def _name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise field_error("name", "must not be empty")
    if len(cleaned) > NAME_MAX:
        raise field_error("name", f"must be at most {NAME_MAX} characters")
    return cleaned


def _exist(session: Session, model: Any, tenant_id: uuid.UUID, ids: set[str], field: str) -> None:
    if not ids:
        return
    wanted = {uuid.UUID(i) for i in ids}
    found = set(
        session.scalars(select(model.id).where(model.tenant_id == tenant_id, model.id.in_(wanted)))
    )
    if found != wanted:
        raise NotFound(
            f"{field}: No such item in this household.",
            errors=[{"field": field, "message": "no such item in this household"}],
        )


def checked(
    session: Session, tenant_id: uuid.UUID, conditions: Any, actions: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Conditions and actions in stored form, their ids all of this household."""
    conds, acts = check_conditions(conditions), check_actions(actions)
    accounts = {i for c in conds if c["field"] == "account" for i in c["value"]}
    _exist(session, Account, tenant_id, accounts, "conditions")
    if "category_id" in acts:
        _exist(session, Category, tenant_id, {acts["category_id"]}, "actions.category_id")
    _exist(session, Tag, tenant_id, set(acts.get("tag_ids", [])), "actions.tag_ids")
    return conds, acts


def get_rule(session: Session, *, tenant_id: uuid.UUID, rule_id: uuid.UUID) -> Rule:
    rule = session.scalar(select(Rule).where(Rule.tenant_id == tenant_id, Rule.id == rule_id))
    if rule is None:
        raise NotFound("No rule with this id in this household.")
    return rule


def list_rules(session: Session, *, tenant_id: uuid.UUID) -> list[Rule]:
    return list(
        session.scalars(
            select(Rule)
            .where(Rule.tenant_id == tenant_id)
            .order_by(Rule.position, Rule.created_at, Rule.id)
        )
    )


def create_rule(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    name: str,
    conditions: list[dict[str, Any]],
    actions: dict[str, Any],
    enabled: bool = True,
    stop_processing: bool = False,
) -> Rule:
    """A new rule, placed after every existing one."""
    cleaned = _name(name)
    conds, acts = checked(session, tenant_id, conditions, actions)
    count, last = session.execute(
        select(func.count(), func.max(Rule.position)).where(Rule.tenant_id == tenant_id)
    ).one()
    if count >= MAX_RULES:
        raise field_error("name", f"a household has at most {MAX_RULES} rules")
    rule = Rule(
        tenant_id=tenant_id,
        position=(last + 1) if last is not None else 0,
        name=cleaned,
        enabled=enabled,
        stop_processing=stop_processing,
        conditions=conds,
        actions=acts,
    )
    session.add(rule)
    session.flush()
    _audit(session, "rule.created", actor_id, rule, new=_snapshot(rule))
    return rule


def update_rule(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    rule_id: uuid.UUID,
    values: RulePatch,
) -> Rule:
    rule = get_rule(session, tenant_id=tenant_id, rule_id=rule_id)
    before = _snapshot(rule)
    if "name" in values:
        rule.name = _name(values["name"])
    if "enabled" in values:
        rule.enabled = bool(values["enabled"])
    if "stop_processing" in values:
        rule.stop_processing = bool(values["stop_processing"])
    if "conditions" in values or "actions" in values:
        conds, acts = checked(
            session,
            tenant_id,
            values.get("conditions", rule.conditions),
            values.get("actions", rule.actions),
        )
        rule.conditions, rule.actions = conds, acts
    session.flush()
    old, new = changes(before, _snapshot(rule))
    if new:
        _audit(session, "rule.updated", actor_id, rule, old=old, new=new)
    return rule


def delete_rule(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, rule_id: uuid.UUID
) -> None:
    rule = get_rule(session, tenant_id=tenant_id, rule_id=rule_id)
    _audit(session, "rule.deleted", actor_id, rule, old=_snapshot(rule))
    session.delete(rule)
    session.flush()


def reorder_rules(
    session: Session, *, tenant_id: uuid.UUID, actor_id: uuid.UUID | None, ids: Sequence[uuid.UUID]
) -> list[Rule]:
    """Put the household's rules in the order given: every rule, each once."""
    rules = list_rules(session, tenant_id=tenant_id)
    by_id = {rule.id: rule for rule in rules}
    if len(ids) != len(set(ids)) or set(ids) != set(by_id):
        raise field_error("ids", "list every rule of the household exactly once")
    before = [str(rule.id) for rule in rules]
    for position, rule_id in enumerate(ids):
        by_id[rule_id].position = position
    session.flush()
    record(
        session,
        action="rule.reordered",
        actor_id=actor_id,
        tenant_id=tenant_id,
        entity_type="rule",
        old={"order": before},
        new={"order": [str(i) for i in ids]},
    )
    return [by_id[i] for i in ids]


# --- the rule page --------------------------------------------------------------------


@dataclass
class RuleMatches:
    items: list[LedgerTransaction]
    scanned: int
    complete: bool  # False when SCAN_LIMIT transactions were looked at before the end


def prefilter(conditions: Sequence[dict[str, Any]]) -> list[Any]:
    """SQL that keeps at least every row the rule matches (Python decides exactly)."""
    txn = LedgerTransaction
    where: list[Any] = []
    for condition in conditions:
        field, op = condition["field"], condition["op"]
        if field in ("payee", "memo") and op != "regex":
            column = func.lower(txn.payee if field == "payee" else txn.memo)
            for word in str(condition["value"]).casefold().split():
                where.append(column.contains(word, autoescape=True))
        elif field == "account":
            where.append(txn.account_id.in_([uuid.UUID(v) for v in condition["value"]]))
    return where


def rule_matches(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    conditions: Sequence[dict[str, Any]],
    actions: dict[str, Any] | None = None,
    limit: int = 50,
) -> RuleMatches:
    """Existing transactions (newest first) whose payee, memo, amount and account the
    conditions match, looking at up to SCAN_LIMIT of the most recent candidates."""
    if not 1 <= limit <= MATCH_LIMIT:
        raise field_error("limit", f"must be between 1 and {MATCH_LIMIT}")
    conditions = check_conditions(list(conditions))
    spec = RuleSpec(uuid.uuid4(), conditions, actions or {"memo": "-"})
    currencies = dict(
        session.execute(
            select(Account.id, Account.currency).where(Account.tenant_id == tenant_id)
        ).all()
    )
    engines: dict[uuid.UUID, RuleEngine] = {}
    txn = LedgerTransaction
    query = (
        select(txn)
        .where(txn.tenant_id == tenant_id, *prefilter(conditions))
        .order_by(txn.posted_on.desc(), txn.id.desc())
        .limit(SCAN_LIMIT)
    )
    items: list[LedgerTransaction] = []
    scanned = 0
    for row in session.scalars(query.execution_options(yield_per=1000)):
        scanned += 1
        engine = engines.get(row.account_id)
        if engine is None:
            engine = engines[row.account_id] = RuleEngine(
                [spec],
                account_id=row.account_id,
                minor_units=currency(currencies[row.account_id]).minor_units,
            )
        if engine.apply(row.payee or "", row.memo or "", row.amount_minor) is not None:
            items.append(row)
            if len(items) >= limit:
                break
    return RuleMatches(items, scanned, scanned < SCAN_LIMIT or len(items) >= limit)


def stored_rule_matches(
    session: Session, *, tenant_id: uuid.UUID, rule_id: uuid.UUID, limit: int = 50
) -> RuleMatches:
    rule = get_rule(session, tenant_id=tenant_id, rule_id=rule_id)
    return rule_matches(
        session, tenant_id=tenant_id, conditions=rule.conditions, actions=rule.actions, limit=limit
    )
