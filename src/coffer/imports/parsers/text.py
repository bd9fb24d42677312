"""Bytes to text for untrusted bank files: size guards, encoding detection, a checked stream.

Encodings: a byte-order mark always wins; then strict UTF-8; then charset-normalizer,
restricted to the encodings banks actually write (Latin-1 and cp1252 for the Western
exports, UTF-16 without a mark for some spreadsheet exports). A sample no candidate
decodes is not a text file.
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

from charset_normalizer import from_bytes

from coffer.imports.parsers.records import ParseFailed

# Whole-document formats (OFX, QIF, CAMT) are read into memory; a year of statements is a
# few megabytes, so anything past this is a mistake or an attack.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
# The sample that encoding, delimiter and format detection look at.
SAMPLE_BYTES = 64 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose mark is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DETECTABLE = ["utf_8", "cp1252", "latin_1", "iso8859_15", "utf_16_le", "utf_16_be"]
_NAMES = {
    "utf_8": "utf-8",
    "cp1252": "cp1252",
    "latin_1": "latin-1",
    "iso8859_15": "iso8859-15",
    "utf_16_le": "utf-16-le",
    "utf_16_be": "utf-16-be",
}


def read_up_to(stream: BinaryIO, size: int) -> bytes:
    """`size` bytes, or fewer at the end: a raw upload stream may return less per read."""
    parts = []
    wanted = size
    while wanted > 0:
        part = stream.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def read_document(stream: BinaryIO, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The whole stream, refused past `limit` bytes without reading further."""
    data = read_up_to(stream, limit + 1)
    if len(data) > limit:
        raise ParseFailed.at(0, f"the file is larger than {limit // (1024 * 1024)} MB")
    if not data.strip():
        raise ParseFailed.at(0, "the file is empty")
    return data


def bom_encoding(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def detect_encoding(sample: bytes, *, complete: bool = False) -> str:
    """The encoding of `sample`, the start of a file (`complete` if it is the whole file).

    Raises ParseFailed when the bytes are not text in any supported encoding.
    """
    marked = bom_encoding(sample)
    if marked:
        return marked
    if b"\x00" not in sample and _is_utf8(sample, complete=complete):
        return "utf-8"
    best = from_bytes(sample[:16384], cp_isolation=_DETECTABLE).best()
    name = _NAMES.get(best.encoding) if best is not None else None
    if name is None or _looks_binary(sample.decode(name, "replace")):
        raise ParseFailed.at(1, "this is not a text file (is it a PDF, spreadsheet or image?)")
    return name


def resolve_encoding(sample: bytes, declared: str, *, complete: bool = False) -> str:
    """`declared` unless it is "auto"; a byte-order mark overrides either."""
    if declared == "auto":
        return detect_encoding(sample, complete=complete)
    return bom_encoding(sample) or declared


def decode_document(data: bytes, declared: str = "auto") -> str:
    encoding = resolve_encoding(data, declared, complete=True)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseFailed.at(line, f"the bytes here are not valid {encoding} text") from None
    if _looks_binary(text[:SAMPLE_BYTES]):
        raise ParseFailed.at(1, "this is not a text file (is it a PDF, spreadsheet or image?)")
    return text.removeprefix("\ufeff")


def _is_utf8(sample: bytes, *, complete: bool) -> bool:
    # A sample may end inside a multi-byte character; only a finished file must end whole.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n\x0c\x1a")
    return controls > max(2, len(text) // 100)


class InputStop(Exception):
    """Reading cannot go on: undecodable bytes or an endless line, at `line`."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class GuardedStream(io.RawIOBase):
    """`head` (already read for sniffing) then the rest of `stream`, checked as it passes.

    Each chunk is decoded once more here, strictly, so that a bad byte or a line longer
    than `max_line` is reported with its exact line number before the text reader (which
    decodes a chunk ahead of the line it hands out) ever sees it. Uploads may not seek,
    hence the replayed head instead of a rewind.
    """

    def __init__(self, head: bytes, stream: BinaryIO, encoding: str, max_line: int) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._stream = stream
        self._encoding = encoding
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._max_line = max_line
        self._lines = 0  # line breaks seen so far
        self._open_line = 0  # characters since the last line break
        self._after_cr = False  # a "\r\n" split across two chunks is one break

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            chunk = bytes(self._head[:size])
            self._head = self._head[size:]
        else:
            chunk = self._stream.read(len(buffer))
        self._check(chunk)
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def _check(self, chunk: bytes) -> None:
        try:
            text = self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            good = codecs.decode(chunk[: max(exc.start, 0)], self._encoding, "ignore")
            line = self._lines + _breaks(good) + 1
            message = f"the text is not valid {self._encoding}; choose the encoding"
            raise InputStop(line, message) from None
        last = max(text.rfind("\n"), text.rfind("\r"))
        self._open_line = len(text) - last - 1 if last >= 0 else self._open_line + len(text)
        if self._open_line > self._max_line:
            line = self._lines + _breaks(text) + 1
            raise InputStop(line, f"the line is longer than {self._max_line} characters")
        self._lines += _breaks(text) - (self._after_cr and text.startswith("\n"))
        if text:
            self._after_cr = text.endswith("\r")


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def open_text(stream: BinaryIO, declared: str, max_line: int) -> io.TextIOWrapper:
    """A text reader over `stream` in its declared or detected encoding, guarded."""
    head = read_up_to(stream, SAMPLE_BYTES)
    if not head.strip():
        raise ParseFailed.at(0, "the file is empty")
    encoding = resolve_encoding(head, declared, complete=len(head) < SAMPLE_BYTES)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ParseFailed.at(0, f"{encoding!r} is not a known text encoding") from None
    guarded = GuardedStream(head, stream, encoding, max_line)
    raw = io.BufferedReader(guarded, buffer_size=SAMPLE_BYTES)
    return io.TextIOWrapper(raw, encoding=encoding, newline="")
