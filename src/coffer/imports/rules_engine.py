"""Category rules: what their conditions and actions may say, and the compiled engine that
applies fifty of them to a million rows at little cost per row.

A rule's conditions all have to hold (AND); a list of them is stored as JSON:

    {"field": "payee", "op": "contains", "value": "tesco"}
    {"field": "memo", "op": "regex", "value": "^dd "}
    {"field": "amount", "op": "between", "min": "-50.00", "max": "-10.00"}   (either bound)
    {"field": "account", "op": "in", "value": ["<account id>", ...]}

Text operators are contains, equals, starts_with, ends_with and regex (a search); text is
compared without regard to case, with runs of spaces read as one space. Amounts are in
the account's currency, signed (money out is negative), bounds inclusive.

Actions: {"category_id", "tag_ids", "merchant", "memo"}, any of them.

Semantics, in rule order (position), enabled rules only:
- every rule whose conditions all hold matches;
- the category, the merchant and the memo each come from the first matching rule that
  sets them (a later rule cannot overwrite them);
- tags accumulate from every matching rule;
- a matching rule with `stop_processing` ends the evaluation: later rules do not apply.

Speed: regular expressions are compiled once per import; text conditions are evaluated
once per distinct payee (and memo) and the result kept as a bit mask of the rules that
passed, so a row costs a dictionary lookup and the amount checks of the few candidate
rules. Patterns that nest quantifiers ("(a+)+"), the usual cause of catastrophic
backtracking, are refused when a rule is saved.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from coffer.errors import ValidationFailed
from coffer.imports.fingerprint import normalise_text

TEXT_FIELDS = ("payee", "memo")
TEXT_OPS = ("contains", "equals", "starts_with", "ends_with", "regex")
MAX_CONDITIONS = 20
MAX_TEXT = 200
MAX_ACCOUNTS = 50
MAX_TAGS = 20
MERCHANT_MAX = 200
MEMO_MAX = 2000
CACHE_LIMIT = 50_000
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


# --- checking what is stored -----------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "message": message})

    def raise_if_any(self) -> None:
        if self.errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in self.errors)
            raise ValidationFailed(detail, errors=self.errors)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def check_conditions(raw: Any) -> list[dict[str, Any]]:
    """The conditions in their stored form, or ValidationFailed naming each problem."""
    problems = _Problems()
    if not isinstance(raw, list) or not raw:
        problems.add("conditions", "give at least one condition")
        problems.raise_if_any()
    if len(raw) > MAX_CONDITIONS:
        problems.add("conditions", f"at most {MAX_CONDITIONS} conditions")
        problems.raise_if_any()
    checked: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        where = f"conditions.{index}"
        if not isinstance(item, Mapping):
            problems.add(where, "must be an object")
            continue
        found = _check_condition(item, where, problems)
        if found is not None:
            checked.append(found)
    problems.raise_if_any()
    return checked


def _check_condition(
    item: Mapping[str, Any], where: str, problems: _Problems
) -> dict[str, Any] | None:
    field, op = item.get("field"), item.get("op")
    if field in TEXT_FIELDS:
        value = item.get("value")
        if op not in TEXT_OPS:
            problems.add(f"{where}.op", f"must be one of {', '.join(TEXT_OPS)}")
            return None
        if not isinstance(value, str) or not value.strip():
            problems.add(f"{where}.value", "must be some text")
            return None
        if len(value) > MAX_TEXT:
            problems.add(f"{where}.value", f"at most {MAX_TEXT} characters")
            return None
        if op == "regex":
            message = regex_problem(value)
            if message:
                problems.add(f"{where}.value", message)
                return None
        return {"field": field, "op": op, "value": value}
    if field == "amount":
        if op != "between":
            problems.add(f"{where}.op", "an amount condition's op is between")
            return None
        low, high = item.get("min"), item.get("max")
        low_d, high_d = _decimal(low), _decimal(high)
        if low is not None and low_d is None:
            problems.add(f"{where}.min", "must be a decimal amount")
        if high is not None and high_d is None:
            problems.add(f"{where}.max", "must be a decimal amount")
        if low_d is None and high_d is None:
            if low is None and high is None:
                problems.add(where, "give min, max or both")
            return None
        if low_d is not None and high_d is not None and low_d > high_d:
            problems.add(f"{where}.min", "must not be more than max")
            return None
        return {
            "field": "amount",
            "op": "between",
            "min": str(low_d) if low_d is not None else None,
            "max": str(high_d) if high_d is not None else None,
        }
    if field == "account":
        values = item.get("value")
        if op != "in":
            problems.add(f"{where}.op", "an account condition's op is in")
            return None
        ids = _uuids(values)
        if ids is None or not ids or len(ids) > MAX_ACCOUNTS:
            problems.add(f"{where}.value", f"must be a list of 1 to {MAX_ACCOUNTS} account ids")
            return None
        return {"field": "account", "op": "in", "value": [str(i) for i in ids]}
    problems.add(f"{where}.field", "must be payee, memo, amount or account")
    return None


def regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"not a regular expression: {exc}"
    if _NESTED_QUANTIFIER.search(pattern):
        return "nested repetition such as (a+)+ can take forever to match; simplify it"
    return None


def _uuids(values: Any) -> list[uuid.UUID] | None:
    if not isinstance(values, list):
        return None
    found = []
    for value in values:
        try:
            found.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            return None
    return list(dict.fromkeys(found))


def check_actions(raw: Any) -> dict[str, Any]:
    """The actions in their stored form (ids as strings), or ValidationFailed."""
    problems = _Problems()
    if not isinstance(raw, Mapping):
        problems.add("actions", "must be an object")
        problems.raise_if_any()
    unknown = sorted(set(raw) - {"category_id", "tag_ids", "merchant", "memo"})
    for key in unknown:
        problems.add(f"actions.{key}", "not an action; use category_id, tag_ids, merchant, memo")
    checked: dict[str, Any] = {}
    if raw.get("category_id") is not None:
        ids = _uuids([raw["category_id"]])
        if ids is None:
            problems.add("actions.category_id", "must be a category id")
        else:
            checked["category_id"] = str(ids[0])
    if raw.get("tag_ids"):
        ids = _uuids(raw["tag_ids"])
        if ids is None or len(ids) > MAX_TAGS:
            problems.add("actions.tag_ids", f"must be a list of at most {MAX_TAGS} tag ids")
        else:
            checked["tag_ids"] = [str(i) for i in ids]
    for key, limit in (("merchant", MERCHANT_MAX), ("memo", MEMO_MAX)):
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            problems.add(f"actions.{key}", "must be some text")
        elif len(value.strip()) > limit:
            problems.add(f"actions.{key}", f"at most {limit} characters")
        else:
            checked[key] = value.strip()
    if not checked and not problems.errors:
        problems.add("actions", "give at least one action: category_id, tag_ids, merchant or memo")
    problems.raise_if_any()
    return checked


# --- the compiled engine ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A stored rule, as the engine reads it."""

    id: uuid.UUID
    conditions: Sequence[Mapping[str, Any]]
    actions: Mapping[str, Any]
    stop_processing: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    rule_ids: tuple[uuid.UUID, ...]
    category_id: uuid.UUID | None
    tag_ids: tuple[uuid.UUID, ...]
    merchant: str | None
    memo: str | None
    # The rule that set the category, for the preview's "why".
    category_rule_id: uuid.UUID | None = None


