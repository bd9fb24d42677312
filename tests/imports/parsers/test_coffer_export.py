"""Coffer's own export read back with the "coffer" preset: tags, split parts and the
guard against spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from coffer.imports.parsers import (
    CsvMapping,
    ParseFailed,
    SplitLine,
    iter_csv,
    parse_csv_all,
    preset,
    sniff,
)
from coffer.imports.parsers.cells import read_tags, unguard
from coffer.ledger.export_csv import COLUMNS, safe_text
from tests.imports.parsers.helpers import fixture, stream

OLD_COLUMNS = COLUMNS[: COLUMNS.index("splits")]


def export(rows: list[tuple[str, ...]], columns: tuple[str, ...] = COLUMNS) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([columns, *rows])
    return buffer.getvalue().encode()


def row(
    amount: str,
    *,
    category: str = "",
    tags: str = "",
    splits: str = "",
    payee: str = "Shop",
    memo: str = "",
    ident: str = "t1",
) -> tuple[str, ...]:
    return (
        ident,
        "2024-03-02",
        "Everyday",
        amount,
        "EUR",
        payee,
        "",
        category,
        tags,
        memo,
        "cleared",
        splits,
    )


def parts(*lines: dict[str, object]) -> str:
    return "\n".join(json.dumps(line) for line in lines)


def test_the_fixture_reads_with_tags_splits_and_without_the_guard() -> None:
    found = list(iter_csv(stream(fixture("coffer_export.csv")), preset("coffer")))
    assert [(t.line, t.posted_on, t.amount) for t in found] == [
        (2, date(2024, 3, 2), Decimal("-86.40")),
        (4, date(2024, 3, 5), Decimal("-12.00")),
        (5, date(2024, 3, 15), Decimal("3120.55")),
    ]
    split, guarded, plain = found
    assert split.category is None
    assert split.tags == ("holiday", "Work")
    assert split.splits == (
        SplitLine("Food:Groceries", Decimal("-61.15"), ""),
        SplitLine("Health:Pharmacy", Decimal("-25.25"), "plasters"),
    )
    assert (guarded.payee, guarded.memo, guarded.category) == ("-SALE- Outlet", "=1+1", "Shopping")
    assert guarded.tags == ("-reimbursable",)
    assert (plain.category, plain.tags, plain.splits) == ("Income:Salary", (), ())
    assert sniff(fixture("coffer_export.csv")).preset == "coffer"


def test_an_export_from_before_the_splits_column_still_reads() -> None:
    data = export([row("-1.00", category="Food", tags="holiday")[:-1]], OLD_COLUMNS)
    (found,) = iter_csv(stream(data), preset("coffer"))
    assert (found.category, found.tags, found.splits) == ("Food", ("holiday",), ())


def test_a_mapping_elsewhere_still_needs_its_columns() -> None:
    mapping = CsvMapping(date_column="date", amount_column="amount", tags_column="labels")
    with pytest.raises(ParseFailed, match="no column 'labels'"):
        list(iter_csv(stream(export([row("-1.00")])), mapping))


def test_tags_are_split_on_semicolons_trimmed_and_kept_once() -> None:
    assert read_tags("holiday; Work;;  Holiday ;x") == ("holiday", "Work", "x")
    assert read_tags("") == ()


@pytest.mark.parametrize(
    "text", ["-5% off", "=SUM(A1)", "+44 20", "@home", "plain", "'quoted", "", "'"]
)
def test_unguard_undoes_safe_text(text: str) -> None:
    assert unguard(safe_text(text)) == text


def test_split_parts_keep_their_order_memos_and_missing_categories() -> None:
    cell = parts(
        {"category": "Food", "amount": "-2.50", "memo": 'said "hi", then\nleft'},
        {"category": None, "amount": "1.50"},
        {"amount": "-4.00", "memo": None, "added_later": [1]},
    )
    (found,) = iter_csv(stream(export([row("-5.00", splits=cell)])), preset("coffer"))
    assert found.splits == (
        SplitLine("Food", Decimal("-2.50"), 'said "hi", then\nleft'),
        SplitLine(None, Decimal("1.50"), ""),
        SplitLine(None, Decimal("-4.00"), ""),
    )


def test_split_parts_may_end_lines_as_a_spreadsheet_saves_them() -> None:
    cell = parts({"amount": "-1.00"}, {"amount": "-2.00"}).replace("\n", "\r\n") + "\r\n"
    (found,) = iter_csv(stream(export([row("-3.00", splits=cell)])), preset("coffer"))
    assert [p.amount for p in found.splits] == [Decimal("-1.00"), Decimal("-2.00")]


ONE = {"category": "Food", "amount": "-1.00"}


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (parts(ONE, {"category": "Food", "amount": "-1.50"}), "add up to -2.50, not -2.00"),
        (parts({"category": "Food", "amount": "-2.00"}), "2 to 100 parts, not 1"),
        (parts(*[{"amount": "-0.02"}] * 101), "2 to 100 parts, not 101"),
        (parts(ONE) + "\nFood -1.00", "split part 2 is not a JSON object"),
        (parts(ONE) + '\n["Food", "-1.00"]', "split part 2 is not a JSON object"),
        (parts(ONE, {"category": "Food", "amount": -1}), 'split part 2: "amount" must be'),
        (parts(ONE, {"category": "Food", "amount": "1,00"}), 'split part 2: "amount" must be'),
        (parts({"category": 3, "amount": "-1.00"}, ONE), 'split part 1: "category" must be'),
        (parts(ONE, {"amount": "-1.00", "memo": ["x"]}), 'split part 2: "memo" must be'),
    ],
)
def test_malformed_split_parts_refuse_the_file_naming_line_and_column(
    cell: str, message: str
) -> None:
    data = export(
        [row("-1.00", ident="a"), row("-2.00", splits=cell, ident="b"), row("-3.00", ident="c")]
    )
    with pytest.raises(ParseFailed) as refused:
        list(iter_csv(stream(data), preset("coffer")))
    (problem,) = refused.value.problems
    assert (problem.line, problem.column) == (3, "splits")
    assert message in problem.message
    good, problems = parse_csv_all(stream(data), preset("coffer"))
    assert [t.external_id for t in good] == ["a", "c"]
    assert [p.line for p in problems] == [3]


def test_a_bad_split_is_reported_at_the_line_its_row_starts_on() -> None:
    fine = parts({"amount": "-1.00"}, {"amount": "-1.00"})  # the row spans two lines
    data = export([row("-2.00", splits=fine, ident="a"), row("-2.00", splits="{", ident="b")])
    with pytest.raises(ParseFailed) as refused:
        list(iter_csv(stream(data), preset("coffer")))
    assert [p.line for p in refused.value.problems] == [4]


def test_the_mapping_with_tags_and_splits_survives_saving() -> None:
    coffer = preset("coffer")
    assert CsvMapping.from_dict(coffer.to_dict()) == coffer
    assert (coffer.tags_column, coffer.splits_column, coffer.formula_guard) == (
        "tags",
        "splits",
        True,
    )
    with pytest.raises(ValueError, match="formula_guard: must be true or false"):
        CsvMapping.from_dict({**coffer.to_dict(), "formula_guard": "yes"})
