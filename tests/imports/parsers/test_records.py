from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from coffer.imports.parsers.records import (
    MAX_PROBLEMS,
    ParsedTransaction,
    ParseFailed,
    ParseProblem,
    ProblemLog,
    account_hint,
)


def test_parsed_transaction_is_frozen_and_compares_by_value() -> None:
    one = ParsedTransaction(3, date(2024, 1, 2), Decimal("-4.50"), "Bakery", memo="rolls")
    same = ParsedTransaction(3, date(2024, 1, 2), Decimal("-4.50"), "Bakery", "rolls")
    assert one == same
    assert hash(one) == hash(same)
    assert one.splits == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.amount = Decimal(0)  # type: ignore[misc]
    assert dataclasses.replace(one, memo="bread").memo == "bread"


def test_problem_log_keeps_the_first_hundred_and_counts_the_rest() -> None:
    log = ProblemLog()
    for line in range(1, MAX_PROBLEMS + 31):
        log.add(line, "bad")
    assert len(log) == MAX_PROBLEMS + 30
    with pytest.raises(ParseFailed) as caught:
        log.raise_if_any()
    assert len(caught.value.problems) == MAX_PROBLEMS
    assert caught.value.omitted == 30
    assert str(caught.value).startswith("line 1: bad; line 2: bad")
    assert str(caught.value).endswith("(and 125 more)")


def test_an_empty_log_raises_nothing() -> None:
    ProblemLog().raise_if_any()


def test_problem_reads_as_a_person_would_say_it() -> None:
    assert str(ParseProblem(7, "not a date", "Date")) == "line 7, column 'Date': not a date"
    assert str(ParseProblem(0, "the file is empty")) == "file: the file is empty"


@pytest.mark.parametrize(
    ("account", "hint"),
    [("DE89 3704 0044 0532 0130 00", "3000"), ("000123456789", "6789"), ("12", "12"), ("", None)],
)
def test_account_hint_keeps_only_the_last_four(account: str, hint: str | None) -> None:
    assert account_hint(account) == hint
