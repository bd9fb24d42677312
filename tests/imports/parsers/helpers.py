"""Shared by the parser tests: where the fixtures are, and reading bytes as a stream."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO, cast

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def stream(data: bytes | str) -> io.BytesIO:
    return io.BytesIO(data.encode() if isinstance(data, str) else data)


def unseekable(data: bytes, piece: int = 7) -> BinaryIO:
    """An upload that can only be read forward, a few bytes per read."""
    return cast(BinaryIO, _Unseekable(data, piece))


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes, piece: int = 7) -> None:
        self._data = memoryview(data)
        self._piece = piece

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = min(len(buffer), self._piece, len(self._data))
        buffer[:size] = self._data[:size]
        self._data = self._data[size:]
        return size
