"""Untrusted XML to an element tree whose elements know their line, namespaces dropped.

defusedxml refuses DTDs, entity declarations and external references, which is what
turns a bank file into an XML bomb or a file-disclosure attack; no statement needs them.
Its parser is the pure-Python ElementTree one, whose expat parser is reachable, so each
start tag's line can be recorded as it is built.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from coffer.imports.parsers.records import ParseFailed


class LineTree:
    """The root element, the namespace it was in, and the line of every element."""

    def __init__(self, root: ET.Element, namespace: str, lines: dict[int, int]) -> None:
        self.root = root
        self.namespace = namespace
        self._lines = lines

    def line(self, element: ET.Element) -> int:
        return self._lines.get(id(element), 0)


class _Builder(ET.TreeBuilder):
    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[int, int] = {}
        self.namespace: str | None = None
        # Elements are kept alive by the tree, so their ids stay unique while it lives.

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        namespace, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
        if self.namespace is None:
            self.namespace = namespace
        element = super().start(local, {k.rpartition("}")[2]: v for k, v in attrs.items()})
        assert self.parser is not None
        self.lines[id(element)] = self.parser.parser.CurrentLineNumber
        return element

    def end(self, tag: str) -> ET.Element:
        return super().end(tag.rpartition("}")[2])


def parse_xml(data: bytes) -> LineTree:
    builder = _Builder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 1
        raise ParseFailed.at(line, f"the XML is malformed: {_reason(exc)}") from None
    except LookupError:
        raise ParseFailed.at(1, "the XML declares an encoding that does not exist") from None
    except DefusedXmlException:
        raise ParseFailed.at(
            1, "the XML declares a DTD or entities, which bank files never need; refused"
        ) from None
    return LineTree(root, builder.namespace or "", builder.lines)


def _reason(exc: ET.ParseError) -> str:
    return str(exc).split(":")[0]
