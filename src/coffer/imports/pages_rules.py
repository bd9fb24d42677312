"""Pages for category rules: the list in the order they apply, a form to add or change a
rule (with a preview of the existing transactions it would match before it is saved),
moving a rule up or down, switching it off and on, and the transactions a saved rule
matches, and applying a saved rule to the transactions already in the ledger.

The rule form has one condition of each kind (payee, memo, amount range, accounts); a
rule made through the API with more conditions keeps the ones the form cannot show.

Applying to existing transactions takes two steps, so nothing changes by a stray
click: the first post only counts what would change (a dry run of the same service)
and shows it with a confirm button; the second, carrying confirm=yes, applies the rule
as saved and comes back to the rule with the count.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from coffer.core.money import from_minor
from coffer.errors import CofferError, NotFound, ValidationFailed
from coffer.imports import rule_apply
from coffer.imports import rules as rule_service
from coffer.imports.models import Rule
from coffer.imports.rules_engine import TEXT_OPS
from coffer.ledger import service as ledger
from coffer.ledger.models import Category
from coffer.tenancy.deps import PageTenant, TenantContext, WritablePageTenant
from coffer.web.csrf import verify_csrf
from coffer.web.deps import SessionDep
from coffer.web.forms import FormText, redirect
from coffer.web.templating import flash, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)

RULES_PATH = "/rules"
PREVIEW_LIMIT = 50
MATCHES_LIMIT = rule_service.MATCH_LIMIT

OP_WORDS = {
    "contains": "contains",
    "equals": "is exactly",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "regex": "matches the regular expression",
}
OP_OPTIONS = [(op, OP_WORDS[op]) for op in TEXT_OPS]

LABELS = {
    "name": "Name",
    "payee": "Payee text",
    "payee_op": "Payee",
    "memo_text": "Memo text",
    "memo_op": "Memo",
    "amount_min": "Smallest amount",
    "amount_max": "Largest amount",
    "account_ids": "Accounts",
    "category_id": "Set the category",
    "tag_ids": "Add tags",
    "set_merchant": "Set the merchant",
    "set_memo": "Set the memo",
}
ACTION_FIELDS = {
    "actions.category_id": "category_id",
    "actions.tag_ids": "tag_ids",
    "actions.merchant": "set_merchant",
    "actions.memo": "set_memo",
}
NO_CONDITION = "Say when the rule applies: give payee text, memo text, an amount or an account."
NO_ACTION = "Say what the rule does: choose a category, tags, a merchant or a memo."


# --- the form --------------------------------------------------------------------------


@dataclass
class RuleForm:
    name: str = ""
    payee_op: str = "contains"
    payee: str = ""
    memo_op: str = "contains"
    memo_text: str = ""
    amount_min: str = ""
    amount_max: str = ""
    account_ids: list[str] = field(default_factory=list)
    category_id: str = ""
    tag_ids: list[str] = field(default_factory=list)
    set_merchant: str = ""
    set_memo: str = ""
    enabled: bool = True
    stop_processing: bool = False

    def conditions(
        self, extras: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], dict[int, str]]:
        """The conditions to store, and which form field each one came from."""
        found: list[dict[str, Any]] = []
        where: dict[int, str] = {}

        def add(source: str, condition: dict[str, Any]) -> None:
            where[len(found)] = source
            found.append(condition)

        if self.payee.strip():
            add("payee", {"field": "payee", "op": self.payee_op, "value": self.payee.strip()})
        if self.memo_text.strip():
            add("memo", {"field": "memo", "op": self.memo_op, "value": self.memo_text.strip()})
        low, high = self.amount_min.strip(), self.amount_max.strip()
        if low or high:
            add(
                "amount",
                {"field": "amount", "op": "between", "min": low or None, "max": high or None},
            )
        if self.account_ids:
            add("account", {"field": "account", "op": "in", "value": list(self.account_ids)})
        for extra in extras:
            add("extra", extra)
        return found, where

    def actions(self) -> dict[str, Any]:
        actions: dict[str, Any] = {}
        if self.category_id.strip():
            actions["category_id"] = self.category_id.strip()
        if self.tag_ids:
            actions["tag_ids"] = list(self.tag_ids)
        if self.set_merchant.strip():
            actions["merchant"] = self.set_merchant.strip()
        if self.set_memo.strip():
            actions["memo"] = self.set_memo.strip()
        return actions


def rule_form(
    name: FormText = "",
    payee_op: FormText = "contains",
    payee: FormText = "",
    memo_op: FormText = "contains",
    memo_text: FormText = "",
    amount_min: FormText = "",
    amount_max: FormText = "",
    account_ids: Annotated[list[str] | None, Form()] = None,
    category_id: FormText = "",
    tag_ids: Annotated[list[str] | None, Form()] = None,
    set_merchant: FormText = "",
    set_memo: FormText = "",
    enabled: FormText = "",
    stop_processing: FormText = "",
) -> RuleForm:
    return RuleForm(
        name=name,
        payee_op=payee_op,
        payee=payee,
        memo_op=memo_op,
        memo_text=memo_text,
        amount_min=amount_min,
        amount_max=amount_max,
        account_ids=[a for a in account_ids or [] if a],
        category_id=category_id,
        tag_ids=[t for t in tag_ids or [] if t],
        set_merchant=set_merchant,
        set_memo=set_memo,
        enabled=bool(enabled),
        stop_processing=bool(stop_processing),
    )


RuleFormDep = Annotated[RuleForm, Depends(rule_form)]


def form_of(rule: Rule) -> tuple[RuleForm, list[dict[str, Any]]]:
    """A stored rule as the form shows it, and the conditions the form cannot show."""
    form = RuleForm(name=rule.name, enabled=rule.enabled, stop_processing=rule.stop_processing)
    extras: list[dict[str, Any]] = []
    seen: set[str] = set()
    for condition in rule.conditions:
        kind = condition.get("field", "")
        if kind in seen:
            extras.append(condition)
            continue
        seen.add(kind)
        if kind == "payee":
            form.payee_op, form.payee = condition["op"], condition["value"]
        elif kind == "memo":
            form.memo_op, form.memo_text = condition["op"], condition["value"]
        elif kind == "amount":
            form.amount_min = condition.get("min") or ""
            form.amount_max = condition.get("max") or ""
        elif kind == "account":
            form.account_ids = [str(v) for v in condition.get("value", [])]
        else:
            extras.append(condition)
    actions = rule.actions
    form.category_id = str(actions.get("category_id") or "")
    form.tag_ids = [str(t) for t in actions.get("tag_ids") or []]
    form.set_merchant = actions.get("merchant") or ""
    form.set_memo = actions.get("memo") or ""
    return form, extras


def form_errors(exc: CofferError, where: dict[int, str]) -> dict[str, str]:
    """A refused rule's messages by form field, each starting with the field's label."""
    found: dict[str, str] = {}
    problems = exc.errors or [{"field": "", "message": exc.detail}]
    for problem in problems:
        name, message = str(problem.get("field", "")), str(problem.get("message", ""))
        parts = name.split(".")
        target = ""
        if name == "conditions":
            message = NO_CONDITION if "at least one" in message else message
        elif name == "actions":
            message = NO_ACTION if "at least one" in message else message
        elif name in ACTION_FIELDS:
            target = ACTION_FIELDS[name]
        elif name == "name":
            target = "name"
        elif parts[0] == "conditions" and len(parts) > 1 and parts[1].isdigit():
            part = parts[2] if len(parts) > 2 else ""
            source = where.get(int(parts[1]), "")
            target = {
                "payee": "payee_op" if part == "op" else "payee",
                "memo": "memo_op" if part == "op" else "memo_text",
                "amount": "amount_max" if part == "max" else "amount_min",
                "account": "account_ids",
            }.get(source, "")
        if target:
            message = f"{LABELS[target]}: {message}"
        found.setdefault(target, message)
    return found


# --- words for what a rule says --------------------------------------------------------


@dataclass
class Names:
    accounts: dict[str, tuple[str, str]]  # id -> (name, currency)
    categories: dict[str, str]  # id -> "Parent › Child"
    tags: dict[str, str]

    @classmethod
    def load(cls, session: Session, tenant_id: uuid.UUID) -> Names:
        categories = ledger.list_categories(session, tenant_id=tenant_id)
        return cls(
            accounts={
                str(a.id): (a.name, a.currency)
                for a in ledger.list_accounts(session, tenant_id=tenant_id)
            },
            categories=_category_names(categories),
            tags={str(t.id): t.name for t in ledger.list_tags(session, tenant_id=tenant_id)},
        )


def _category_names(categories: list[Category]) -> dict[str, str]:
    by_id = {c.id: c for c in categories}
    names = {}
    for c in categories:
        parent = by_id.get(c.parent_id) if c.parent_id else None
        names[str(c.id)] = f"{parent.name} › {c.name}" if parent else c.name
    return names


def describe_condition(condition: dict[str, Any], names: Names) -> str:
    kind = condition.get("field")
    if kind in ("payee", "memo"):
        words = OP_WORDS.get(condition.get("op", ""), condition.get("op", ""))
        return f"{str(kind).capitalize()} {words} “{condition.get('value', '')}”"
    if kind == "amount":
        low, high = condition.get("min"), condition.get("max")
        if low is not None and high is not None:
            return f"Amount from {low} to {high}"
        if low is not None:
            return f"Amount at least {low}"
        return f"Amount at most {high}"
    if kind == "account":
        listed = [
            names.accounts.get(str(v), ("a deleted account", ""))[0] for v in condition["value"]
        ]
        return "Account is " + " or ".join(listed)
    return str(condition)


def describe_actions(actions: dict[str, Any], names: Names) -> list[str]:
    said = []
    if actions.get("category_id"):
        said.append(
            "Category: "
            + names.categories.get(str(actions["category_id"]), "a deleted category (none set)")
        )
    if actions.get("tag_ids"):
        tags = [names.tags.get(str(t), "a deleted tag") for t in actions["tag_ids"]]
        said.append("Tags: " + ", ".join(tags))
    if actions.get("merchant"):
        said.append(f"Merchant: {actions['merchant']}")
    if actions.get("memo"):
        said.append(f"Memo: {actions['memo']}")
    return said


@dataclass
class RuleRow:
    rule: Rule
    number: int
    conditions: list[str]
    actions: list[str]
    first: bool
    last: bool


def _rows(rules: list[Rule], names: Names) -> list[RuleRow]:
    return [
        RuleRow(
            rule=rule,
            number=index + 1,
            conditions=[describe_condition(c, names) for c in rule.conditions],
            actions=describe_actions(rule.actions, names),
            first=index == 0,
            last=index == len(rules) - 1,
        )
        for index, rule in enumerate(rules)
    ]


def match_rows(found: rule_service.RuleMatches, names: Names) -> list[dict[str, Any]]:
    rows = []
    for txn in found.items:
        account, currency = names.accounts[str(txn.account_id)]
        rows.append(
            {
                "id": txn.id,
                "posted_on": txn.posted_on,
                "account": account,
                "payee": txn.payee or "",
                "memo": txn.memo or "",
                "category": names.categories.get(str(txn.category_id)) if txn.category_id else None,
                "amount": from_minor(txn.amount_minor, currency),
                "currency": currency,
                "split": txn.is_split,
            }
        )
    return rows


# --- the list --------------------------------------------------------------------------


@router.get(RULES_PATH, response_class=HTMLResponse)
def rules_page(request: Request, ctx: PageTenant, session: SessionDep) -> HTMLResponse:
    rules = rule_service.list_rules(session, tenant_id=ctx.tenant_id)
    names = Names.load(session, ctx.tenant_id)
    return render(
        request,
        "imports/rules/list.html",
        {
            "active_nav": "rules",
            "can_write": ctx.role.can_write,
            "role": ctx.role,
            "rows": _rows(rules, names),
        },
    )


# --- the form --------------------------------------------------------------------------


def _form_page(
    request: Request,
    session: Session,
    ctx: TenantContext,
    *,
    rule: Rule | None,
    form: RuleForm,
    extras: list[dict[str, Any]],
    errors: dict[str, str] | None = None,
    preview: rule_service.RuleMatches | None = None,
    apply: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The rule form; `apply` (the counts of a dry run, and the choice made) shows the
    step that asks to confirm applying the rule to existing transactions."""
    names = Names.load(session, ctx.tenant_id)
    categories = ledger.list_categories(session, tenant_id=ctx.tenant_id)
    category_options = [("", "Leave the category as it is")] + [
        (str(c.id), f"{names.categories[str(c.id)]} ({c.kind})") for c in categories
    ]
    return render(
        request,
        "imports/rules/form.html",
        {
            "active_nav": "rules",
            "rule": rule,
            "form": form,
            "errors": errors or {},
            "extras": [describe_condition(c, names) for c in extras],
            "op_options": OP_OPTIONS,
            "accounts": [(i, name) for i, (name, _c) in names.accounts.items()],
            "category_options": category_options,
            "tags": list(names.tags.items()),
            "preview": match_rows(preview, names) if preview is not None else None,
            "preview_complete": preview.complete if preview is not None else True,
            "preview_scanned": preview.scanned if preview is not None else 0,
            "preview_limit": PREVIEW_LIMIT,
            "row": _rows([rule], names)[0] if rule is not None else None,
            "apply": apply,
            "category_name": names.categories.get(str(rule.actions.get("category_id")))
            if rule is not None
            else None,
            "tag_names": [
                names.tags[str(t)]
                for t in rule.actions.get("tag_ids") or []
                if str(t) in names.tags
            ]
            if rule is not None
            else [],
        },
        status_code=status_code,
    )


