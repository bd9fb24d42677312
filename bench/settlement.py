#!/usr/bin/env python3
"""Settlement plans: how fast `coffer.core.settle.settle` is and how many payments it saves.

For each --members size, --repeat groups of random balances are drawn (seeded by
--seed, so a run can be repeated exactly) and each is settled once with `settle` and
once with `greedy` (largest debtor pays largest creditor). Per size the table shows the
median, p95 and max time of `settle` in milliseconds and the payment counts of both
plans (mean, and in how many groups `settle` needed fewer payments).

Balances are in cents and add up to zero. Two kinds (--kind):

- "realistic": about a tenth of the members at zero, about a fifth in exact opposite
  pairs (two friends who only shared one bill), the others owed or owing 1.00 to
  800.00 with any cents; one member takes up the difference;
- "round": everyone owed or owing a whole amount from 1.00 to 30.00 (a group that
  always splits round numbers): many subsets add up to zero, the hard case for the exact
  search.

    .venv/bin/python bench/settlement.py                               # 20 and 200 members
    .venv/bin/python bench/settlement.py --members 12 20 50 --kind round --repeat 50
    .venv/bin/python bench/settlement.py --json /tmp/settlement.json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from coffer.core.settle import EXACT_LIMIT, apply_payments, greedy, settle


def realistic(members: int, rng: random.Random) -> dict[str, int]:
    values: list[int] = []
    while len(values) < members - 1:
        draw = rng.random()
        if draw < 0.1:
            values.append(0)
        elif draw < 0.3 and len(values) < members - 2:
            amount = rng.randint(100, 80000)
            values += [amount, -amount]
        else:
            values.append(rng.choice((1, -1)) * rng.randint(100, 80000))
    values.append(-sum(values))
    rng.shuffle(values)
    return {f"member-{i:03d}": value for i, value in enumerate(values)}


def round_amounts(members: int, rng: random.Random) -> dict[str, int]:
    values = [rng.choice((1, -1)) * rng.randint(1, 30) * 100 for _ in range(members - 1)]
    values.append(-sum(values))
    return {f"member-{i:03d}": value for i, value in enumerate(values)}


KINDS = {"realistic": realistic, "round": round_amounts}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(members: int, repeat: int, kind: str, rng: random.Random) -> dict[str, Any]:
    times: list[float] = []
    settle_counts: list[int] = []
    greedy_counts: list[int] = []
    for _ in range(repeat):
        balances = KINDS[kind](members, rng)
        started = time.perf_counter()
        plan = settle(balances)
        times.append((time.perf_counter() - started) * 1000)
        usual = greedy(balances)
        for candidate in (plan, usual):
            if any(apply_payments(balances, candidate).values()):
                raise SystemExit(f"a plan left balances unsettled: {balances}")
        if len(plan) > len(usual):
            raise SystemExit(f"settle made more payments than greedy: {balances}")
        settle_counts.append(len(plan))
        greedy_counts.append(len(usual))
    return {
        "members": members,
        "kind": kind,
        "repeat": repeat,
        "exact": members <= EXACT_LIMIT,
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "max_ms": max(times),
        "settle_payments_mean": statistics.fmean(settle_counts),
        "greedy_payments_mean": statistics.fmean(greedy_counts),
        "groups_better_than_greedy": sum(
            s < g for s, g in zip(settle_counts, greedy_counts, strict=True)
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[20, 200])
    parser.add_argument("--repeat", type=int, default=200, help="groups per size (200)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--kind", choices=sorted(KINDS), default="realistic")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    settle(realistic(10, random.Random(0)))  # warm-up: imports, first calls
    rows = [measure(size, args.repeat, args.kind, rng) for size in args.members]

    header = (
        f"{'members':>7} {'search':>9} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} "
        f"{'settle pay':>10} {'greedy pay':>10} {'fewer':>9}"
    )
    print(f"kind={args.kind} repeat={args.repeat} seed={args.seed}")
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['members']:>7} {'exact' if row['exact'] else 'heuristic':>9} "
            f"{row['median_ms']:>10.2f} {row['p95_ms']:>8.2f} {row['max_ms']:>8.2f} "
            f"{row['settle_payments_mean']:>10.2f} {row['greedy_payments_mean']:>10.2f} "
            f"{row['groups_better_than_greedy']:>4}/{row['repeat']:<4}"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"args": vars(args) | {"json": str(args.json)}, "rows": rows}, indent=2)
        )


if __name__ == "__main__":
    main()
