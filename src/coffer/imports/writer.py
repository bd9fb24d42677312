"""Writing a batch's rows: plain DBAPI executemany in chunks, not ORM objects.

Rows go in with INSERT ... ON CONFLICT (tenant_id, account_id, fingerprint) DO NOTHING,
so the ledger's unique index is the last word on duplicates; the rows were already
looked up, so a row the database skips means another import wrote the same rows at the
same moment, and the batch is refused (Conflict) rather than counted wrongly.

The monthly aggregate (account_month) is accumulated in memory per (month, category)
and applied once, at the end, through the ledger's own `aggregates.apply`. Split lines,
tags and category suggestions are written per chunk like the rows.

Parameters are encoded per dialect by hand (UUIDs as 32 hex digits, dates and
timestamps as the text SQLAlchemy stores on SQLite; native objects for psycopg), which
keeps SQLAlchemy's per-value processing out of the hot loop.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from itertools import chain
from typing import Any

from sqlalchemy.orm import Session
from uuid_utils import uuid7

from coffer.db.base import utcnow
from coffer.errors import Conflict
from coffer.imports.enrich import Row
from coffer.imports.merchants import NewMerchant
from coffer.ledger import aggregates
from coffer.ledger.models import TransactionStatus

_TXN_COLUMNS = (
    "id",
    "tenant_id",
    "account_id",
    "posted_on",
    "amount_minor",
    "payee",
    "merchant_id",
    "memo",
    "category_id",
    "is_split",
    "status",
    "import_batch_id",
    "external_id",
    "fingerprint",
    "created_at",
    "updated_at",
)
_SPLIT_COLUMNS = (
    "id",
    "tenant_id",
    "transaction_id",
    "position",
    "category_id",
    "amount_minor",
    "memo",
)
_TAG_COLUMNS = ("id", "tenant_id", "transaction_id", "tag_id")
_MERCHANT_COLUMNS = ("id", "tenant_id", "name", "key", "created_at")
_SUGGESTION_COLUMNS = (
    "id",
    "tenant_id",
    "transaction_id",
    "import_batch_id",
    "category_id",
    "confidence_bp",
)
CLEARED = TransactionStatus.cleared.value
# sql, rows (or COPY text on PostgreSQL), rows it must write (None: not checked)
Statement = tuple[str, list[tuple[Any, ...]] | str, int | None]
COPY_TABLE = "coffer_import_rows"
ID_CACHE = 100_000
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


# SQLite's page cache for the import's connection while it writes, in KiB (the default
# is 2 MiB). A large import touches the tails of thousands of index runs at once (one
# per merchant in the merchant index, one per category, ...); with the default cache
# each of those pages is spilled to the write-ahead log and read back again and again.
# Restored when the import ends, so the pooled connection goes back as it came.
SQLITE_IMPORT_CACHE_KIB = 32768

# Rows per INSERT statement: a statement of many rows binds them all, then lets the
# database work through them without the GIL, while the next chunk is prepared.
ROWS_PER_STATEMENT = 1000


def _sql(table: str, columns: Sequence[str], mark: str, conflict: str = "", rows: int = 1) -> str:
    marks = "(" + ", ".join([mark] * len(columns)) + ")"
    values = ", ".join([marks] * rows)
    # Table and column names are this module's constants; values go in as parameters.
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}{conflict}"  # noqa: S608


def grouped(sql: str, many: str, rows: list[tuple[Any, ...]], expect: bool) -> list[Statement]:
    """`rows` as statements of ROWS_PER_STATEMENT rows each (`many`), the rest one by one."""
    whole = len(rows) - len(rows) % ROWS_PER_STATEMENT
    statements: list[Statement] = []
    if whole:
        flat = [
            tuple(chain.from_iterable(rows[start : start + ROWS_PER_STATEMENT]))
            for start in range(0, whole, ROWS_PER_STATEMENT)
        ]
        statements.append((many, flat, whole if expect else None))
    if whole < len(rows):
        rest = rows[whole:]
        statements.append((sql, rest, len(rest) if expect else None))
    return statements


class BatchWriter:
    """Writes the new rows of one batch into one account, in the caller's transaction.

    `prepare` turns rows into statements (pure Python); `execute` runs them on the
    session's connection. They are apart so the pipeline may prepare the next chunk
    while the database writes this one (pipeline.py).
    """

    def __init__(
        self,
        session: Session,
        *,
        tenant_id: uuid.UUID,
        account_id: uuid.UUID,
        batch_id: uuid.UUID,
        apply_suggestions: bool,
        apply_threshold: float,
    ) -> None:
        self._session = session
        self._tenant_id = tenant_id
        self._account_id = account_id
        self._batch_id = batch_id
        self._apply = apply_suggestions
        self._threshold = apply_threshold
        self.postgres = session.get_bind().dialect.name == "postgresql"
        mark = "%s" if self.postgres else "?"
        conflict = (
            " ON CONFLICT (tenant_id, account_id, fingerprint) WHERE fingerprint IS NOT NULL"
            " DO NOTHING"
        )
        self._txn_sql = _sql("ledger_transaction", _TXN_COLUMNS, mark, conflict)
        self._txn_many = _sql(
            "ledger_transaction", _TXN_COLUMNS, mark, conflict, rows=ROWS_PER_STATEMENT
        )
        self._split_sql = _sql("transaction_split", _SPLIT_COLUMNS, mark)
        self._tag_sql = _sql("transaction_tag", _TAG_COLUMNS, mark)
        self._suggestion_sql = _sql("category_suggestion", _SUGGESTION_COLUMNS, mark)
        self._merchant_sql = _sql(
            "merchant", _MERCHANT_COLUMNS, mark, " ON CONFLICT (tenant_id, key) DO NOTHING"
        )
        # Values go in as text on both databases (psycopg sends text as "unknown", which
        # PostgreSQL reads as the column's type): 32 hex digits, ISO dates and times.
        self._stamp = _sqlite_stamp(utcnow()) + ("+00:00" if self.postgres else "")
        self._new_id: Callable[[], str] = _new_hex
        columns = ", ".join(_TXN_COLUMNS)
        self._copy_sql = f"COPY {COPY_TABLE} ({columns}) FROM STDIN"
        self._copy_insert = (
            f"INSERT INTO ledger_transaction ({columns}) SELECT {columns} FROM {COPY_TABLE}"  # noqa: S608
            + conflict
        )
        self._ids: dict[int, tuple[uuid.UUID, str]] = {}
        self._days: dict[date, tuple[str, date]] = {}
        self.months: dict[tuple[date, uuid.UUID | None], list[int]] = {}
        self._copy_table_made = False
        self.added = 0
        self.suggested = 0
        self.tagged = 0

    def _enc(self, value: uuid.UUID) -> str:
        # Keyed by the object, not its value: hashing a UUID is a Python-level call, and
        # the same few category, merchant and tag objects come back on every row. The
        # entry holds the object, so its id cannot be reused while cached.
        found = self._ids.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        if len(self._ids) >= ID_CACHE:
            self._ids.clear()
        hexed = value.hex
        self._ids[id(value)] = (value, hexed)
        return hexed

    def _day(self, day: date) -> tuple[str, date]:
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = (day.isoformat(), day.replace(day=1))
        return found

    def prepare(
        self,
        rows: Sequence[Row],
        merchant_ids: dict[str, uuid.UUID],
        new_merchants: Sequence[NewMerchant] = (),
    ) -> list[Statement]:
        """The statements that insert `rows` (all new) with their lines, tags and marks,
        after the merchants they name for the first time."""
        statements: list[Statement] = []
        if new_merchants:
            tenant = self._enc(self._tenant_id)
            statements.append(
                (
                    self._merchant_sql,
                    [
                        (self._enc(i), tenant, name, key, self._stamp)
                        for i, name, key in new_merchants
                    ],
                    len(new_merchants),
                )
            )
        if not rows:
            return statements
        enc, days, new_id, stamp = self._enc, self._days, self._new_id, self._stamp
        tenant, account = enc(self._tenant_id), enc(self._account_id)
        batch = enc(self._batch_id)
        months = self.months
        params: list[tuple[Any, ...]] = []
        splits: list[tuple[Any, ...]] = []
        tags: list[tuple[Any, ...]] = []
        marks: list[tuple[Any, ...]] = []
        apply, threshold = self._apply, self._threshold
        for row in rows:
            txn_id = new_id()
            category = row.category_id
            suggestion = row.suggestion
            if category is None and suggestion is not None and apply and suggestion[1] >= threshold:
                category = suggestion[0]
                row.category_id, row.category_source = category, "learned"
                confidence = round(suggestion[1] * 10000)
                marks.append((new_id(), tenant, txn_id, batch, enc(category), confidence))
            merchant = row.merchant_id
            if merchant is None and row.merchant_key is not None:
                merchant = merchant_ids.get(row.merchant_key)
            day = days.get(row.posted_on) or self._day(row.posted_on)
            params.append(
                (
                    txn_id,
                    tenant,
                    account,
                    day[0],
                    row.amount_minor,
                    row.payee or None,
                    None if merchant is None else enc(merchant),
                    row.memo,
                    None if category is None else enc(category),
                    bool(row.lines),
                    CLEARED,
                    batch,
                    row.external_id,
                    row.fingerprint,
                    stamp,
                    stamp,
                )
            )
            if row.lines:
                for position, (line_category, amount, memo) in enumerate(row.lines):
                    code = None if line_category is None else enc(line_category)
                    splits.append((new_id(), tenant, txn_id, position, code, amount, memo))
                    self._count(day[1], line_category, amount)
            else:
                entry = months.get((day[1], category))
                if entry is None:
                    months[(day[1], category)] = [row.amount_minor, 1]
                else:
                    entry[0] += row.amount_minor
                    entry[1] += 1
            for tag_id in row.tag_ids:
                tags.append((new_id(), tenant, txn_id, enc(tag_id)))
        self.added += len(params)
        self.suggested += len(marks)
        self.tagged += len(tags)
        if self.postgres:
            # PostgreSQL takes the rows by COPY into a temporary table (row-level security
            # refuses COPY into the ledger itself), then one INSERT ... SELECT.
            statements.append((self._copy_insert, _copy_text(params), len(params)))
        else:
            statements.extend(grouped(self._txn_sql, self._txn_many, params, expect=True))
        for sql, values in (
            (self._split_sql, splits),
            (self._tag_sql, tags),
            (self._suggestion_sql, marks),
        ):
            if values:
                statements.append((sql, values, None))
        return statements

    def _count(self, month: date, category: uuid.UUID | None, amount: int) -> None:
        entry = self.months.setdefault((month, category), [0, 0])
        entry[0] += amount
        entry[1] += 1

    def execute(self, statements: Sequence[Statement], cursor: Any) -> None:
        """Run prepared statements on a DBAPI cursor of the session's connection."""
        for sql, values, expect in statements:
            if isinstance(values, str):
                self._copy(cursor, values)
                cursor.execute(sql)
            else:
                cursor.executemany(sql, values)
            if expect is not None and cursor.rowcount not in (-1, expect):
                raise Conflict(
                    "Another import wrote some of these transactions at the same moment; "
                    "nothing was imported. Please try again."
                )

    def _copy(self, cursor: Any, text: str) -> None:
        if not self._copy_table_made:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {COPY_TABLE} "
                "(LIKE ledger_transaction) ON COMMIT DROP"
            )
            self._copy_table_made = True
        else:
            cursor.execute(f"TRUNCATE {COPY_TABLE}")
        with cursor.copy(self._copy_sql) as copy:
            copy.write(text)

    def finish(self) -> None:
        """Apply the accumulated monthly totals to account_month."""
        deltas = aggregates.Deltas()
        for (month, category), (total, count) in self.months.items():
            deltas.add((self._account_id, month, category), total, count)
        self._session.flush()
        aggregates.apply(self._session, tenant_id=self._tenant_id, deltas=deltas)
        self.months.clear()