@router.get(RULES_PATH + "/new", response_class=HTMLResponse)
def new_rule(request: Request, ctx: WritablePageTenant, session: SessionDep) -> HTMLResponse:
    return _form_page(request, session, ctx, rule=None, form=RuleForm(), extras=[])


@router.post(RULES_PATH, response_class=HTMLResponse)
def create_rule(
    request: Request, ctx: WritablePageTenant, session: SessionDep, form: RuleFormDep
) -> Response:
    conditions, where = form.conditions([])
    try:
        with session.begin_nested():
            rule = rule_service.create_rule(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                name=form.name,
                conditions=conditions,
                actions=form.actions(),
                enabled=form.enabled,
                stop_processing=form.stop_processing,
            )
    except (ValidationFailed, NotFound) as exc:
        return _form_page(
            request,
            session,
            ctx,
            rule=None,
            form=form,
            extras=[],
            errors=form_errors(exc, where),
            status_code=422,
        )
    flash(request, "success", f"The rule “{rule.name}” is saved; it applies to future imports.")
    return redirect(f"{RULES_PATH}#rule-{rule.id}")


@router.post(RULES_PATH + "/test", response_class=HTMLResponse)
def preview_rule(
    request: Request,
    ctx: WritablePageTenant,
    session: SessionDep,
    form: RuleFormDep,
    rule_id: FormText = "",
) -> HTMLResponse:
    """The form again, with the existing transactions its conditions match; nothing is
    saved. `rule_id` keeps the form editing that rule."""
    rule = None
    if rule_id.strip():
        try:
            wanted = uuid.UUID(rule_id.strip())
        except ValueError as exc:
            raise NotFound("No rule with this id in this household.") from exc
        rule = rule_service.get_rule(session, tenant_id=ctx.tenant_id, rule_id=wanted)
    extras = form_of(rule)[1] if rule is not None else []
    conditions, where = form.conditions(extras)
    try:
        with session.begin_nested():
            # Checks ids too, as saving would; the conditions alone decide the matches.
            rule_service.checked(
                session, ctx.tenant_id, conditions, form.actions() or {"memo": "-"}
            )
            found = rule_service.rule_matches(
                session, tenant_id=ctx.tenant_id, conditions=conditions, limit=PREVIEW_LIMIT
            )
    except (ValidationFailed, NotFound) as exc:
        return _form_page(
            request,
            session,
            ctx,
            rule=rule,
            form=form,
            extras=extras,
            errors=form_errors(exc, where),
            status_code=422,
        )
    return _form_page(request, session, ctx, rule=rule, form=form, extras=extras, preview=found)


