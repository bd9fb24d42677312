"""Encodings: byte-order marks win, then strict UTF-8, then the Western code pages."""

from __future__ import annotations

import pytest

from coffer.imports.parsers import ParseFailed
from coffer.imports.parsers.text import decode_document, detect_encoding, resolve_encoding

SAMPLE = "Datum;Empfänger;Betrag\n01.02.2024;Bäckerei Müller & Söhne;-4,20\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (SAMPLE.encode("utf-8-sig"), "utf-8-sig"),
        (SAMPLE.encode("utf-16"), "utf-16"),
        (SAMPLE.encode("utf-16-be"), "utf-16-be"),
        (b"\xfe\xff" + SAMPLE.encode("utf-16-be"), "utf-16"),
        (SAMPLE.encode("utf-32"), "utf-32"),
        ((SAMPLE * 5).encode("cp1252") + "Summe: 30 €\n".encode("cp1252"), "cp1252"),
        (b"B\xc3\xa4ckerei,1.00\n", "utf-8"),
    ],
)
def test_detect_encoding(data: bytes, expected: str) -> None:
    assert detect_encoding(data, complete=True) == expected
    assert "Bäckerei" in data.decode(expected)


def test_latin1_text_decodes_whichever_western_page_is_chosen() -> None:
    data = (SAMPLE * 3).encode("latin-1")
    assert decode_document(data) == SAMPLE * 3


def test_a_sample_cut_inside_a_character_is_still_utf8() -> None:
    data = SAMPLE.encode("utf-8")
    cut = data[: data.index("ä".encode()) + 1]
    assert detect_encoding(cut, complete=False) == "utf-8"


def test_a_byte_order_mark_overrides_the_declared_encoding() -> None:
    assert resolve_encoding(SAMPLE.encode("utf-8-sig"), "utf-8") == "utf-8-sig"
    assert resolve_encoding(SAMPLE.encode("utf-16"), "latin-1") == "utf-16"
    assert resolve_encoding(SAMPLE.encode("cp1252"), "cp1252") == "cp1252"


@pytest.mark.parametrize(
    "data",
    [bytes(range(256)) * 4, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(32)) * 40, b"\x00" * 64],
)
def test_binary_is_not_text(data: bytes) -> None:
    with pytest.raises(ParseFailed, match="not a text file"):
        detect_encoding(data, complete=True)


def test_decode_document_names_the_line_of_a_bad_byte() -> None:
    with pytest.raises(ParseFailed) as caught:
        decode_document(b"line one\nline two\nCaf\xe9\n", "utf-8")
    assert caught.value.problems[0].line == 3
