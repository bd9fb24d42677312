"""Exports of the ledger: hledger and Beancount journals of the whole book, and any
transaction search as an XLSX workbook (the CSV export lives with the ledger)."""
