"""Splitting one expense between the members of a group.

Every split works on integer minor units and is exact: the parts always add up to the
total, using largest-remainder allocation (`coffer.core.allocation.allocate`), so each
part is within one minor unit of its exact proportional share and leftover units go to
the members with the largest remainders, ties to the earlier member.

The methods:

- `split_equal(total, members)`: the same share for everyone (100.00 three ways is
  33.34, 33.33, 33.33);
- `split_exact(total, amounts)`: amounts given per member, which must add up to the total;
- `split_percent(total, percents)`: percentages (Decimal) adding up to exactly 100;
- `split_shares(total, shares)`: positive shares (Decimal), e.g. 2 for a couple, 1 for a
  single;
- `split_itemized(items, tax=, tip=)`: each item divided equally among the members who
  had it; tax and tip are spread in proportion to each member's subtotal.

A split is a mapping member -> minor units in the group's order. `paid_by` checks who
paid (several payers may share the bill) and `expense_effect` gives each member's net
effect of one expense: what they paid minus what they owe, positive when the group
owes them. Anything invalid raises `SplitError`, a `ValueError` whose message says what
is wrong and whose `field` and `member` attributes say where. Amounts in messages are
minor units; the caller knows the currency and may reword.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from coffer.core.allocation import allocate

M = TypeVar("M", bound=Hashable)

_HUNDRED = Decimal(100)


class SplitError(ValueError):
    """A split that cannot be made; the message says what is wrong.

    `field` names the input at fault ("members", "amounts", "percents", "shares", "items",
    "tax", "tip", "total", "payers"), `member` the member concerned, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None, member: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.member = member


@dataclass(frozen=True, slots=True)
class Item(Generic[M]):
    """One line of a bill, shared equally by `members` (one or more)."""

    amount: int
    members: tuple[M, ...]
    name: str = field(default="")