class _TextIndex:
    """The text conditions of every rule on one field, evaluated together.

    `mask(text)` is the bit mask of the rules whose conditions on this field all hold
    (rules without any are always in it). Literal conditions are plain string
    operations in one loop, without a function call each; regular expressions are tried
    one by one only when their alternation matches at all, which most payees do not.
    """

    def __init__(self, per_rule: Sequence[Sequence[tuple[str, str]]]) -> None:
        self.free = 0
        self._rules = 0
        self._equals: dict[str, int] = {}
        self._contains: dict[str, int] = {}
        self._starts: dict[str, int] = {}
        self._ends: dict[str, int] = {}
        self._regexes: list[tuple[re.Pattern[str], int]] = []
        self._multi: list[tuple[int, int]] = []  # (rule bit, bits of all its conditions)
        extra = len(per_rule)
        for bit, conditions in enumerate(per_rule):
            self._rules |= 1 << bit
            if not conditions:
                self.free |= 1 << bit
                continue
            bits = [1 << bit]
            if len(conditions) > 1:
                bits = [1 << (extra + k) for k in range(len(conditions))]
                extra += len(conditions)
                self._multi.append((1 << bit, sum(bits)))
            for (op, value), flag in zip(conditions, bits, strict=True):
                self._add(op, value, flag)
        self._contains_items = tuple(self._contains.items())
        self._starts_items = tuple(self._starts.items())
        self._ends_items = tuple(self._ends.items())
        self._any_regex = _alternation([p for p, _ in self._regexes])

    def _add(self, op: str, value: str, flag: int) -> None:
        if op == "regex":
            self._regexes.append((re.compile(value, re.IGNORECASE), flag))
            return
        needle = normalise_text(value)
        table = {
            "equals": self._equals,
            "contains": self._contains,
            "starts_with": self._starts,
            "ends_with": self._ends,
        }[op]
        table[needle] = table.get(needle, 0) | flag

    def mask(self, text: str) -> int:
        found = self._equals.get(text, 0)
        for needle, flag in self._contains_items:
            if needle in text:
                found |= flag
        for needle, flag in self._starts_items:
            if text.startswith(needle):
                found |= flag
        for needle, flag in self._ends_items:
            if text.endswith(needle):
                found |= flag
        if self._regexes and (self._any_regex is None or self._any_regex.search(text)):
            for pattern, flag in self._regexes:
                if pattern.search(text):
                    found |= flag
        for rule, every in self._multi:
            if found & every == every:
                found |= rule
        return (found & self._rules) | self.free


