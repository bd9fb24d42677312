"""OFX 1.x (SGML), OFX 2.x (XML) and QFX bank and credit card statements.

One file may hold several statements only if they are of the same account: the importer
puts a file's transactions into one account, so a file of several accounts is refused
rather than mixed. Dates are the first eight digits of DTPOSTED, the day as the bank
wrote it: converting the time and offset to UTC would move evening transactions.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from typing import BinaryIO
from xml.sax.saxutils import unescape

from coffer.imports.parsers.ofx_tree import LINE, read_tree
from coffer.imports.parsers.records import (
    ParsedTransaction,
    ParseFailed,
    ProblemLog,
    StatementInfo,
    account_hint,
)
from coffer.imports.parsers.text import read_document

_AMOUNT = re.compile(r"[+-]?\d{1,18}(?:[.,]\d{1,8})?")
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_ENTITIES = {"&nbsp;": " ", "&apos;": "'", "&quot;": '"'}


def parse_ofx(stream: BinaryIO) -> tuple[list[ParsedTransaction], StatementInfo]:
    root = read_tree(read_document(stream))
    statements = [*root.iter("STMTRS"), *root.iter("CCSTMTRS")]
    if not statements:
        raise ParseFailed.at(_line(root), _no_statement_reason(root))
    accounts = {_account_id(statement) for statement in statements}
    if len(accounts) > 1:
        raise ParseFailed.at(
            _line(statements[1]),
            f"the file holds statements of {len(accounts)} accounts; export one account per file",
        )
    log = ProblemLog()
    transactions = [
        transaction
        for statement in statements
        for element in statement.iter("STMTTRN")
        if (transaction := _transaction(element, _text(statement, "CURDEF"), log)) is not None
    ]
    info = _statement_info(statements[-1], log)
    log.raise_if_any()
    return transactions, info


def _transaction(
    element: ET.Element, currency: str | None, log: ProblemLog
) -> ParsedTransaction | None:
    line = _line(element)
    posted = _date(element, "DTPOSTED", log)
    amount = _amount(element, "TRNAMT", log)
    if posted is None or amount is None:
        return None
    payee = _text(element, "NAME") or _text(element, "PAYEE/NAME") or ""
    return ParsedTransaction(
        line,
        posted,
        amount,
        payee,
        _text(element, "MEMO") or "",
        external_id=_text(element, "FITID"),
        currency=_text(element, "CURRENCY/CURSYM") or currency,
        check_number=_text(element, "CHECKNUM"),
    )


def _statement_info(statement: ET.Element, log: ProblemLog) -> StatementInfo:
    balance = statement.find("LEDGERBAL")
    return StatementInfo(
        account_id_hint=account_hint(_account_id(statement)),
        currency=_text(statement, "CURDEF"),
        closing_balance=_amount(balance, "BALAMT", log) if balance is not None else None,
        closing_on=_date(balance, "DTASOF", log) if balance is not None else None,
    )


def _account_id(statement: ET.Element) -> str | None:
    return _text(statement, "BANKACCTFROM/ACCTID") or _text(statement, "CCACCTFROM/ACCTID")


def _no_statement_reason(root: ET.Element) -> str:
    for status in root.iter("STATUS"):
        if _text(status, "SEVERITY") == "ERROR":
            said = _text(status, "MESSAGE") or f"code {_text(status, 'CODE')}"
            return f"the bank's file reports an error instead of a statement: {said}"
    return "the file holds no bank or credit card statement (investment files are not read)"


def _text(element: ET.Element, path: str) -> str | None:
    found = element.findtext(path)
    return unescape(found.strip(), _ENTITIES) or None if found else None


def _line(element: ET.Element) -> int:
    return int(element.get(LINE, "0"))


def _date(element: ET.Element, tag: str, log: ProblemLog) -> date | None:
    text = _text(element, tag)
    match = _DATE.match(text or "")
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    where = element.find(tag)
    problem = f"<{tag}> is missing" if text is None else f"<{tag}> {text[:30]!r} is not a date"
    log.add(_line(where if where is not None else element), problem, tag)
    return None


def _amount(element: ET.Element, tag: str, log: ProblemLog) -> Decimal | None:
    text = _text(element, tag)
    if text is not None and _AMOUNT.fullmatch(text):
        # The OFX specification lets a comma be the decimal mark.
        return Decimal(text.replace(",", "."))
    where = element.find(tag)
    problem = f"<{tag}> is missing" if text is None else f"<{tag}> {text[:30]!r} is not an amount"
    log.add(_line(where if where is not None else element), problem, tag)
    return None
