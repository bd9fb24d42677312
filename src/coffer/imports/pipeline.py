"""The import pipeline, shared by the preview and the commit:

    parse (streamed) -> stage (minor units, fingerprints) -> exact duplicates (per chunk)
    -> enrich new rows (rules, file categories and tags, aliases, merchants, learned
       suggestion)
    -> fuzzy duplicates -> preview, or write (rows, lines, tags, suggestions) -> aggregates

The file is read once, in chunks of CHUNK_ROWS rows; memory holds one chunk and the
per-import caches, never the file. Nothing here commits: the commit's caller owns the
one database transaction, so a file refused at its last line leaves no trace.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from coffer.core.money import currency
from coffer.db.session import set_context
from coffer.imports import learned
from coffer.imports.alias_match import AliasMatcher, AliasSpec
from coffer.imports.category_names import CategoryNames
from coffer.imports.dedupe import FuzzyFinder, exact_matches, has_fingerprints
from coffer.imports.enrich import Enricher, Row, Staging
from coffer.imports.merchants import MerchantResolver
from coffer.imports.models import ImportBatch, MerchantAlias, Rule
from coffer.imports.parsers.records import StatementInfo
from coffer.imports.reading import open_batch
from coffer.imports.rules_engine import RuleEngine, RuleSpec
from coffer.imports.storage import UploadStore
from coffer.imports.tag_names import TagNames
from coffer.imports.writer import BatchWriter, WriteQueue
from coffer.ledger.models import Account

CHUNK_ROWS = 5000
Progress = Callable[[int], None]


@dataclass
class Counts:
    parsed: int = 0
    added: int = 0
    duplicates: int = 0
    fuzzy: int = 0
    skipped: int = 0
    suggested: int = 0
    categorised: dict[str, int] = field(default_factory=dict)  # by source

    def count_sources(self, rows: Iterable[Row]) -> None:
        for source, count in Counter(row.category_source for row in rows).items():
            self.categorised[source] = self.categorised.get(source, 0) + count


@dataclass
class Context:
    """Everything compiled once per import: rules, aliases, names, merchants, model."""

    staging: Staging
    enricher: Enricher
    fuzzy: FuzzyFinder
    merchants: MerchantResolver
    categories: CategoryNames
    tags: TagNames


def rule_specs(session: Session, tenant_id: uuid.UUID) -> list[RuleSpec]:
    rules = session.scalars(
        select(Rule)
        .where(Rule.tenant_id == tenant_id, Rule.enabled.is_(True))
        .order_by(Rule.position, Rule.created_at, Rule.id)
    )
    return [RuleSpec(r.id, r.conditions, r.actions, r.stop_processing) for r in rules]


def alias_specs(session: Session, tenant_id: uuid.UUID) -> list[AliasSpec]:
    aliases = session.scalars(
        select(MerchantAlias)
        .where(MerchantAlias.tenant_id == tenant_id)
        .order_by(MerchantAlias.created_at, MerchantAlias.id)
    )
    return [AliasSpec(a.pattern, a.match, a.merchant_id) for a in aliases]


def build_context(session: Session, *, batch: ImportBatch, account: Account) -> Context:
    """Compile what the import needs, reading through `session`."""
    tenant_id = batch.tenant_id
    units = currency(account.currency).minor_units
    categories = CategoryNames(session, tenant_id)
    tags = TagNames(session, tenant_id)
    rules = RuleEngine(
        rule_specs(session, tenant_id),
        account_id=account.id,
        minor_units=units,
        known_categories=categories.ids,
        known_tags=tags.ids,
    )
    merchants = MerchantResolver(session, tenant_id)
    enricher = Enricher(
        account_id=account.id,
        rules=rules,
        aliases=AliasMatcher(alias_specs(session, tenant_id)),
        categories=categories,
        tags=tags,
        merchants=merchants,
        categoriser=lambda: learned.load(session, tenant_id=tenant_id),
    )
    return Context(
        staging=Staging(account.id, account.currency, units),
        enricher=enricher,
        fuzzy=FuzzyFinder(session, tenant_id=tenant_id, account_id=account.id, batch_id=batch.id),
        merchants=merchants,
        categories=categories,
        tags=tags,
    )


def chunks(rows: Iterator[Row], size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def split_duplicates(
    session: Session, batch: ImportBatch, account: Account, chunk: list[Row], *, lookup: bool = True
) -> tuple[list[Row], int]:
    """The rows of `chunk` not yet in the account (duplicates get row.duplicate_of)."""
    if not lookup:
        return chunk, 0
    existing = exact_matches(
        session,
        tenant_id=batch.tenant_id,
        account_id=account.id,
        fingerprints=[row.fingerprint for row in chunk],
    )
    if not existing:
        return chunk, 0
    new = []
    for row in chunk:
        found = existing.get(row.fingerprint)
        if found is None:
            new.append(row)
        else:
            row.duplicate_of = found
    return new, len(chunk) - len(new)


@dataclass
class CommitOutcome:
    counts: Counts
    statement: StatementInfo | None
    fuzzy_pairs: list[dict[str, Any]]
    unmatched_categories: dict[str, int]
    unmatched_tags: dict[str, int]
    tagged: int


MAX_FUZZY_LISTED = 100


@contextmanager
def reader_for(session: Session) -> Iterator[Session]:
    """A second connection for the import's reads, in its own read-only transaction.

    The session's own connection belongs to the writer thread while the import runs.
    What the reader cannot see (this import's uncommitted rows) it needs not see: rows
    of one file never share a fingerprint. An in-memory SQLite database has no second
    connection to the same data, so there the session itself reads (and nothing runs
    in a thread).
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        yield session
        return
    reader = Session(bind=engine)
    try:
        set_context(
            reader, user_id=session.info.get("user_id"), tenant_id=session.info.get("tenant_id")
        )
        yield reader
    finally:
        reader.rollback()
        reader.close()


def commit_rows(
    session: Session,
    *,
    batch: ImportBatch,
    account: Account,
    store: UploadStore,
    skip_lines: frozenset[int],
    apply_suggestions: bool,
    progress: Progress | None = None,
) -> CommitOutcome:
    """Write every new row of the batch's file (raises FileRefused / ParseFailed).

    Reads go through a second connection (`reader_for`); the statements that write run
    on the session's connection, in a thread of their own (writer.WriteQueue).
    """
    writer = BatchWriter(
        session,
        tenant_id=batch.tenant_id,
        account_id=account.id,
        batch_id=batch.id,
        apply_suggestions=apply_suggestions,
        apply_threshold=learned.APPLY_THRESHOLD,
    )
    counts = Counts()
    pairs: list[dict[str, Any]] = []
    with reader_for(session) as reader:
        context = build_context(reader, batch=batch, account=account)
        lookup = has_fingerprints(reader, tenant_id=batch.tenant_id, account_id=account.id)
        pipe = WriteQueue(writer, session, threaded=reader is not session)
        try:
            with open_batch(batch, store) as opened:
                for chunk in chunks(context.staging.rows(opened.records)):
                    counts.parsed += len(chunk)
                    new, duplicates = split_duplicates(reader, batch, account, chunk, lookup=lookup)
                    counts.duplicates += duplicates
                    if skip_lines:
                        kept = [row for row in new if row.line not in skip_lines]
                        counts.skipped += len(new) - len(kept)
                        new = kept
                    context.enricher.enrich(new)
                    counts.fuzzy += context.fuzzy.find(new)
                    for row in new:
                        if row.fuzzy is not None and len(pairs) < MAX_FUZZY_LISTED:
                            pairs.append({"line": row.line, "transaction_id": str(row.fuzzy.id)})
                    created = context.merchants.plan((r.merchant_name, r.merchant_key) for r in new)
                    pipe.submit(writer.prepare(new, context.merchants.ids, created))
                    counts.count_sources(new)
                    if progress is not None:
                        progress(counts.parsed)
                statement = opened.statement
            pipe.close()
        except BaseException:
            pipe.abort()
            raise
    writer.finish()
    if context.enricher.loaded is not None:
        learned.store(session, tenant_id=batch.tenant_id, loaded=context.enricher.loaded)
    counts.added, counts.suggested = writer.added, writer.suggested
    return CommitOutcome(
        counts=counts,
        statement=statement,
        fuzzy_pairs=pairs,
        unmatched_categories=dict(context.categories.unmatched.most_common(50)),
        unmatched_tags=dict(context.tags.unmatched.most_common(50)),
        tagged=writer.tagged,
    )


@dataclass
class PreviewOutcome:
    rows: list[Row]
    counts: Counts
    complete: bool
    statement: StatementInfo | None
    context: Context


def preview_rows(
    session: Session,
    *,
    batch: ImportBatch,
    account: Account,
    store: UploadStore,
    limit: int,
    scan_limit: int,
) -> PreviewOutcome:
    """The first `limit` rows as they would be imported, and counts over the first
    `scan_limit` rows (the whole file when it is no longer)."""
    context = build_context(session, batch=batch, account=account)
    counts = Counts()
    shown: list[Row] = []
    complete = True
    with open_batch(batch, store) as opened:
        rows = context.staging.rows(opened.records)
        for chunk in chunks(rows, min(CHUNK_ROWS, scan_limit)):
            counts.parsed += len(chunk)
            new, duplicates = split_duplicates(session, batch, account, chunk)
            counts.duplicates += duplicates
            context.enricher.enrich(new)
            counts.fuzzy += context.fuzzy.find(new)
            counts.count_sources(new)
            counts.suggested += sum(
                1
                for row in new
                if row.suggestion is not None and row.suggestion[1] >= learned.APPLY_THRESHOLD
            )
            if len(shown) < limit:
                shown.extend(chunk[: limit - len(shown)])
            if counts.parsed >= scan_limit:
                complete = next(rows, None) is None
                break
        statement = opened.statement
    counts.added = counts.parsed - counts.duplicates
    return PreviewOutcome(shown, counts, complete, statement, context)
