"""Settling a group: who pays whom, in as few payments as possible.

A group's balances say, per member, how much the group owes them (positive) or they owe
the group (negative), in integer minor units; they add up to zero. A settlement plan is
a list of payments after which every balance is zero.

Minimum number of payments
--------------------------
Look at the payments of a plan as a graph on the members. Each connected part of it
settles among itself, so its balances add up to zero, and a part of k members needs at
least k - 1 payments. Conversely any zero-sum set of k members can be settled with k - 1
payments (the greedy plan below: each payment clears at least one member, the last one
two). So with n members of non-zero balance, the fewest payments is

    n - (the largest number of disjoint zero-sum groups the members can be split into)

and finding that number is NP-hard (it contains subset sum). `settle` computes it:

1. Members at zero are left out; two members with exactly opposite balances are paired
   off (first with first, in member order). Pairing is always safe: in a best partition,
   if a and -a sit in groups A and B, replacing A and B by {a, -a} and the rest of A ∪ B
   keeps the number of groups (and if they share a group G, G minus the pair is zero-sum,
   so G was {a, -a} or could be split), so some best partition has {a, -a} as a group.
2. Up to `EXACT_LIMIT` (20) members remain: an exact search. The state is the multiset of
   remaining balances (members with equal balances are interchangeable, which collapses
   the search for repetitive groups), packed in one int with a bit field per distinct
   balance, so that "group fits in state" and "state minus group" are one subtraction
   and a mask. The member with the largest balance on the side with fewer members must
   be in some group: every zero-sum group holding it is listed by meet in the middle
   (the other balances are cut into two halves whose sub-multiset sums are matched
   through a dict), only minimal ones are kept (a group holding a smaller zero-sum group
   is never better than the two parts), and they are tried smallest first, recursing on
   what is left, memoised per state. A state's value is at most min(creditors, debtors),
   since every group holds one of each: the search stops when a state reaches that
   bound and skips a group whose rest cannot beat the best found.
   Cost: a state of k members costs O(2^(k/2)) for the halves plus its candidate groups;
   every state is a zero-sum sub-multiset of the start, so with amounts in cents there
   are few (a random group of 20 is one state and about 2 × 2^10 sums, well under a
   millisecond). The hard case is many small whole amounts (every member within ±50,
   many subsets adding up to zero): on the reference machine at most about 0.1 s for 20
   members (bench/settlement.py --kind round). Exponential in the worst case, as any
   exact method must be unless P = NP.
3. More than `EXACT_LIMIT` remain: a heuristic. Zero-sum triples (two on one side, one on
   the other) and then quadruples (two and two) are taken greedily in member order,
   hashing pair sums (O(n^2)). If at most `EXACT_LIMIT` members are left they are
   partitioned exactly; otherwise they are cut, in member order, into chunks of
   `EXACT_LIMIT - 1`, each closed by a stand-in carrying minus its sum and partitioned
   exactly: the groups without the stand-in are real zero-sum groups, and the members
   grouped with the stand-ins together make one last group. The plan is compared with
   `greedy` and the one with fewer payments returned, so `settle` is never worse than
   greedy. 200 members take a few milliseconds.

Each group is then settled with the greedy plan, which uses k - 1 payments for k members.
Groups come in the order of their first member, and every tie (equal amounts) is broken
by member order, so the same balances always give the same plan.

`greedy` is the usual plan: the largest creditor is paid by the largest debtor, as much
as the smaller of the two, repeatedly; O(n log n) with two heaps, at most n - 1 payments.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

M = TypeVar("M", bound=Hashable)

EXACT_LIMIT = 20
"""The most members (after pairing exact opposites) partitioned by exhaustive search."""

# A multiset of balances: (balance, how many members have it), sorted by balance.
_State = tuple[tuple[int, int], ...]


class SettleError(ValueError):
    """Balances that cannot be settled; the message says why."""


@dataclass(frozen=True, slots=True)
class Payment(Generic[M]):
    """`payer` pays `payee` `amount` minor units (always positive)."""

    payer: M
    payee: M
    amount: int


def _checked(balances: Mapping[M, int]) -> list[tuple[M, int]]:
    entries = []
    for member, balance in balances.items():
        if isinstance(balance, bool) or not isinstance(balance, int):
            raise SettleError(
                f"the balance of {member!r} must be a whole number of minor units, not {balance!r}"
            )
        entries.append((member, balance))
    total = sum(balance for _, balance in entries)
    if total != 0:
        excess = "more is owed to members than they owe" if total > 0 else "members owe more"
        raise SettleError(f"the balances add up to {total}, not 0 ({excess})")
    return entries


def _greedy(entries: Sequence[tuple[int, int]], members: Sequence[M]) -> list[Payment[M]]:
    """Greedy plan over (member index, balance) pairs that add up to zero."""
    creditors = [(-balance, index) for index, balance in entries if balance > 0]
    debtors = [(balance, index) for index, balance in entries if balance < 0]
    heapq.heapify(creditors)
    heapq.heapify(debtors)
    payments: list[Payment[M]] = []
    while creditors and debtors:
        credit, payee = heapq.heappop(creditors)
        debt, payer = heapq.heappop(debtors)
        amount = min(-credit, -debt)
        payments.append(Payment(members[payer], members[payee], amount))
        if -credit > amount:
            heapq.heappush(creditors, (credit + amount, payee))
        if -debt > amount:
            heapq.heappush(debtors, (debt + amount, payer))
    return payments


def greedy(balances: Mapping[M, int]) -> list[Payment[M]]:
    """The usual plan: the largest debtor pays the largest creditor, repeatedly.

    Ties go to the earlier member. At most n - 1 payments for n members with a balance.
    """
    entries = _checked(balances)
    members = [member for member, _ in entries]
    return _greedy([(index, balance) for index, (_, balance) in enumerate(entries)], members)


# ---------------------------------------------------------------- exact partitioning


class _Packed:
    """Multisets of the starting balances packed in one int: a bit field per distinct
    balance holds its count, with a spare top bit, so that containment and difference
    are a subtraction and a mask (SWAR) instead of a loop."""

    def __init__(self, balances: Iterable[int]) -> None:
        counted = sorted(Counter(balances).items())
        self.values = [balance for balance, _ in counted]
        most = max((count for _, count in counted), default=0)
        self.width = most.bit_length() + 1
        self.field = (1 << (self.width - 1)) - 1
        self.guards = sum(1 << (self.width * j + self.width - 1) for j in range(len(counted)))
        self.start = sum(count << (self.width * j) for j, (_, count) in enumerate(counted))

    def counts(self, state: int) -> list[tuple[int, int, int]]:
        """(field index, balance, count) of every balance present in `state`."""
        found = []
        for j, balance in enumerate(self.values):
            count = (state >> (self.width * j)) & self.field
            if count:
                found.append((j, balance, count))
        return found

    def decode(self, state: int) -> _State:
        return tuple((balance, count) for _, balance, count in self.counts(state))


def _sub_multisets(
    packed: _Packed, half: Sequence[tuple[int, int, int]]
) -> dict[int, list[tuple[int, int]]]:
    """Every sub-multiset of `half` as (size, packed code), grouped by sum."""
    found: list[tuple[int, int, int]] = [(0, 0, 0)]
    for j, balance, count in half:
        unit = 1 << (packed.width * j)
        found = [
            (total + taken * balance, size + taken, code + taken * unit)
            for total, size, code in found
            for taken in range(count + 1)
        ]
    by_sum: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for total, size, code in found:
        by_sum[total].append((size, code))
    return by_sum


def _groups_with(packed: _Packed, state: int, pivot: tuple[int, int]) -> list[tuple[int, int]]:
    """Every minimal zero-sum sub-multiset of `state` holding one `pivot`, smallest first.

    A group holding a smaller one also holds a zero-sum rest, and splitting it gives more
    groups, so only minimal groups (holding no smaller group found) are worth trying.
    """
    pivot_field, pivot_balance = pivot
    pivot_code = 1 << (packed.width * pivot_field)
    rest = packed.counts(state - pivot_code)
    # Halves with about the same number of sub-multisets each.
    weight_total = 1
    for _, _, count in rest:
        weight_total *= count + 1
    cut, weight = 0, 1
    while cut < len(rest) and weight * weight < weight_total:
        weight *= rest[cut][2] + 1
        cut += 1
    left_sums = _sub_multisets(packed, rest[:cut])
    right_sums = _sub_multisets(packed, rest[cut:])
    groups: list[tuple[int, int]] = []
    for right_total, right_codes in right_sums.items():
        left_codes = left_sums.get(-pivot_balance - right_total)
        if left_codes:
            groups.extend(
                (1 + left_size + right_size, pivot_code + left_code + right_code)
                for left_size, left_code in left_codes
                for right_size, right_code in right_codes
            )
    groups.sort()
    minimal: list[tuple[int, int]] = []
    guards = packed.guards
    for size, code in groups:
        if code == state:
            break  # the whole state, the largest: never better than one group
        lifted = code | guards
        if all((lifted - smaller) & guards != guards for _, smaller in minimal):
            minimal.append((size, code))
    return minimal


def _partition_exact(balances: Iterable[int]) -> list[_State]:
    """The most zero-sum groups the balances (zero-sum, none zero) can be split into."""
    packed = _Packed(balances)
    memo: dict[int, tuple[int, int]] = {}
    positive = [j for j, balance in enumerate(packed.values) if balance > 0]

    def best(state: int) -> int:
        known = memo.get(state)
        if known is not None:
            return known[0]
        present = packed.counts(state)
        creditors = sum(count for _, balance, count in present if balance > 0)
        debtors = sum(count for _, balance, count in present if balance < 0)
        bound = min(creditors, debtors)
        result, choice = 1, state
        if bound > 1:
            # The largest balance, in size, on the side with fewer members.
            j, balance, _ = present[-1] if creditors <= debtors else present[0]
            for size, group in _groups_with(packed, state, (j, balance)):
                rest = state - group
                rest_creditors = sum((rest >> (packed.width * k)) & packed.field for k in positive)
                rest_debtors = creditors + debtors - size - rest_creditors
                if 1 + min(rest_creditors, rest_debtors) <= result:
                    continue  # even its upper bound cannot beat what is found
                found = 1 + best(rest)
                if found > result:
                    result, choice = found, group
                    if result == bound:
                        break
        memo[state] = (result, choice)
        return result

    groups: list[_State] = []
    state = packed.start
    if not state:
        return groups
    best(state)
    while state:
        group = memo[state][1]
        groups.append(packed.decode(group))
        state -= group
    return groups


# ------------------------------------------------------------------- heuristic parts


def _small_groups(entries: list[tuple[int, int]]) -> tuple[list[list[int]], list[int]]:
    """Zero-sum triples then 2+2 quadruples, greedily in member order.

    Returns the groups (as member indices) and the indices left over.
    """
    balance_of = dict(entries)
    order = [index for index, _ in entries]
    used: set[int] = set()
    groups: list[list[int]] = []
    holders: dict[int, list[int]] = defaultdict(list)
    for index in order:
        holders[balance_of[index]].append(index)

    def take(balance: int, avoid: tuple[int, ...]) -> int | None:
        for index in holders.get(balance, ()):
            if index not in used and index not in avoid:
                return index
        return None

    # Triples: two members on one side, one on the other.
    for position, first in enumerate(order):
        if first in used:
            continue
        for second in order[position + 1 :]:
            if second in used or (balance_of[second] > 0) != (balance_of[first] > 0):
                continue
            third = take(-(balance_of[first] + balance_of[second]), (first, second))
            if third is not None:
                used.update((first, second, third))
                groups.append(sorted((first, second, third)))
                break

    # Quadruples: two creditors and two debtors.
    free = [index for index in order if index not in used]
    creditor_pairs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    creditors = [index for index in free if balance_of[index] > 0]
    debtors = [index for index in free if balance_of[index] < 0]
    for position, first in enumerate(creditors):
        for second in creditors[position + 1 :]:
            creditor_pairs[balance_of[first] + balance_of[second]].append((first, second))
    for position, first in enumerate(debtors):
        if first in used:
            continue
        for second in debtors[position + 1 :]:
            if second in used:
                continue
            pairs = creditor_pairs.get(-(balance_of[first] + balance_of[second]), ())
            match = next((p for p in pairs if p[0] not in used and p[1] not in used), None)
            if match is not None:
                used.update((first, second, *match))
                groups.append(sorted((first, second, *match)))
                break

    return groups, [index for index in order if index not in used]


# ---------------------------------------------------------------------- the plan


def _groups_to_members(
    value_groups: list[_State],
    indices: Sequence[int],
    balance_of: Mapping[int, int],
    carry: int = 0,
) -> list[list[int]]:
    """Members for groups of balances; a non-zero `carry` stands for index -1."""
    queues: dict[int, list[int]] = defaultdict(list)
    for index in indices:
        queues[balance_of[index]].append(index)
    if carry:
        queues[carry].append(-1)  # members with equal balances are interchangeable
    for queue in queues.values():
        queue.reverse()  # pop() then yields member order
    groups = []
    for value_group in value_groups:
        members = [queues[balance].pop() for balance, count in value_group for _ in range(count)]
        groups.append(sorted(members))
    return groups


def _partition_in_chunks(rest: Sequence[int], balance_of: Mapping[int, int]) -> list[list[int]]:
    """Zero-sum groups found exactly within chunks of `EXACT_LIMIT - 1` members.

    Each chunk is closed by a stand-in carrying minus its sum, and partitioned exactly:
    the groups without the stand-in are zero-sum groups of real members; the members
    grouped with a stand-in, from every chunk, together make one last zero-sum group.
    """
    groups: list[list[int]] = []
    leftover: list[int] = []
    size = EXACT_LIMIT - 1
    for start in range(0, len(rest), size):
        chunk = rest[start : start + size]
        carry = -sum(balance_of[index] for index in chunk)
        values = [balance_of[index] for index in chunk] + ([carry] if carry else [])
        for group in _groups_to_members(_partition_exact(values), chunk, balance_of, carry):
            if group[0] == -1:
                leftover += group[1:]
            else:
                groups.append(group)
    if leftover:
        groups.append(sorted(leftover))
    return groups


def _pairs(entries: list[tuple[int, int]]) -> tuple[list[list[int]], list[int]]:
    """Exact opposites paired off, first with first; the rest in member order."""
    waiting: dict[int, list[int]] = defaultdict(list)
    partner: dict[int, int] = {}
    for index, balance in entries:
        queue = waiting.get(-balance)
        if queue:
            other = queue.pop(0)
            partner[other] = index
            partner[index] = other
        else:
            waiting[balance].append(index)
    groups = [[index, partner[index]] for index, _ in entries if partner.get(index, -1) > index]
    rest = [index for index, _ in entries if index not in partner]
    return groups, rest


def _plan(
    groups: list[list[int]], balance_of: Mapping[int, int], members: Sequence[M]
) -> list[Payment[M]]:
    payments: list[Payment[M]] = []
    for group in sorted(groups):
        payments.extend(_greedy([(index, balance_of[index]) for index in group], members))
    return payments


def settle(balances: Mapping[M, int]) -> list[Payment[M]]:
    """A settlement plan with the fewest payments (exact up to `EXACT_LIMIT` members).

    Positive balance: the group owes the member; negative: the member owes the group.
    The balances must add up to zero (`SettleError` otherwise). Beyond `EXACT_LIMIT`
    members with unpaired balances the plan is heuristic but never longer than
    `greedy`'s. See the module docstring for the algorithm.
    """
    checked = _checked(balances)
    members = [member for member, _ in checked]
    entries = [(index, balance) for index, (_, balance) in enumerate(checked) if balance]
    balance_of = dict(entries)

    groups, rest = _pairs(entries)
    if len(rest) <= EXACT_LIMIT:
        value_groups = _partition_exact(balance_of[index] for index in rest)
        groups += _groups_to_members(value_groups, rest, balance_of)
        return _plan(groups, balance_of, members)

    small, rest = _small_groups([(index, balance_of[index]) for index in rest])
    groups += small
    if len(rest) <= EXACT_LIMIT:
        value_groups = _partition_exact(balance_of[index] for index in rest)
        groups += _groups_to_members(value_groups, rest, balance_of)
    else:
        groups += _partition_in_chunks(rest, balance_of)
    plan = _plan(groups, balance_of, members)
    usual = _greedy(entries, members)
    return plan if len(plan) <= len(usual) else usual


def apply_payments(balances: Mapping[M, int], payments: Iterable[Payment[M]]) -> dict[M, int]:
    """The balances after the payments: a payer's balance rises, a payee's falls."""
    after = dict(balances)
    for payment in payments:
        after[payment.payer] += payment.amount
        after[payment.payee] -= payment.amount
    return after


def minimum_payments(balances: Mapping[M, int]) -> int:
    """The number of payments `settle` would make."""
    return len(settle(balances))
