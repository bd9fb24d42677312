"""The ledger's own errors, each a leaf of coffer.errors (which carries the status)."""

from __future__ import annotations

from coffer.errors import RuleViolation, ValidationFailed


class UnbalancedSplit(ValidationFailed):
    """Split lines that do not add up exactly to the transaction."""


class ReconciledLocked(RuleViolation):
    """A reconciled transaction's amount, date, account or status, or its deletion."""

    slug = "reconciled-locked"
    title = "This transaction is reconciled"


class AccountClosed(RuleViolation):
    slug = "account-closed"
    title = "This account is closed"


class MissingRate(RuleViolation):
    slug = "missing-fx-rate"
    title = "No exchange rate"
