from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coffer.imports.parsers import ParseFailed, StatementInfo
from coffer.imports.parsers.camt import parse_camt
from tests.imports.parsers.helpers import fixture, stream


def rows(name: str) -> list[tuple[object, ...]]:
    transactions, _ = parse_camt(stream(fixture(name)))
    return [
        (t.line, t.posted_on, t.amount, t.payee, t.memo, t.external_id, t.currency)
        for t in transactions
    ]


def test_camt053_001_02() -> None:
    assert rows("statement.camt053.001.02.xml") == [
        # a credit: the payee is the debtor who paid
        (
            47,
            date(2024, 2, 1),
            Decimal("2850.00"),
            "Muster Maschinenbau GmbH",
            "Gehalt Februar 2024",
            "2024020100012345",
            "EUR",
        ),
        # a debit: the payee is the creditor; unstructured remittance lines are joined
        (
            92,
            date(2024, 2, 3),
            Decimal("-1045.78"),
            "Wohnbau Nord eG",
            "Miete 02/2024 Whg. 3 links Mieternr. 4471",
            "2024020300023456",
            "EUR",
        ),
        # no details: the entry's additional information is the memo; DtTm's own day
        (
            121,
            date(2024, 2, 14),
            Decimal("-54.00"),
            "",
            "Kartenzahlung Blumen Sonnenschein",
            "2024021400034567",
            "EUR",
        ),
        # the pending entry is left out: it comes back booked
    ]
    _, info = parse_camt(stream(fixture("statement.camt053.001.02.xml")))
    assert info == StatementInfo("3000", "EUR", Decimal("3270.62"), date(2024, 2, 29))


def test_camt053_001_08_names_one_level_down_and_status_codes() -> None:
    assert rows("statement.camt053.001.08.xml") == [
        (
            45,
            date(2024, 3, 5),
            Decimal("400.00"),
            "J. de Vries",
            "Terugbetaling vakantiehuis",
            "TX-20240305-778",
            "EUR",
        ),
        (
            92,
            date(2024, 3, 12),
            Decimal("-237.35"),
            "Energie Direct B.V.",
            "Termijnbedrag maart klantnr 88120",
            "ABN-20240312-000451",
            "EUR",
        ),
    ]
    _, info = parse_camt(stream(fixture("statement.camt053.001.08.xml")))
    assert info == StatementInfo("4300", "EUR", Decimal("-87.35"), date(2024, 3, 31))


def test_an_entry_without_an_amount_is_refused_with_its_line() -> None:
    with pytest.raises(ParseFailed) as caught:
        parse_camt(stream(fixture("broken_camt_missing_amt.xml")))
    assert [(p.line, p.column, p.message) for p in caught.value.problems] == [
        (92, "Amt", "the entry has no amount (Amt)"),
    ]


CAMT = """<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt>
<Stmt><Acct><Id><Othr><Id>ACC-77881234</Id></Othr></Id></Acct>
{entries}
</Stmt></BkToCstmrStmt></Document>"""


def entry(amount: str, indicator: str, dated: str) -> str:
    return f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>{dated}</Ntry>'


def test_every_bad_entry_is_reported() -> None:
    booked = "<BookgDt><Dt>2024-01-02</Dt></BookgDt>"
    entries = "\n".join(
        [
            entry("-5.00", "DBIT", booked),
            entry("5.00", "DEBIT", booked),
            entry("5.00", "CRDT", "<BookgDt><Dt>2024-02-30</Dt></BookgDt>"),
            entry("5.00", "CRDT", ""),
        ]
    )
    with pytest.raises(ParseFailed) as caught:
        parse_camt(stream(CAMT.format(entries=entries)))
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (4, "'-5.00' is not an amount"),
        (5, "CdtDbtInd must be CRDT or DBIT"),
        (6, "'2024-02-30' is not a date"),
        (7, "the entry has no booking or value date (BookgDt/ValDt)"),
    ]


def test_other_account_ids_and_value_dates() -> None:
    entries = (
        '<Ntry><Amt Ccy="CHF">12.5</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        "<ValDt><DtTm>2024-01-03T10:00:00</DtTm></ValDt><AcctSvcrRef>R-1</AcctSvcrRef></Ntry>"
    )
    [found], info = parse_camt(stream(CAMT.format(entries=entries)))
    assert (found.posted_on, found.amount, found.currency) == (
        date(2024, 1, 3),
        Decimal("-12.5"),
        "CHF",
    )
    assert info.account_id_hint == "1234"
    assert info.closing_balance is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"><BkToCstmrAcctRpt/>'
            "</Document>",
            "not a CAMT.053 bank statement (it is camt.052.001.02)",
        ),
        ("<html><body>Sign in</body></html>", "not a CAMT.053 bank statement (it is html)"),
        (CAMT.format(entries="<Ntry>"), "the XML is malformed: mismatched tag"),
        (CAMT.format(entries="")[:200], "the XML is malformed: unclosed token"),
        (CAMT.format(entries="").split("</Stmt>")[0], "the XML is malformed: no element found"),
        (
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Document>&b;</Document>',
            "declares a DTD or entities",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<Document>&x;</Document>",
            "declares a DTD or entities",
        ),
        (
            CAMT.replace("<Stmt>", "").replace("</Stmt>", "").format(entries=""),
            "holds no statement",
        ),
    ],
)
def test_what_is_not_a_camt053_statement_is_refused(text: str, reason: str) -> None:
    with pytest.raises(ParseFailed, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_camt(stream(text))


def test_two_accounts_in_one_file_are_refused() -> None:
    two = CAMT.format(entries="").replace(
        "</Stmt>",
        "</Stmt><Stmt><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct></Stmt>",
    )
    with pytest.raises(ParseFailed, match="statements of 2 accounts"):
        parse_camt(stream(two))


def test_an_unknown_xml_encoding_is_refused() -> None:
    with pytest.raises(ParseFailed, match="encoding that does not exist"):
        parse_camt(stream('<?xml version="1.0" encoding="TF-8"?><Document/>'))