@router.get(RULES_PATH + "/{rule_id}", response_class=HTMLResponse)
def rule_page(
    request: Request, rule_id: uuid.UUID, ctx: PageTenant, session: SessionDep
) -> HTMLResponse:
    rule = rule_service.get_rule(session, tenant_id=ctx.tenant_id, rule_id=rule_id)
    if not ctx.role.can_write:
        names = Names.load(session, ctx.tenant_id)
        return render(
            request,
            "imports/rules/detail.html",
            {"active_nav": "rules", "row": _rows([rule], names)[0], "role": ctx.role},
        )
    form, extras = form_of(rule)
    return _form_page(request, session, ctx, rule=rule, form=form, extras=extras)


@router.post(RULES_PATH + "/{rule_id}", response_class=HTMLResponse)
def update_rule(
    request: Request,
    rule_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    form: RuleFormDep,
) -> Response:
    rule = rule_service.get_rule(session, tenant_id=ctx.tenant_id, rule_id=rule_id)
    extras = form_of(rule)[1]
    conditions, where = form.conditions(extras)
    values: rule_service.RulePatch = {
        "name": form.name,
        "enabled": form.enabled,
        "stop_processing": form.stop_processing,
        "conditions": conditions,
        "actions": form.actions(),
    }
    try:
        with session.begin_nested():
            saved = rule_service.update_rule(
                session,
                tenant_id=ctx.tenant_id,
                actor_id=ctx.user.id,
                rule_id=rule_id,
                values=values,
            )
    except (ValidationFailed, NotFound) as exc:
        session.expire(rule)  # the form shows what was typed; the rule is as stored
        return _form_page(
            request,
            session,
            ctx,
            rule=rule,
            form=form,
            extras=extras,
            errors=form_errors(exc, where),
            status_code=422,
        )
    flash(request, "success", f"The rule “{saved.name}” is saved.")
    return redirect(f"{RULES_PATH}#rule-{saved.id}")


