from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coffer.imports.parsers import ParseFailed, SplitLine
from coffer.imports.parsers.qif import parse_qif
from tests.imports.parsers.helpers import fixture, stream


def test_bank_file_with_a_split() -> None:
    found = parse_qif(stream(fixture("bank_split.qif")))
    assert [
        (t.line, t.posted_on, t.amount, t.payee, t.memo, t.category, t.check_number) for t in found
    ] == [
        (
            2,
            date(2024, 1, 3),
            Decimal("-1250.00"),
            "Harbor View Apartments",
            "January rent",
            "Housing:Rent",
            "1046",
        ),
        (
            10,
            date(2024, 1, 5),
            Decimal("-86.40"),
            "Cornerstone Market",
            "Weekly shop and pharmacy",
            "Groceries",
            None,
        ),
        (22, date(2024, 1, 15), Decimal("2150.00"), "Northwind Payroll", "", "Salary", None),
        (27, date(2024, 1, 20), Decimal("-500.00"), "Transfer to savings", "", "[Savings]", None),
    ]
    assert found[1].splits == (
        SplitLine("Groceries", Decimal("-61.15"), "Food"),
        SplitLine("Health:Pharmacy", Decimal("-25.25"), "Allergy tablets"),
    )
    assert sum(s.amount for s in found[1].splits) == found[1].amount


def test_broken_file_reports_every_problem_on_its_line() -> None:
    with pytest.raises(ParseFailed) as caught:
        parse_qif(stream(fixture("broken_split.qif")))
    assert [(p.line, p.column, p.message) for p in caught.value.problems] == [
        (15, "$", "the split lines add up to -86.15, not -86.40"),
        (23, "T", "'two thousand' is not an amount"),
    ]


@pytest.mark.parametrize(
    ("dates", "order", "expected"),
    [
        (["1/15'24"], None, date(2024, 1, 15)),
        (["01/15/2024"], None, date(2024, 1, 15)),
        (["15/01/2024"], None, date(2024, 1, 15)),
        ([" 1/ 5'24", "12/25'23"], None, date(2024, 1, 5)),
        (["2024-01-15"], None, date(2024, 1, 15)),
        (["03/04/2024"], "dmy", date(2024, 4, 3)),
        (["03/04/2024"], "mdy", date(2024, 3, 4)),
        (["3/4/99"], "mdy", date(1999, 3, 4)),
        (["3/4'00"], "mdy", date(2000, 3, 4)),
        (["5/5/2024"], None, date(2024, 5, 5)),
    ],
)
def test_dates(dates: list[str], order: str | None, expected: date) -> None:
    text = "!Type:Bank\n" + "".join(f"D{d}\nT-1.00\n^\n" for d in dates)
    assert parse_qif(stream(text), date_order=order)[0].posted_on == expected


def test_ambiguous_dates_are_refused_unless_an_order_is_given() -> None:
    text = "!Type:CCard\nD03/04/2024\nT-1.00\n^\nD05/06/2024\nT-2.00\n^\n"
    with pytest.raises(ParseFailed) as caught:
        parse_qif(stream(text))
    [problem] = caught.value.problems
    assert problem.line == 2
    assert problem.message == (
        "dates such as 03/04/2024 could be month/day or day/month; choose the date order"
    )
    assert [t.posted_on for t in parse_qif(stream(text), date_order="dmy")] == [
        date(2024, 4, 3),
        date(2024, 6, 5),
    ]


def test_mixed_orders_and_impossible_dates_are_refused() -> None:
    with pytest.raises(ParseFailed, match="mixes month/day and day/month"):
        parse_qif(stream("!Type:Bank\nD13/01/2024\nT1\n^\nD01/13/2024\nT1\n^\n"))
    with pytest.raises(ParseFailed, match="'02/30/2024' is not a real date"):
        parse_qif(stream("!Type:Bank\nD02/30/2024\nT1\n^\nD01/13/2024\nT1\n^\n"))


def test_lists_and_account_headers_are_skipped_and_u_amounts_read() -> None:
    text = """!Option:AutoSwitch
!Account
NEveryday
TBank
^
!Clear:AutoSwitch
!Type:Cat
NGroceries
E
^
!Type:Cash
D2024-02-01
U-3,50
PKiosk
^
"""
    [found] = parse_qif(stream(text))
    assert (found.line, found.amount, found.payee) == (12, Decimal("-3.50"), "Kiosk")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("D1/1/2024\nT1\n^\n", "no !Type: line comes first"),
        ("!Type:Invst\nD1/1/2024\n^\n", "investment QIF files are not read"),
        ("!Type:Bank\nT-1.00\n^\n", "has no date"),
        ("!Type:Bank\nD1/13/2024\n^\n", "has no amount"),
        ("!Type:Bank\nDyesterday\nT1\n^\n", "'yesterday' is not a date"),
        (
            "!Account\nNA\n^\n!Type:Bank\nD1/13/24\nT1\n^\n!Account\nNB\n^\n!Type:Bank\nD1/13/24\nT1\n^\n",
            "several accounts",
        ),
    ],
)
def test_malformed_files_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ParseFailed, match=reason):
        parse_qif(stream(text))


def test_the_last_record_may_leave_out_its_caret() -> None:
    assert len(parse_qif(stream("!Type:Bank\nD1/13/2024\nT-1\n"))) == 1


def test_line_ends_of_every_kind_and_unclosed_records_before_a_section() -> None:
    text = "!Type:Bank\r\nD1/13/2024\rT-1\nPA\u2028B\r\n!Type:Cat\nNFood\n^\n"
    [found] = parse_qif(stream(text))
    assert (found.line, found.payee) == (2, "A\u2028B")
