from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coffer.imports.parsers import ParseFailed, StatementInfo
from coffer.imports.parsers.ofx import parse_ofx
from tests.imports.parsers.helpers import fixture, stream, unseekable


def rows(name: str) -> list[tuple[object, ...]]:
    transactions, _ = parse_ofx(stream(fixture(name)))
    return [
        (t.line, t.posted_on, t.amount, t.payee, t.memo, t.external_id, t.check_number, t.currency)
        for t in transactions
    ]


def test_ofx1_sgml_bank_statement() -> None:
    assert rows("bank_v1.ofx") == [
        (
            43,
            date(2024, 2, 2),
            Decimal("-54.23"),
            "GREENLEAF GROCERY #112",
            "POS PURCHASE 02/01",
            "202402020001",
            None,
            "USD",
        ),
        (
            51,
            date(2024, 2, 15),
            Decimal("2150.00"),
            "NORTHWIND PAYROLL",
            "DIRECT DEP",
            "202402150002",
            None,
            "USD",
        ),
        # <MEMO> with nothing after it: an empty SGML element, not an aggregate left open
        (
            59,
            date(2024, 2, 20),
            Decimal("-120.00"),
            "CHECK 1045",
            "",
            "202402200003",
            "1045",
            "USD",
        ),
        # 23:59 Pacific is still the 29th, as the bank wrote it
        (
            68,
            date(2024, 2, 29),
            Decimal("-15.99"),
            "STREAMFLIX & CO",
            "",
            "202402290004",
            None,
            "USD",
        ),
    ]
    _, info = parse_ofx(stream(fixture("bank_v1.ofx")))
    assert info == StatementInfo("6789", "USD", Decimal("3412.78"), date(2024, 2, 29))


def test_ofx2_xml_credit_card_statement() -> None:
    assert rows("creditcard_v2.ofx") == [
        (
            29,
            date(2024, 3, 4),
            Decimal("-89.90"),
            "Bahn Reisezentrum",
            "Ticket Berlin–München",
            "CC2024030400017",
            None,
            "EUR",
        ),
        (
            38,
            date(2024, 3, 11),
            Decimal("-42.00"),
            "Café Lindgren",
            "",
            "CC2024031100018",
            None,
            "EUR",
        ),
        (
            56,
            date(2024, 3, 25),
            Decimal("500.00"),
            "Zahlung – danke",
            "",
            "CC2024032500019",
            None,
            "EUR",
        ),
        (
            63,
            date(2024, 3, 30),
            Decimal("-12.75"),
            "Kiosk & Lotto",
            "Zeitung <Wochenende>",
            "CC2024033000020",
            None,
            "EUR",
        ),
    ]
    _, info = parse_ofx(stream(fixture("creditcard_v2.ofx")))
    assert info == StatementInfo("4444", "EUR", Decimal("-1234.56"), date(2024, 3, 31))


def test_qfx_with_intuit_tags_on_few_lines() -> None:
    assert rows("quicken.qfx") == [
        (
            15,
            date(2024, 1, 2),
            Decimal("3.17"),
            "INTEREST PAID",
            "MONTHLY INTEREST",
            "INT20240102",
            None,
            "USD",
        ),
        (
            16,
            date(2024, 1, 10),
            Decimal("-250.00"),
            "TRANSFER TO CHK 4421",
            "ONLINE TRANSFER",
            "XF20240110A",
            None,
            "USD",
        ),
    ]


def test_the_account_number_is_kept_only_as_its_last_four() -> None:
    _, info = parse_ofx(stream(fixture("quicken.qfx")))
    assert info.account_id_hint == "3210"
    assert "9876543210" not in repr(info)


def test_a_truncated_file_names_the_aggregate_left_open() -> None:
    with pytest.raises(ParseFailed) as caught:
        parse_ofx(stream(fixture("broken_truncated.ofx")))
    [problem] = caught.value.problems
    assert problem.line == 43
    assert "ends before <STMTTRN>" in problem.message


OFX2 = """<?xml version="1.0" encoding="UTF-8"?>
<?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID>
<STMTRS><CURDEF>USD</CURDEF><BANKACCTFROM><BANKID>1</BANKID><ACCTID>12345678</ACCTID>
<ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM><BANKTRANLIST>
{body}
</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


def trn(fields: str) -> str:
    return f"<STMTTRN><TRNTYPE>DEBIT</TRNTYPE>{fields}</STMTTRN>"


def test_every_bad_transaction_is_reported_with_its_line() -> None:
    body = "\n".join(
        [
            trn("<DTPOSTED>20240132</DTPOSTED><TRNAMT>-1.00</TRNAMT>"),
            trn("<DTPOSTED>20240102</DTPOSTED><TRNAMT>12 USD</TRNAMT>"),
            trn("<TRNAMT>-1.00</TRNAMT>"),
        ]
    )
    with pytest.raises(ParseFailed) as caught:
        parse_ofx(stream(OFX2.format(body=body)))
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (6, "<DTPOSTED> '20240132' is not a date"),
        (7, "<TRNAMT> '12 USD' is not an amount"),
        (8, "<DTPOSTED> is missing"),
    ]


def test_a_comma_decimal_mark_is_read() -> None:
    body = "<STMTTRN><DTPOSTED>20240102</DTPOSTED><TRNAMT>-1,50</TRNAMT></STMTTRN>"
    [found], _ = parse_ofx(stream(OFX2.format(body=body)))
    assert found.amount == Decimal("-1.50")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hello, world", "this is not an OFX file"),
        (
            OFX2.format(body="<STMTTRN><TRNAMT>1</TRNAMT></BANKTRANLIST>"),
            "<STMTTRN> opened on line 6 is never closed",
        ),
        (OFX2.format(body="</STMTTRN>"), "</STMTTRN> closes nothing that is open"),
        (
            OFX2.replace("<TRNUID>1</TRNUID>", "<TRNUID>1</TRNUID>stray"),
            "unexpected text after <TRNUID>",
        ),
        (
            OFX2.replace("<CURDEF>USD</CURDEF>", "<CURDEF>USD</CURSYM>"),
            "</CURSYM> closes nothing that is open",
        ),
    ],
)
def test_malformed_files_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ParseFailed, match=reason):
        parse_ofx(stream(text))


def test_a_file_of_two_accounts_is_refused() -> None:
    statement = OFX2.format(body="").split("<BANKMSGSRSV1>")[1].split("</BANKMSGSRSV1>")[0]
    second = statement.replace("12345678", "87654321")
    text = OFX2.format(body="").replace("</BANKMSGSRSV1>", second + "</BANKMSGSRSV1>")
    with pytest.raises(ParseFailed, match="statements of 2 accounts"):
        parse_ofx(stream(text))


def test_an_error_reply_is_explained() -> None:
    text = OFX2.split("<BANKMSGSRSV1>")[0] + (
        "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>15500</CODE><SEVERITY>ERROR</SEVERITY>"
        "<MESSAGE>Invalid user ID or password</MESSAGE></STATUS></SONRS></SIGNONMSGSRSV1></OFX>"
    )
    with pytest.raises(ParseFailed, match="Invalid user ID or password"):
        parse_ofx(stream(text))


def test_an_unseekable_upload_is_read_whole() -> None:
    transactions, _ = parse_ofx(unseekable(fixture("creditcard_v2.ofx")))
    assert [t.payee for t in transactions][1] == "Café Lindgren"