@router.post(RULES_PATH + "/{rule_id}/move")
def move_rule(
    request: Request,
    rule_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    direction: FormText = "",
) -> Response:
    rule = rule_service.get_rule(session, tenant_id=ctx.tenant_id, rule_id=rule_id)
    ids = [r.id for r in rule_service.list_rules(session, tenant_id=ctx.tenant_id)]
    here = ids.index(rule.id)
    there = here - 1 if direction == "up" else here + 1 if direction == "down" else here
    if there == here or not 0 <= there < len(ids):
        flash(request, "info", f"“{rule.name}” is already {'first' if here == 0 else 'last'}.")
        return redirect(f"{RULES_PATH}#rule-{rule.id}")
    ids[here], ids[there] = ids[there], ids[here]
    rule_service.reorder_rules(session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, ids=ids)
    flash(request, "success", f"“{rule.name}” is now rule {there + 1} of {len(ids)}.")
    return redirect(f"{RULES_PATH}#rule-{rule.id}")


@router.post(RULES_PATH + "/{rule_id}/enabled")
def switch_rule(
    request: Request,
    rule_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    enabled: FormText = "",
) -> Response:
    on = enabled == "yes"
    rule = rule_service.update_rule(
        session,
        tenant_id=ctx.tenant_id,
        actor_id=ctx.user.id,
        rule_id=rule_id,
        values={"enabled": on},
    )
    state = "on: it applies to future imports" if on else "off until you switch it on again"
    flash(request, "success", f"“{rule.name}” is {state}.")
    return redirect(f"{RULES_PATH}#rule-{rule.id}")


