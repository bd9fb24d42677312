"""From parsed records to rows ready to write: amounts in minor units, fingerprints, then
(only for rows that are not exact duplicates) rules, file categories, merchant aliases
and the learned categoriser.

Where a row's category comes from, first that applies:
1. rule — the first matching rule that sets a category (rules_engine.py);
2. file — the file's own category column (QIF, Firefly III, YNAB, Mint, Actual) when it
   names one of the household's categories;
3. learned — a suggestion from the household's history, flagged as such in the preview
   and applied at commit only when asked and confident enough (learned.APPLY_THRESHOLD);
4. none.
A split row (QIF, Coffer's export) has no category of its own: its lines carry them.

Tags a rule sets come first; tags the file names (Coffer's export) that are among the
household's are added after them (tag_names.py), once each.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from coffer.core.categorise import Categoriser
from coffer.imports import learned
from coffer.imports.alias_match import AliasMatcher
from coffer.imports.category_names import CategoryNames
from coffer.imports.fingerprint import Fingerprinter
from coffer.imports.merchants import MerchantResolver
from coffer.imports.parsers.records import ParsedTransaction, ParseFailed, ProblemLog
from coffer.imports.rules_engine import RuleEngine
from coffer.imports.tag_names import TagNames

PAYEE_MAX = 500
MEMO_MAX = 2000
SPLIT_MEMO_MAX = 500

Line = tuple[uuid.UUID | None, int, str | None]  # category, amount_minor, memo


@dataclass(frozen=True, slots=True)
class Existing:
    """A transaction already in the account that a row may duplicate."""

    id: uuid.UUID
    posted_on: date
    amount_minor: int
    payee: str | None


@dataclass(slots=True)
class Row:
    """One transaction of the file on its way into the ledger."""

    line: int
    posted_on: date
    amount_minor: int
    payee: str
    memo: str | None
    external_id: str | None
    fingerprint: str
    file_category: str | None
    raw_splits: tuple[tuple[str | None, int, str | None], ...] = ()
    file_tags: tuple[str, ...] = ()
    category_id: uuid.UUID | None = None
    category_source: str = "none"
    rule_id: uuid.UUID | None = None
    tag_ids: tuple[uuid.UUID, ...] = ()
    merchant_id: uuid.UUID | None = None
    merchant_name: str | None = None
    merchant_key: str | None = None  # the name casefolded: how merchants are unique
    suggestion: tuple[uuid.UUID, float] | None = None
    lines: tuple[Line, ...] = ()
    duplicate_of: uuid.UUID | None = None
    fuzzy: Existing | None = None  # set by dedupe.FuzzyFinder


@dataclass
class Staging:
    """Turns parsed records into rows: exact amounts, cleaned text, fingerprints.

    Problems that are the import's rather than the parser's (an amount in another
    currency, too many decimals) are logged with their line like the parser's own, and
    once any is found no further row is handed out; `finish` raises them all.
    """

    account_id: uuid.UUID
    currency: str
    minor_units: int
    fingerprints: Fingerprinter = field(init=False)
    problems: ProblemLog = field(default_factory=ProblemLog)

    def __post_init__(self) -> None:
        self.fingerprints = Fingerprinter(self.account_id)

    def rows(self, records: Iterable[ParsedTransaction]) -> Iterator[Row]:
        units, currency = self.minor_units, self.currency
        problems = self.problems.problems
        content, external = self.fingerprints.content, self.fingerprints.external
        try:
            for record in records:
                amount = _minor(record.amount, units)
                if amount is None:
                    self.problems.add(
                        record.line,
                        f"{record.amount} has more than {units} decimal places, "
                        f"the most {currency} allows",
                    )
                    continue
                if record.currency is not None and record.currency != currency:
                    self.problems.add(
                        record.line,
                        f"the amount is in {record.currency} but the account is in {currency}",
                    )
                    continue
                if problems:
                    continue  # the file will be refused: keep reading only to report
                payee = record.payee.strip()[:PAYEE_MAX]
                memo = record.memo.strip()
                if record.check_number:
                    memo = (
                        f"{memo} (check {record.check_number})"
                        if memo
                        else (f"Check {record.check_number}")
                    )
                ext = record.external_id
                yield Row(
                    record.line,
                    record.posted_on,
                    amount,
                    payee,
                    memo[:MEMO_MAX] or None,
                    ext,
                    external(ext) if ext else content(record.posted_on, amount, payee),
                    record.category,
                    self._splits(record) if record.splits else (),
                    record.tags,
                )
        except ParseFailed as failed:
            for problem in failed.problems:
                self.problems.add(problem.line, problem.message, problem.column)
            self.problems.omitted += failed.omitted
        self.finish()

    def _splits(self, record: ParsedTransaction) -> tuple[tuple[str | None, int, str | None], ...]:
        lines = []
        for split in record.splits:
            amount = _minor(split.amount, self.minor_units)
            if amount is None:
                self.problems.add(record.line, f"split amount {split.amount} has too many decimals")
                return ()
            lines.append((split.category, amount, split.memo.strip()[:SPLIT_MEMO_MAX] or None))
        return tuple(lines)

    def finish(self) -> None:
        if self.problems:
            self.problems.problems.sort(key=lambda p: p.line)
            self.problems.raise_if_any()


def _minor(amount: Decimal, units: int) -> int | None:
    scaled = amount.scaleb(units)
    whole = int(scaled)
    return whole if whole == scaled else None


class Enricher:
    """Rules, file categories, aliases, merchants and suggestions for new rows."""

    def __init__(
        self,
        *,
        account_id: uuid.UUID,
        rules: RuleEngine,
        aliases: AliasMatcher,
        categories: CategoryNames,
        tags: TagNames,
        merchants: MerchantResolver,
        categoriser: Callable[[], learned.Loaded | None],
    ) -> None:
        self.account_key = str(account_id)
        self.rules = rules
        self.aliases = aliases
        self.categories = categories
        self.tags = tags
        self.merchants = merchants
        self._categoriser_factory = categoriser
        self.loaded: learned.Loaded | None = None
        self._categoriser_loaded = False

    @property
    def categoriser(self) -> Categoriser | None:
        """Loaded (or trained) on first need: an import of duplicates never needs it."""
        if not self._categoriser_loaded:
            self.loaded = self._categoriser_factory()
            self._categoriser_loaded = True
        return self.loaded.model if self.loaded is not None else None

    def enrich(self, rows: Iterable[Row]) -> None:
        apply_rules = self.rules.apply if len(self.rules) else None
        alias_for = self.aliases.merchant_for if not self.aliases.empty else None
        resolve = self.categories.resolve
        resolve_tags = self.tags.resolve
        derived, named = self.merchants.derived, self.merchants.named
        for row in rows:
            merchant: tuple[str, str] | None = None
            if apply_rules is not None:
                outcome = apply_rules(row.payee, row.memo or "", row.amount_minor)
                if outcome is not None:
                    row.tag_ids = outcome.tag_ids
                    if outcome.memo is not None:
                        row.memo = outcome.memo
                    if outcome.merchant is not None:
                        merchant = named(outcome.merchant)
                    if outcome.category_id is not None:
                        row.category_id = outcome.category_id
                        row.category_source = "rule"
                        row.rule_id = outcome.category_rule_id
            if row.file_tags:
                named_tags = resolve_tags(row.file_tags)
                if named_tags:
                    row.tag_ids = tuple(dict.fromkeys((*row.tag_ids, *named_tags)))
            if row.raw_splits:
                row.lines = tuple((resolve(c), a, m) for c, a, m in row.raw_splits)
                row.category_id, row.category_source, row.rule_id = None, "split", None
            elif row.category_id is None and row.file_category:
                found = resolve(row.file_category)
                if found is not None:
                    row.category_id, row.category_source = found, "file"
            if merchant is None:
                merchant_id = alias_for(row.payee) if alias_for else None
                if merchant_id is not None:
                    row.merchant_id = merchant_id
                else:
                    merchant = derived(row.payee)
            if merchant is not None:
                row.merchant_name, row.merchant_key = merchant
            if row.category_id is None and not row.lines and row.payee:
                model = self.categoriser
                if model is not None:
                    row.suggestion = learned.suggest(
                        model, row.payee, row.amount_minor, self.account_key
                    )
