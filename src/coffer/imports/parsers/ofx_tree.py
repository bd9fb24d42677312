"""OFX markup to an element tree with line numbers, on ofxtools' tokenizer.

ofxtools reads the header (OFX 1.x SGML headers and 2.x XML declarations, and the body's
character set) and its tag pattern handles both syntaxes. Its own tree building is not
used: its errors quote the whole document, carry character offsets rather than lines, and
it cannot tell an empty SGML element (`<MEMO>` with nothing after it) from an aggregate
left open. This builder records the line of every start tag, closes empty elements when
their parent closes, and reports truncation with the line of the aggregate left open.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from ofxtools.header import OFXHeaderError, parse_header
from ofxtools.Parser import TreeBuilder

from coffer.imports.parsers.records import ParseFailed

LINE = "line"  # the attribute that carries each element's line number


def read_tree(data: bytes) -> ET.Element:
    """The <OFX> element of a whole OFX or QFX file; ParseFailed when it is not one."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        header, message = parse_header(io.BytesIO(data))
    except (OFXHeaderError, UnicodeDecodeError, ValueError, KeyError, LookupError):
        raise ParseFailed.at(
            1, "this is not an OFX file: its header is missing or malformed"
        ) from None
    first_line = _first_line(data, message, header.codec)
    builder = _LineTreeBuilder()
    builder.feed_lines(message, first_line)
    root = builder.close()
    if root is None or root.tag != "OFX":
        raise ParseFailed.at(first_line, "this is not an OFX file: it has no <OFX> element")
    return root


def _first_line(data: bytes, message: str, codec: str) -> int:
    """The line where the body starts (the header parser strips it off, and its lines)."""
    text = data.decode(codec, "replace")
    at = text.find(message.lstrip()[:80])
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


class _LineTreeBuilder(TreeBuilder):
    def __init__(self) -> None:
        super().__init__()
        self._open: list[tuple[str, int, ET.Element]] = []
        self._root: ET.Element | None = None

    def feed_lines(self, data: str, line: int) -> None:
        position = 0
        for match in self.regex.finditer(data):
            line += data.count("\n", position, match.start())
            position = match.start()
            tag = match["tag"].strip()
            text = match["cdata"] or (match["text"] or "").strip()
            if (match["tail"] or "").strip():
                raise ParseFailed.at(line, f"unexpected text after <{tag}>")
            if tag.startswith("/"):
                self._close(tag[1:], text, line)
            else:
                self._open_tag(tag, text, match["closetag"] is not None, line)

    def _open_tag(self, tag: str, text: str, closed: bool, line: int) -> None:
        if self._root is not None and not self._open:
            raise ParseFailed.at(line, f"<{tag}> comes after the end of the document")
        element = self.start(tag, {LINE: str(line)})
        if self._root is None:
            self._root = element
        if text or closed:  # a data element: SGML leaves its end tag out
            self.data(text)
            self.end(tag)
        else:
            self._open.append((tag, line, element))

    def _close(self, tag: str, text: str, line: int) -> None:
        if text:
            raise ParseFailed.at(line, f"unexpected text after </{tag}>")
        if tag not in (name for name, _, _ in self._open):
            raise ParseFailed.at(line, f"</{tag}> closes nothing that is open")
        while self._open:
            name, opened, element = self._open.pop()
            self.end(name)
            if name == tag:
                return
            if len(element):  # an aggregate left open inside another: not an empty element
                raise ParseFailed.at(line, f"<{name}> opened on line {opened} is never closed")

    def close(self) -> ET.Element | None:  # type: ignore[override]
        if self._open:
            name, opened, _ = self._open[-1]
            raise ParseFailed.at(
                opened, f"the file ends before <{name}> (opened here) is closed; it is incomplete"
            )
        super().close()
        return self._root
