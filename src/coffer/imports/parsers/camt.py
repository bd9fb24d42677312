"""CAMT.053 bank-to-customer statements (ISO 20022), versions 001.02 to 001.08 and on.

Read namespace-agnostically: versions differ in where names sit (RltdPties/Cdtr/Nm in
.02, RltdPties/Cdtr/Pty/Nm from .08) and in how status is written (<Sts>BOOK</Sts>
against <Sts><Cd>BOOK</Cd></Sts>), and both are accepted wherever they appear.

One transaction per entry (Ntry): an entry is one booking on the account, so a batch of
several payments stays one amount that matches the balance; its details supply the
payee (the counterparty: the creditor of a debit, the debtor of a credit) and the memo.
Entries not booked (pending or information only) are left out: they come back booked.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from coffer.imports.parsers.records import (
    ParsedTransaction,
    ParseFailed,
    ProblemLog,
    StatementInfo,
    account_hint,
)
from coffer.imports.parsers.text import read_document
from coffer.imports.parsers.xml_lines import LineTree, parse_xml

_AMOUNT = re.compile(r"\d{1,18}(?:\.\d{1,5})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_camt(stream: BinaryIO) -> tuple[list[ParsedTransaction], StatementInfo]:
    tree = parse_xml(read_document(stream))
    statements = _statements(tree)
    log = ProblemLog()
    transactions = [
        transaction
        for statement in statements
        for entry in _children(statement, "Ntry")
        if _booked(entry) and (transaction := _entry(tree, entry, log)) is not None
    ]
    info = _statement_info(tree, statements[-1], log)
    log.raise_if_any()
    return transactions, info


def _statements(tree: LineTree) -> list[ET.Element]:
    root = tree.root
    report = _child(root, "BkToCstmrStmt") if root.tag == "Document" else None
    if report is None or (tree.namespace and "camt.053" not in tree.namespace):
        kind = tree.namespace.rsplit(":", 1)[-1] or root.tag
        raise ParseFailed.at(
            tree.line(root), f"this XML is not a CAMT.053 bank statement (it is {kind})"
        )
    statements = _children(report, "Stmt")
    if not statements:
        raise ParseFailed.at(tree.line(report), "the file holds no statement (<Stmt>)")
    accounts = {_account_id(s) for s in statements}
    if len(accounts) > 1:
        raise ParseFailed.at(
            tree.line(statements[1]),
            f"the file holds statements of {len(accounts)} accounts; export one account per file",
        )
    return statements


def _entry(tree: LineTree, entry: ET.Element, log: ProblemLog) -> ParsedTransaction | None:
    line = tree.line(entry)
    amount, currency = _signed_amount(tree, entry, log)
    posted = _entry_date(tree, entry, log)
    if amount is None or posted is None:
        return None
    details = [tx for d in _children(entry, "NtryDtls") for tx in _children(d, "TxDtls")]
    return ParsedTransaction(
        line,
        posted,
        amount,
        _counterparty(details, debit=amount < 0),
        _memo(entry, details),
        external_id=_external_id(entry, details),
        currency=currency,
    )


def _signed_amount(
    tree: LineTree, element: ET.Element, log: ProblemLog
) -> tuple[Decimal | None, str | None]:
    line = tree.line(element)
    found = _child(element, "Amt")
    if found is None:
        log.add(line, "the entry has no amount (Amt)", "Amt")
        return None, None
    text = (found.text or "").strip()
    currency = found.get("Ccy", "").strip().upper() or None
    if not _AMOUNT.fullmatch(text):
        log.add(tree.line(found), f"{text[:30]!r} is not an amount", "Amt")
        return None, None
    if currency is not None and not _CURRENCY.fullmatch(currency):
        log.add(tree.line(found), f"{currency[:10]!r} is not a currency code", "Amt")
    indicator = _text(element, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        log.add(line, "CdtDbtInd must be CRDT or DBIT", "CdtDbtInd")
        return None, None
    amount = Decimal(text)
    return (-amount if indicator == "DBIT" and amount else amount), currency


def _statement_info(tree: LineTree, statement: ET.Element, log: ProblemLog) -> StatementInfo:
    account = _child(statement, "Acct")
    closing = next(
        (b for b in _children(statement, "Bal") if _balance_code(b) in ("CLBD", "CLAV")), None
    )
    amount, currency = _signed_amount(tree, closing, log) if closing is not None else (None, None)
    return StatementInfo(
        account_id_hint=account_hint(_account_id(statement)),
        currency=(_text(account, "Ccy") if account is not None else None) or currency,
        closing_balance=amount,
        closing_on=_date(_child(closing, "Dt")) if closing is not None else None,
    )


def _balance_code(balance: ET.Element) -> str | None:
    kind = _child(balance, "Tp")
    code = _child(kind, "CdOrPrtry") if kind is not None else None
    return _text(code, "Cd") if code is not None else None


def _account_id(statement: ET.Element) -> str | None:
    account = _child(statement, "Acct")
    ident = _child(account, "Id") if account is not None else None
    if ident is None:
        return None
    other = _child(ident, "Othr")
    return _text(ident, "IBAN") or (_text(other, "Id") if other is not None else None)


def _booked(entry: ET.Element) -> bool:
    status = _child(entry, "Sts")
    if status is None:
        return True
    code = _text(status, "Cd") or (status.text or "").strip()
    return code in ("BOOK", "")


def _counterparty(details: list[ET.Element], *, debit: bool) -> str:
    role = "Cdtr" if debit else "Dbtr"
    for tx in details:
        parties = _child(tx, "RltdPties")
        party = _child(parties, role) if parties is not None else None
        if party is None:
            continue
        inner = _child(party, "Pty")  # from camt.053.001.08 the name sits one level down
        name = _text(inner if inner is not None else party, "Nm")
        if name:
            return name
    return ""


def _memo(entry: ET.Element, details: list[ET.Element]) -> str:
    lines: list[str] = []
    for tx in details:
        remittance = _child(tx, "RmtInf")
        for part in _children(remittance, "Ustrd") if remittance is not None else []:
            text = (part.text or "").strip()
            if text and text not in lines:
                lines.append(text)
    if not lines:
        extra = _text(entry, "AddtlNtryInf") or next(
            (t for tx in details if (t := _text(tx, "AddtlTxInf"))), None
        )
        lines = [extra] if extra else []
    return " ".join(lines)


def _external_id(entry: ET.Element, details: list[ET.Element]) -> str | None:
    """The bank's reference for the booking. NtryRef is not used: it is unique only
    within one statement (often 1, 2, 3...), so it would make entries of different
    statements look like duplicates of each other."""
    found = _text(entry, "AcctSvcrRef")
    for tx in details if found is None else []:
        refs = _child(tx, "Refs")
        found = found or (_text(refs, "AcctSvcrRef") if refs is not None else None)
    return found


def _entry_date(tree: LineTree, entry: ET.Element, log: ProblemLog) -> date | None:
    for tag in ("BookgDt", "ValDt"):
        holder = _child(entry, tag)
        if holder is None:
            continue
        found = _date(holder)
        if found is None:
            text = _text(holder, "Dt") or _text(holder, "DtTm") or ""
            log.add(tree.line(holder), f"{text[:30]!r} is not a date", tag)
        return found
    log.add(tree.line(entry), "the entry has no booking or value date (BookgDt/ValDt)", "BookgDt")
    return None


def _date(holder: ET.Element | None) -> date | None:
    """Dt, or DtTm whose first ten characters are the day as the bank wrote it."""
    if holder is None:
        return None
    text = _text(holder, "Dt") or _text(holder, "DtTm") or ""
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    return element.find(name) if element is not None else None


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return element.findall(name)


def _text(element: ET.Element | None, name: str) -> str | None:
    found = element.findtext(name) if element is not None else None
    return found.strip() or None if found else None