def _alternation(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern matching wherever any of `patterns` does; None when they cannot be
    joined faithfully (back-references would be renumbered, inline flags misplaced)."""
    if not patterns:
        return None
    sources = [p.pattern for p in patterns]
    if any(re.search(r"\\\d|\(\?P=|\(\?[aiLmsux]", source) for source in sources):
        return None
    try:
        return re.compile("|".join(f"(?:{source})" for source in sources), re.IGNORECASE)
    except re.error:
        return None


@dataclass(slots=True)
class _Compiled:
    id: uuid.UUID
    payee: list[tuple[str, str]]
    memo: list[tuple[str, str]]
    low: int | None
    high: int | None
    category_id: uuid.UUID | None
    tag_ids: tuple[uuid.UUID, ...]
    merchant: str | None
    memo_action: str | None
    stop: bool


def _bound(value: Any, minor_units: int, rounding: str) -> int | None:
    number = _decimal(value)
    if number is None:
        return None
    return int(number.scaleb(minor_units).to_integral_value(rounding=rounding))


class RuleEngine:
    """The enabled rules of a household, compiled for imports into one account."""

    def __init__(
        self,
        rules: Iterable[RuleSpec],
        *,
        account_id: uuid.UUID | None,
        minor_units: int,
        known_categories: set[uuid.UUID] | None = None,
        known_tags: set[uuid.UUID] | None = None,
    ) -> None:
        self._rules: list[_Compiled] = []
        for spec in rules:
            compiled = self._compile(spec, account_id, minor_units, known_categories, known_tags)
            if compiled is not None:
                self._rules.append(compiled)
        self._payee_index = _TextIndex([rule.payee for rule in self._rules])
        self._memo_index = _TextIndex([rule.memo for rule in self._rules])
        self._uses_memo = any(rule.memo for rule in self._rules)
        self._payee_masks: dict[str, int] = {}
        self._memo_masks: dict[str, int] = {}
        self._candidates: dict[int, tuple[_Compiled, ...]] = {}
        self._outcomes: dict[tuple[int, int], Outcome | None] = {}

    def __len__(self) -> int:
        return len(self._rules)

    @staticmethod
    def _compile(
        spec: RuleSpec,
        account_id: uuid.UUID | None,
        minor_units: int,
        known_categories: set[uuid.UUID] | None,
        known_tags: set[uuid.UUID] | None,
    ) -> _Compiled | None:
        payee: list[tuple[str, str]] = []
        memo: list[tuple[str, str]] = []
        low: int | None = None
        high: int | None = None
        for condition in spec.conditions:
            field = condition.get("field")
            if field in TEXT_FIELDS:
                test = (str(condition["op"]), str(condition["value"]))
                (payee if field == "payee" else memo).append(test)
            elif field == "amount":
                floor = _bound(condition.get("min"), minor_units, ROUND_CEILING)
                ceiling = _bound(condition.get("max"), minor_units, ROUND_FLOOR)
                low = floor if low is None or (floor is not None and floor > low) else low
                high = ceiling if high is None or (ceiling is not None and ceiling < high) else high
            elif field == "account":
                wanted = {str(v) for v in condition.get("value", [])}
                if account_id is None or str(account_id) not in wanted:
                    return None  # can never match in this account
        actions = spec.actions
        category = _uuid_or_none(actions.get("category_id"))
        if (
            category is not None
            and known_categories is not None
            and category not in known_categories
        ):
            category = None  # deleted since the rule was saved
        tags = tuple(
            t
            for t in (_uuid_or_none(v) for v in actions.get("tag_ids") or ())
            if t is not None and (known_tags is None or t in known_tags)
        )
        return _Compiled(
            id=spec.id,
            payee=payee,
            memo=memo,
            low=low,
            high=high,
            category_id=category,
            tag_ids=tags,
            merchant=actions.get("merchant") or None,
            memo_action=actions.get("memo") or None,
            stop=spec.stop_processing,
        )

    @staticmethod
    def _mask(cache: dict[str, int], text: str, index: _TextIndex) -> int:
        mask = cache.get(text)
        if mask is None:
            mask = index.mask(normalise_text(text))
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[text] = mask
        return mask

    def apply(self, payee: str, memo: str, amount_minor: int) -> Outcome | None:
        """What the rules do to this row, or None when none matches."""
        if not self._rules:
            return None
        mask = self._payee_masks.get(payee)
        if mask is None:
            mask = self._mask(self._payee_masks, payee, self._payee_index)
        if self._uses_memo and mask:
            mask &= self._mask(self._memo_masks, memo, self._memo_index)
        if not mask:
            return None
        candidates = self._candidates.get(mask)
        if candidates is None:
            candidates = self._candidates[mask] = tuple(
                rule for bit, rule in enumerate(self._rules) if mask >> bit & 1
            )
        passed = 0
        for bit, rule in enumerate(candidates):
            if (rule.low is None or amount_minor >= rule.low) and (
                rule.high is None or amount_minor <= rule.high
            ):
                passed |= 1 << bit
        if not passed:
            return None
        key = (mask, passed)
        if key in self._outcomes:
            return self._outcomes[key]
        outcome = _combine([rule for bit, rule in enumerate(candidates) if passed >> bit & 1])
        if len(self._outcomes) >= CACHE_LIMIT:
            self._outcomes.clear()
        self._outcomes[key] = outcome
        return outcome


def _combine(matching: list[_Compiled]) -> Outcome:
    rule_ids: list[uuid.UUID] = []
    category: uuid.UUID | None = None
    category_rule: uuid.UUID | None = None
    tags: dict[uuid.UUID, None] = {}
    merchant: str | None = None
    memo: str | None = None
    for rule in matching:
        rule_ids.append(rule.id)
        if category is None and rule.category_id is not None:
            category, category_rule = rule.category_id, rule.id
        tags.update(dict.fromkeys(rule.tag_ids))
        merchant = merchant or rule.merchant
        memo = memo or rule.memo_action
        if rule.stop:
            break
    return Outcome(tuple(rule_ids), category, tuple(tags), merchant, memo, category_rule)


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None
