"""Report tests reuse the ledger's households (`book`, `other_book`, `new_book`)."""

from tests.ledger.conftest import _encryption, book, new_book, other_book

__all__ = ["_encryption", "book", "new_book", "other_book"]