# While an import's writer thread runs, threads hand over the GIL every 0.5 ms instead of
# 5 ms: the writer takes it back after each statement the database ran without it, and
# with the default interval it would wait up to 5 ms each time (a third of its time, on
# SQLite). Process-wide, so counted: the last import to finish restores the interval.
FAST_SWITCH_INTERVAL = 0.0005
_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.005


def _fast_switching(on: bool) -> None:
    global _switch_users, _switch_saved
    with _switch_lock:
        if on:
            if _switch_users == 0:
                _switch_saved = sys.getswitchinterval()
                sys.setswitchinterval(min(_switch_saved, FAST_SWITCH_INTERVAL))
            _switch_users += 1
        else:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


class WriteQueue:
    """Runs prepared statements on the session's connection, in a thread of its own when
    `threaded`, so the next chunk is parsed and enriched while this one is written: the
    database driver releases the GIL while it works, so on two cores the Python and the
    database halves of an import overlap instead of adding up.

    At most `depth` chunks wait. The first error stops the writing; it is raised in the
    caller's thread at its next `submit` or at `close`. The caller's transaction (the
    one unit of work) is untouched by the thread: it only adds statements to it.
    """

    def __init__(self, writer: BatchWriter, session: Session, *, threaded: bool, depth: int = 2):
        self._writer = writer
        self._cursor = raw_cursor(session)
        self._cache_size: int | None = None
        if not writer.postgres:
            # A negative cache_size is in KiB, a positive one in pages: restore as found.
            self._cache_size = int(self._cursor.execute("PRAGMA cache_size").fetchone()[0])
            self._cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
        self._error: BaseException | None = None
        self._queue: queue.Queue[list[Statement] | None] = queue.Queue(maxsize=depth)
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(
                target=self._run, name="coffer-import-writer", daemon=True
            )
            _fast_switching(True)
            self._thread.start()

    def _run(self) -> None:
        while (statements := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._writer.execute(statements, self._cursor)
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def submit(self, statements: list[Statement]) -> None:
        self._raise()
        if not statements:
            return
        if self._thread is None:
            self._writer.execute(statements, self._cursor)
            return
        self._queue.put(statements)

    def close(self) -> None:
        """Wait for every statement; raises the first error of the writing."""
        try:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join()
                self._thread = None
                _fast_switching(False)
        finally:
            self._release()
        self._raise()

    def abort(self) -> None:
        """Stop after the statement running now (the caller is failing anyway)."""
        if self._thread is not None:
            self._error = self._error or RuntimeError("import aborted")
            while True:  # make room for the end marker without waiting on a full queue
                try:
                    self._queue.put_nowait(None)
                    break
                except queue.Full:
                    with contextlib.suppress(queue.Empty):
                        self._queue.get_nowait()
            self._thread.join()
            self._thread = None
            _fast_switching(False)
        with contextlib.suppress(Exception):  # the error being raised is the one to see
            self._release()

    def _release(self) -> None:
        try:
            if self._cache_size is not None:
                self._cursor.execute(f"PRAGMA cache_size = {self._cache_size}")
                self._cache_size = None
        finally:
            self._cursor.close()


def raw_cursor(session: Session) -> Any:
    """A DBAPI cursor on the session's connection, inside its transaction."""
    return session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]


def _copy_text(rows: list[tuple[Any, ...]]) -> str:
    """Rows in COPY's text format: tab-separated, \\N for NULL, text escaped."""
    lines = []
    escapes = _COPY_ESCAPES
    for row in rows:
        cells = []
        for value in row:
            if value is None:
                cells.append("\\N")
            elif value is True or value is False:
                cells.append("t" if value else "f")
            elif isinstance(value, str):
                cells.append(value.translate(escapes))
            else:
                cells.append(str(value))
        lines.append("\t".join(cells))
    lines.append("")
    return "\n".join(lines)


def _new_hex() -> str:
    return str(uuid7().hex)


def _sqlite_stamp(moment: datetime) -> str:
    # The text SQLAlchemy's SQLite DATETIME stores (UTC; UTCDateTime restores the zone).
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
