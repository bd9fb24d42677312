"""Mappings for the CSV exports of the apps people move from, with their real headers.

- Firefly III: Data management > Export data (ExportDataGenerator). One row per
  journal; `amount` is negative for withdrawals; dates are ISO 8601 with an offset;
  the counterparty is `destination_name` for money out and `source_name` for money in.
- Actual Budget: the account "Export" (export-to-csv.ts). `Amount` is signed; a split
  appears as a parent row with Amount 0 (its total in `Split_Amount`) and one row per
  part, so zero rows are skipped and the parts import as transactions.
- YNAB: the "Register" CSV of "Export budget data". Outflow and Inflow columns with
  currency symbols ("$1,234.56"); the date order follows the budget's settings, so the
  format is detected and ambiguity refused.
- Mint: transactions.csv. Positive amounts with "debit" or "credit" in "Transaction Type".
- Coffer: its own export (GET /api/v1/transactions/export.csv). Signed ISO amounts, the
  transaction id as the bank id (so a second import adds nothing), "Parent:Child"
  categories, tags, and split parts in the `splits` column (absent from exports made
  before it was added); the export's guard against spreadsheet formulas is taken off.
"""

from __future__ import annotations

from coffer.imports.parsers.csv_mapping import CsvMapping
from coffer.imports.parsers.headers import fold

PRESETS: dict[str, CsvMapping] = {
    "firefly": CsvMapping(
        date_column="date",
        date_format="%Y-%m-%dT%H:%M:%S%z",
        amount_column="amount",
        payee_column="destination_name",
        payee_in_column="source_name",
        memo_columns=("description", "notes"),
        external_id_column="journal_id",
        category_column="category",
        currency_column="currency_code",
        delimiter=",",
    ),
    "actual": CsvMapping(
        date_column="Date",
        date_format="%Y-%m-%d",
        amount_column="Amount",
        payee_column="Payee",
        memo_columns=("Notes",),
        category_column="Category",
        delimiter=",",
        skip_zero=True,
    ),
    "ynab": CsvMapping(
        date_column="Date",
        date_format="auto",
        debit_column="Outflow",
        credit_column="Inflow",
        payee_column="Payee",
        memo_columns=("Memo",),
        category_column="Category Group/Category",
        delimiter=",",
    ),
    "mint": CsvMapping(
        date_column="Date",
        date_format="%m/%d/%Y",
        amount_column="Amount",
        direction_column="Transaction Type",
        debit_markers=("debit",),
        payee_column="Description",
        memo_columns=("Original Description", "Notes"),
        category_column="Category",
        delimiter=",",
    ),
    "coffer": CsvMapping(
        date_column="date",
        date_format="%Y-%m-%d",
        amount_column="amount",
        payee_column="payee",
        memo_columns=("memo",),
        external_id_column="id",
        category_column="category",
        currency_column="currency",
        tags_column="tags",
        splits_column="splits",
        delimiter=",",
        formula_guard=True,
    ),
}

# Columns that together identify an export; extra columns (newer versions) are fine.
_SIGNATURES: dict[str, frozenset[str]] = {
    "firefly": frozenset(
        {"journal id", "group id", "type", "amount", "date", "source name", "destination name"}
    ),
    "ynab": frozenset(
        {"account", "flag", "date", "payee", "category group category", "memo", "outflow", "inflow"}
    ),
    "mint": frozenset(
        {"date", "description", "original description", "amount", "transaction type"}
    ),
    "actual": frozenset({"account", "date", "payee", "notes", "category", "amount", "cleared"}),
    "coffer": frozenset(
        {"id", "date", "account", "amount", "currency", "payee", "merchant", "category", "memo"}
    ),
}


def preset(name: str) -> CsvMapping:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"no preset named {name!r}; there are {', '.join(PRESETS)}") from None


def detect_preset(header: list[str]) -> str | None:
    """The preset whose export has this header, or None."""
    folded = {fold(name) for name in header}
    for name, signature in _SIGNATURES.items():
        if signature <= folded:
            return name
    return None
