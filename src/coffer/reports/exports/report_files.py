"""A report's table (coffer.reports.tables) as a CSV file or an XLSX workbook.

CSV: one header row, then the rows. A money column's title names the currency
("Total (EUR)"); amounts are plain decimal strings ("-1234.50"), months are "2026-03",
empty cells are empty. Text that a spreadsheet would run as a formula starts with an
apostrophe, as in the transaction export. What the table cannot say in its columns
(the period, the filters' effect, rates that were missing) is not in the CSV: the XLSX
file carries it on a second sheet, "About".

XLSX: the table on a sheet named after the report, with a frozen bold header, date
cells for months, number cells with the currency's decimals for amounts; then "About":
the report, the household's currency, the period, notes and any missing rates.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from coffer.ledger.export_csv import safe_text
from coffer.reports.exports.xlsx import MEDIA_TYPE as XLSX_MEDIA_TYPE
from coffer.reports.exports.xlsx import cell_text, number_format
from coffer.reports.tables import Cell, Column, Table

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
MONTH_FORMAT = "yyyy-mm"
PERCENT_FORMAT = "0.0"

__all__ = ["CSV_MEDIA_TYPE", "XLSX_MEDIA_TYPE", "as_file", "csv_text", "filename", "xlsx_bytes"]


def filename(table: Table, extension: str) -> str:
    period = f"{table.date_from.isoformat()}-{table.date_to.isoformat()}"
    return f"coffer-{table.slug}-{period}.{extension}"


def _title(column: Column, currency: str) -> str:
    return f"{column.title} ({currency})" if column.kind == "money" else column.title


def _csv_cell(value: Cell, column: Column) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%Y-%m") if column.kind == "month" else value.isoformat()
    if isinstance(value, Decimal | int):
        return str(value)
    return safe_text(value)


def csv_text(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_text(_title(c, table.currency)) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v, c) for v, c in zip(row, table.columns, strict=True)])
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # A sheet name has at most 31 characters and none of []:*?/\
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return cleaned[:31] or "Report"


def xlsx_bytes(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_title(table.title)
    bold = Font(bold=True)
    money_format = number_format(table.currency)
    sheet.append([cell_text(_title(c, table.currency)) for c in table.columns])
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    for row in table.rows:
        sheet.append([cell_text(v) if isinstance(v, str) else v for v in row])
        for cell, column in zip(sheet[sheet.max_row], table.columns, strict=True):
            if column.kind == "money":
                cell.number_format = money_format
            elif column.kind == "month" and isinstance(cell.value, date):
                cell.number_format = MONTH_FORMAT
            elif column.kind == "percent":
                cell.number_format = PERCENT_FORMAT
    for index, column in enumerate(table.columns, start=1):
        width = 14 if column.kind != "text" else 24
        sheet.column_dimensions[get_column_letter(index)].width = max(
            width, min(40, len(_title(column, table.currency)) + 2)
        )

    about = book.create_sheet("About")
    about.append(["Report", table.title])
    about.append(["Currency", table.currency])
    about.append(["From", table.date_from])
    about.append(["To", table.date_to])
    about["B3"].number_format = "yyyy-mm-dd"
    about["B4"].number_format = "yyyy-mm-dd"
    for note in table.notes:
        about.append(["Note", cell_text(note)])
    if table.missing_rates:
        about.append(
            [
                "Missing rates",
                "These amounts have no exchange rate on their day and are in no figure: "
                "add the rates to complete the report.",
            ]
        )
        for code, on in table.missing_rates:
            about.append([code, on])
            about.cell(row=about.max_row, column=2).number_format = "yyyy-mm-dd"
    for cell in about["A"]:
        cell.font = bold
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 80

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_file(table: Table, extension: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the table as "csv" or "xlsx"."""
    if extension == "csv":
        return csv_text(table).encode("utf-8"), CSV_MEDIA_TYPE, filename(table, "csv")
    return xlsx_bytes(table), XLSX_MEDIA_TYPE, filename(table, "xlsx")
