"""Properties of the import, on generated files (through the service layer, as the API
and the background job call it):

- importing any file twice adds nothing the second time;
- identical rows within a file are all kept;
- a ledger exported to CSV and imported into another account holds the same
  transactions (and imported back into the first, adds nothing);
- account_month always equals the raw sums.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from coffer.core.money import from_minor
from coffer.db.session import Database
from coffer.imports import service
from coffer.imports.limits import ImportLimits
from coffer.imports.storage import UploadStore
from coffer.ledger import service as ledger
from coffer.ledger.models import AccountType, LedgerTransaction
from tests.ledger.conftest import Book, make_book

PROPERTY_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MAPPING = {
    "date_column": "Date",
    "amount_column": "Amount",
    "payee_column": "Payee",
    "memo_columns": ["Memo"],
    "date_format": "%Y-%m-%d",
}
Row = tuple[date, int, str, str]

payees = st.sampled_from(
    ["COFFEE CORNER", "Coffee  corner", "TESCO, LONDON", 'The "Best" Deli', "Café Zoë", "", "A&B"]
)
rows = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=40).map(lambda d: date(2024, 3, 1) + timedelta(days=d)),
        st.sampled_from([-350, -350, -1999, 0, 250000, -1]),
        payees,
        st.sampled_from(["", "card", "ref 12, x"]),
    ),
    min_size=1,
    max_size=25,
)


def _csv(items: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Date", "Payee", "Amount", "Memo"])
    for day, minor, payee, memo in items:
        writer.writerow([day.isoformat(), payee, str(from_minor(minor, "USD")), memo])
    return out.getvalue().encode()


class Importer:
    def __init__(self, book: Book, store: UploadStore) -> None:
        self.book = book
        self.store = store

    def account(self) -> uuid.UUID:
        return self.book.account(name=f"A {uuid.uuid4().hex[:8]}", type=AccountType.checking).id

    def run(self, account_id: uuid.UUID, data: bytes) -> int:
        """Upload and commit, as two requests would; the rows added."""
        with self.book.uow() as session:
            upload = service.upload_file(
                session,
                **self.book.scope,
                account_id=account_id,
                filename="generated.csv",
                stream=io.BytesIO(data),
                store=self.store,
                limits=ImportLimits(),
                mapping=MAPPING,
            )
            batch_id = upload.batch.id
        with self.book.uow() as session:
            batch = service.commit_batch(
                session, **self.book.scope, batch_id=batch_id, store=self.store
            )
            return batch.added_count

    def stored(self, account_id: uuid.UUID) -> list[Row]:
        with self.book.uow() as session:
            txn = LedgerTransaction
            found = session.execute(
                select(txn.posted_on, txn.amount_minor, txn.payee, txn.memo)
                .where(txn.tenant_id == self.book.tenant_id, txn.account_id == account_id)
                .order_by(txn.posted_on, txn.id)
            ).all()
        return [(d, a, p or "", m or "") for d, a, p, m in found]

    def balance(self, account_id: uuid.UUID) -> int:
        with self.book.uow() as session:
            account = ledger.get_account(
                session, tenant_id=self.book.tenant_id, account_id=account_id
            )
            return ledger.balance(session, tenant_id=self.book.tenant_id, account=account)


def _importer(database: Database, tmp_path: Path) -> Importer:
    return Importer(make_book(database), UploadStore(tmp_path / "data"))


def _clean(items: list[Row]) -> Counter[Row]:
    """What the ledger keeps of a row: text stripped."""
    return Counter((d, a, p.strip(), m.strip()) for d, a, p, m in items)


def test_any_file_imported_twice_adds_nothing_the_second_time(
    database: Database, tmp_path: Path
) -> None:
    importer = _importer(database, tmp_path)

    @PROPERTY_SETTINGS
    @given(items=rows)
    def check(items: list[Row]) -> None:
        account = importer.account()
        data = _csv(items)
        assert importer.run(account, data) == len(items)  # identical rows all kept
        assert importer.run(account, data) == 0
        assert _clean(importer.stored(account)) == _clean(items)
        assert importer.balance(account) == sum(minor for _, minor, _, _ in items)

    check()
    importer.book.check_aggregates()


def test_export_then_import_round_trips(database: Database, tmp_path: Path) -> None:
    importer = _importer(database, tmp_path)

    @PROPERTY_SETTINGS
    @given(items=rows, extra=rows)
    def check(items: list[Row], extra: list[Row]) -> None:
        first = importer.account()
        importer.run(first, _csv(items))
        exported = _csv(list(reversed(importer.stored(first))))
        second = importer.account()
        assert importer.run(second, exported) == len(items)
        assert _clean(importer.stored(second)) == _clean(importer.stored(first))
        assert importer.balance(second) == importer.balance(first)
        assert importer.run(first, exported) == 0
        # A longer statement that overlaps the first adds only what is new.
        assert importer.run(first, _csv(items + extra)) == len(extra)

    check()
    importer.book.check_aggregates()
