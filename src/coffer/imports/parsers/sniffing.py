"""Which parser a file needs, from its content first and its name second.

Content wins because names lie: banks serve OFX as .qfx, .ofx or .txt, and CAMT as
.xml or .camt. The name decides only for text that names no format of its own (CSV).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from coffer.imports.parsers.records import ParseFailed
from coffer.imports.parsers.text import bom_encoding, detect_encoding

FORMATS = ("csv", "ofx", "qif", "camt053")

_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".ofx": "ofx",
    ".qfx": "ofx",
    ".qif": "qif",
    ".xml": "camt053",
    ".camt": "camt053",
    ".053": "camt053",
}
_OFX = re.compile(r"OFXHEADER\s*[:=]|<\?OFX\b|<OFX>", re.IGNORECASE)
_QIF = re.compile(r"!(Type|Account|Option)\b", re.IGNORECASE)


def detect_format(filename: str, head: bytes) -> str:
    """ "csv", "ofx", "qif" or "camt053" for a file of this name that starts with `head`
    (a few kilobytes). Raises ParseFailed for a file that is none of them."""
    text = _head_text(head)
    if _OFX.search(text[:4096]):
        return "ofx"
    if text.startswith("<"):
        if "camt.053" in text or "BkToCstmrStmt" in text:
            return "camt053"
        raise ParseFailed.at(1, "this XML file is neither a CAMT.053 statement nor OFX")
    if _QIF.match(text):
        return "qif"
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    by_name = _BY_SUFFIX.get(suffix)
    if by_name in ("csv", None):
        return "csv"  # text that names no format of its own: columns, mapped by a person
    raise ParseFailed.at(1, f"the file is named {suffix} but its content is not that format")


def _head_text(head: bytes) -> str:
    encoding = bom_encoding(head) or detect_encoding(head, complete=False)
    return head.decode(encoding, "replace").lstrip("\ufeff \t\r\n")