@router.post(RULES_PATH + "/{rule_id}/delete")
def delete_rule(
    request: Request, rule_id: uuid.UUID, ctx: WritablePageTenant, session: SessionDep
) -> Response:
    rule = rule_service.get_rule(session, tenant_id=ctx.tenant_id, rule_id=rule_id)
    name = rule.name
    rule_service.delete_rule(
        session, tenant_id=ctx.tenant_id, actor_id=ctx.user.id, rule_id=rule_id
    )
    flash(
        request,
        "success",
        f"The rule “{name}” is deleted; transactions it categorised keep their category.",
    )
    return redirect(RULES_PATH)


def _count_text(count: int) -> str:
    return f"{count} transaction" if count == 1 else f"{count} transactions"


@router.post(RULES_PATH + "/{rule_id}/apply", response_class=HTMLResponse)
def apply_rule(
    request: Request,
    rule_id: uuid.UUID,
    ctx: WritablePageTenant,
    session: SessionDep,
    only_uncategorised: FormText = "",
    confirm: FormText = "",
) -> Response:
    """Without confirm, the rule page with what applying would change; with it, apply."""
    rule = rule_service.get_rule(session, tenant_id=ctx.tenant_id, rule_id=rule_id)
    only = only_uncategorised.strip().lower() in ("on", "yes", "1", "true")
    confirmed = confirm.strip().lower() == "yes"
    result = rule_apply.apply_rule(
        session,
        tenant_id=ctx.tenant_id,
        actor_id=ctx.user.id,
        rule_id=rule.id,
        only_uncategorised=only,
        dry_run=not confirmed,
    )
    if not confirmed:
        form, extras = form_of(rule)
        return _form_page(
            request,
            session,
            ctx,
            rule=rule,
            form=form,
            extras=extras,
            apply={"result": result, "only_uncategorised": only},
        )
    if result.changed:
        message = f"“{rule.name}” is applied: {_count_text(result.changed)} changed."
    else:
        message = f"“{rule.name}” changed nothing: every transaction it matches is already so."
    if result.skipped_split:
        message += (
            f" {_count_text(result.skipped_split)} split into parts kept the categories"
            " on their lines."
        )
    flash(request, "success", message)
    return redirect(f"{RULES_PATH}/{rule.id}")


@router.get(RULES_PATH + "/{rule_id}/matches", response_class=HTMLResponse)
def rule_matches(
    request: Request, rule_id: uuid.UUID, ctx: PageTenant, session: SessionDep
) -> HTMLResponse:
    rule = rule_service.get_rule(session, tenant_id=ctx.tenant_id, rule_id=rule_id)
    found = rule_service.stored_rule_matches(
        session, tenant_id=ctx.tenant_id, rule_id=rule_id, limit=MATCHES_LIMIT
    )
    names = Names.load(session, ctx.tenant_id)
    return render(
        request,
        "imports/rules/matches.html",
        {
            "active_nav": "rules",
            "can_write": ctx.role.can_write,
            "row": _rows([rule], names)[0],
            "matches": match_rows(found, names),
            "complete": found.complete,
            "scanned": found.scanned,
            "limit": MATCHES_LIMIT,
        },
    )
