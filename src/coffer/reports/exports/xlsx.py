"""A transaction search as an XLSX workbook: the CSV export's columns, typed.

The columns, their order and their text are those of coffer.ledger.export_csv (see
there): the rows come from the same search, newest first. What a spreadsheet gains:

- `date` is a date cell and `amount` a number cell formatted with the currency's
  decimals ("#,##0.00", JPY "#,##0", BHD "#,##0.000"), so sums and sorting work at once;
- the header row is frozen and bold;
- text stays text. Cells are written as typed strings, which a spreadsheet never runs as
  formulas, so the CSV's leading-apostrophe guard is not needed and not added (it would
  show). Characters XML cannot hold (most control characters) are dropped.

The workbook is built with openpyxl's write-only mode: rows go to a temporary file as
they are read, a page of the search at a time, and the finished file is streamed from
disk, so a large export never sits in memory. A sheet holds at most 1,048,575 rows
under its header; a longer export continues on "Transactions 2", and so on.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from coffer.core.money import currency, from_minor
from coffer.ledger import service
from coffer.ledger.export_csv import COLUMNS, PAGE_ROWS, TAG_SEPARATOR, Names, splits_text

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE = "Transactions"
MAX_SHEET_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
CHUNK_BYTES = 64 * 1024
DATE_FORMAT = "yyyy-mm-dd"
_WIDTHS = {"id": 38, "date": 12, "account": 24, "amount": 14, "payee": 30, "memo": 30}


def number_format(code: str) -> str:
    places = currency(code).minor_units
    return "#,##0." + "0" * places if places else "#,##0"


def cell_text(value: str | None) -> str | None:
    if not value:
        return None
    return ILLEGAL_CHARACTERS_RE.sub("", value) or None


def row_values(view: service.TransactionView, names: Names) -> list[Any]:
    """The CSV export's row (export_csv.row_of) as typed values, unguarded."""
    txn = view.txn
    category = (
        None if txn.is_split or txn.category_id is None else names.categories.get(txn.category_id)
    )
    tags = TAG_SEPARATOR.join(sorted(names.tags[t] for t in view.tag_ids if t in names.tags))
    return [
        str(txn.id),
        txn.posted_on,
        cell_text(names.accounts.get(txn.account_id)),
        from_minor(txn.amount_minor, view.currency),
        view.currency,
        cell_text(txn.payee),
        cell_text(view.merchant_name),
        cell_text(category),
        cell_text(tags),
        cell_text(txn.memo),
        txn.status,
        cell_text(splits_text(view.splits, view.currency, names)) if txn.is_split else None,
    ]


class _Sheets:
    """Write-only sheets of the workbook, a new one whenever the last is full."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.sheet: Any = None
        self.rows = 0
        self.count = 0
        self.formats: dict[str, str] = {}

    def _new_sheet(self) -> None:
        self.count += 1
        title = SHEET_TITLE if self.count == 1 else f"{SHEET_TITLE} {self.count}"
        sheet = self.workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(COLUMNS):
            sheet.column_dimensions[get_column_letter(index + 1)].width = _WIDTHS.get(column, 16)
        bold = Font(bold=True)
        header = []
        for column in COLUMNS:
            cell = WriteOnlyCell(sheet, value=column)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        self.sheet, self.rows = sheet, 0

    def append(self, values: list[Any]) -> None:
        if self.sheet is None or self.rows >= MAX_SHEET_ROWS:
            self._new_sheet()
        sheet = self.sheet
        cells: list[Any] = []
        for column, value in zip(COLUMNS, values, strict=True):
            if column == "date":
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DATE_FORMAT
            elif column == "amount":
                code = values[COLUMNS.index("currency")]
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = self.formats.setdefault(code, number_format(code))
            else:
                cell = WriteOnlyCell(sheet, value=value)
                if value is not None:
                    # A string, even one that starts with "=" or reads like "#N/A".
                    cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        self.rows += 1

    def finish(self) -> None:
        if self.sheet is None:
            self._new_sheet()


def write_workbook(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    filters: service.TransactionFilter,
    target: IO[bytes],
    page_rows: int = PAGE_ROWS,
) -> int:
    """Write the search's rows into `target` as an XLSX file; the number of rows."""
    names = Names.load(session, tenant_id=tenant_id)
    workbook = Workbook(write_only=True)
    sheets = _Sheets(workbook)
    count = 0
    cursor: str | None = None
    while True:
        page = service.search_transactions(
            session, tenant_id=tenant_id, filters=filters, limit=page_rows, cursor=cursor
        )
        for view in page.items:
            sheets.append(row_values(view, names))
            count += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    sheets.finish()
    workbook.save(target)
    return count


def stream_file(spooled: IO[bytes], chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The file's bytes from the start, a chunk at a time; closes it at the end."""
    with spooled:
        spooled.seek(0)
        while chunk := spooled.read(chunk_bytes):
            yield chunk


def workbook_file(
    session: Session, *, tenant_id: uuid.UUID, filters: service.TransactionFilter
) -> IO[bytes]:
    """The finished workbook in a temporary file (in memory while it is small)."""
    spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        write_workbook(session, tenant_id=tenant_id, filters=filters, target=spooled)
    except BaseException:
        spooled.close()
        raise
    return spooled