def _check_amount(value: object, what: str, *, fld: str, member: object = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SplitError(
            f"{what} must be a whole number of minor units, not {value!r}",
            field=fld,
            member=member,
        )
    return value


def _check_members(members: Iterable[M], fld: str = "members") -> list[M]:
    found: list[M] = []
    seen: set[M] = set()
    for member in members:
        if member in seen:
            raise SplitError(f"{member!r} is listed twice", field=fld, member=member)
        seen.add(member)
        found.append(member)
    if not found:
        raise SplitError("a split needs at least one member", field=fld)
    return found


def _check_number(value: object, what: str, *, fld: str, member: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise SplitError(
            f"{what} of {member!r} must be an exact decimal, not {value!r}",
            field=fld,
            member=member,
        )
    number = Decimal(value)
    if not number.is_finite():
        raise SplitError(f"{what} of {member!r} is not a finite number", field=fld, member=member)
    return number


def split_equal(total: int, members: Sequence[M]) -> dict[M, int]:
    """`total` divided equally; the first members get the leftover units."""
    _check_amount(total, "the total", fld="total")
    group = _check_members(members)
    return dict(zip(group, allocate(total, [1] * len(group)), strict=True))


def split_exact(
    total: int, amounts: Mapping[M, int], *, write: Callable[[int], str] = str
) -> dict[M, int]:
    """The given amounts, checked: each has the total's sign and together they make the total.
    `write` spells amounts in messages (minor units by default; "12.50" for people)."""
    _check_amount(total, "the total", fld="total")
    group = _check_members(amounts, "amounts")
    for member in group:
        amount = _check_amount(
            amounts[member], f"the amount of {member!r}", fld="amounts", member=member
        )
        if (total >= 0 and amount < 0) or (total < 0 and amount > 0):
            raise SplitError(
                f"the amount of {member!r} ({write(amount)}) has the opposite sign to the "
                f"total ({write(total)})",
                field="amounts",
                member=member,
            )
    given = sum(amounts.values())
    if given != total:
        gap = total - given
        raise SplitError(
            f"the exact amounts add up to {write(given)} but the total is {write(total)} "
            f"({write(abs(gap))} {'missing' if gap > 0 else 'too much'})",
            field="amounts",
        )
    return {member: amounts[member] for member in group}


def split_percent(total: int, percents: Mapping[M, Decimal]) -> dict[M, int]:
    """`total` in proportion to percentages, each 0 to 100, adding up to exactly 100."""
    _check_amount(total, "the total", fld="total")
    group = _check_members(percents, "percents")
    weights = []
    for member in group:
        percent = _check_number(percents[member], "the percentage", fld="percents", member=member)
        if percent < 0:
            raise SplitError(
                f"the percentage of {member!r} ({percent}) cannot be negative",
                field="percents",
                member=member,
            )
        weights.append(percent)
    given = sum(weights, Decimal(0))
    if given != _HUNDRED:
        raise SplitError(
            f"the percentages add up to {given}, not 100", field="percents", member=None
        )
    return dict(zip(group, allocate(total, weights), strict=True))


def split_shares(total: int, shares: Mapping[M, Decimal]) -> dict[M, int]:
    """`total` in proportion to shares, every one of them greater than zero."""
    _check_amount(total, "the total", fld="total")
    group = _check_members(shares, "shares")
    weights = []
    for member in group:
        share = _check_number(shares[member], "the share", fld="shares", member=member)
        if share <= 0:
            raise SplitError(
                f"the share of {member!r} is {share}; shares must be greater than zero",
                field="shares",
                member=member,
            )
        weights.append(share)
    return dict(zip(group, allocate(total, weights), strict=True))


def split_itemized(
    items: Sequence[Item[M]],
    *,
    tax: int = 0,
    tip: int = 0,
    total: int | None = None,
    members: Sequence[M] | None = None,
    write: Callable[[int], str] = str,
) -> dict[M, int]:
    """An itemised bill: each item shared equally by its members, tax and tip pro rata.
    `write` spells amounts in messages, as for `split_exact`.

    A member's subtotal is the sum of their parts of the items (largest remainder within
    each item, ties to the earlier member in the group's order). Tax and tip together are
    then allocated in proportion to the subtotals, so each member's amount is within one
    minor unit of subtotal × (1 + (tax + tip) / sum of items).

    `members` fixes the group and its order (members who had nothing get 0, and an item
    naming anyone else is refused); without it the group is everyone named by an item,
    in the order they first appear. `total`, when given, must equal items + tax + tip.
    """
    if not items:
        raise SplitError("an itemised split needs at least one item", field="items")
    _check_amount(tax, "the tax", fld="tax")
    _check_amount(tip, "the tip", fld="tip")
    for name, value in (("tax", tax), ("tip", tip)):
        if value < 0:
            raise SplitError(f"the {name} cannot be negative ({write(value)})", field=name)

    if members is not None:
        group = _check_members(members)
        known = set(group)
    else:
        group, known = [], set()
        for item in items:
            for member in item.members:
                if member not in known:
                    known.add(member)
                    group.append(member)
    position = {member: index for index, member in enumerate(group)}

    subtotals = dict.fromkeys(group, 0)
    for number, item in enumerate(items, start=1):
        label = f"item {number}" + (f" ({item.name})" if item.name else "")
        amount = _check_amount(item.amount, f"the amount of {label}", fld="items")
        if amount < 0:
            raise SplitError(
                f"the amount of {label} cannot be negative ({write(amount)})", field="items"
            )
        if not item.members:
            raise SplitError(f"{label} is shared by nobody", field="items")
        sharers = list(item.members)
        if len(set(sharers)) != len(sharers):
            twice = next(m for i, m in enumerate(sharers) if m in sharers[:i])
            raise SplitError(f"{label} lists {twice!r} twice", field="items", member=twice)
        for member in sharers:
            if member not in known:
                raise SplitError(
                    f"{label} is shared by {member!r}, who is not in the group",
                    field="items",
                    member=member,
                )
        sharers.sort(key=position.__getitem__)
        for member, part in zip(sharers, allocate(amount, [1] * len(sharers)), strict=True):
            subtotals[member] += part

    items_total = sum(subtotals.values())
    expected = items_total + tax + tip
    if total is not None:
        _check_amount(total, "the total", fld="total")
        if total != expected:
            raise SplitError(
                f"the items ({write(items_total)}), tax ({write(tax)}) and tip ({write(tip)}) "
                f"add up to {write(expected)}, but the total is {write(total)}",
                field="total",
            )
    extras = tax + tip
    if extras == 0:
        return subtotals
    if items_total == 0:
        raise SplitError(
            "tax and tip cannot be spread in proportion to items that add up to zero",
            field="tax" if tax else "tip",
        )
    spread = allocate(extras, list(subtotals.values()))
    return {member: subtotals[member] + part for member, part in zip(group, spread, strict=True)}


def paid_by(total: int, payers: Mapping[M, int], members: Iterable[M]) -> dict[M, int]:
    """Who paid the expense: every payer in the group, the amounts adding up to `total`."""
    _check_amount(total, "the total", fld="total")
    known = set(members)
    if not payers:
        raise SplitError("an expense needs at least one payer", field="payers")
    for payer, amount in payers.items():
        if payer not in known:
            raise SplitError(
                f"the payer {payer!r} is not in the group", field="payers", member=payer
            )
        _check_amount(amount, f"the amount paid by {payer!r}", fld="payers", member=payer)
        if (total >= 0 and amount < 0) or (total < 0 and amount > 0):
            raise SplitError(
                f"the amount paid by {payer!r} ({amount}) has the opposite sign to the total",
                field="payers",
                member=payer,
            )
    given = sum(payers.values())
    if given != total:
        raise SplitError(f"the payers paid {given} in all but the total is {total}", field="payers")
    return dict(payers)


def expense_effect(total: int, split: Mapping[M, int], payers: Mapping[M, int]) -> dict[M, int]:
    """Each member's net effect of one expense: paid minus owed (positive: is owed money).

    `split` is what each member owes (its members are the group, in order) and must add up
    to `total`; `payers` is checked by `paid_by`. The effects add up to zero.
    """
    _check_amount(total, "the total", fld="total")
    owed = sum(split.values())
    if owed != total:
        raise SplitError(f"the split adds up to {owed} but the total is {total}", field="split")
    paid = paid_by(total, payers, split)
    return {member: paid.get(member, 0) - share for member, share in split.items()}
