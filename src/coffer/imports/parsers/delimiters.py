"""Which character separates the columns, judged on the first lines of a file.

csv.Sniffer is not used: it prefers "," whenever commas are as regular as the real
delimiter, which they are in files with decimal commas ("12,50" once per row). Here every
candidate splits the sample, header included, and the one that gives the most lines the
same number of columns (more than one) wins; the header, free of decimal commas, breaks
that tie.
"""

from __future__ import annotations

import csv
import re
from collections import Counter

CANDIDATES = (",", ";", "\t", "|")
# The line ends the file reader knows (str.splitlines also breaks at \x0b, \x1c, U+2028...).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def physical_lines(text: str) -> list[str]:
    """The lines of `text` with their ends, split where the CSV reader splits them."""
    return _LINE.findall(text)


def split_lines(sample: str, delimiter: str) -> list[list[str]]:
    """The complete non-blank rows of `sample` (the last line may be cut short, so it goes)."""
    lines = physical_lines(sample)
    if len(lines) > 1 and not lines[-1].endswith(("\n", "\r")):
        lines = lines[:-1]
    try:
        rows = list(csv.reader(lines, delimiter=delimiter, strict=False))
    except csv.Error:
        return []
    return [row for row in rows if row and (len(row) > 1 or row[0].strip())]


def modal_width(rows: list[list[str]]) -> tuple[int, int]:
    """The most common column count and how many rows have it; the wider on a tie, since
    a table is wider than the account details some banks print above it."""
    if not rows:
        return 0, 0
    counts = Counter(len(row) for row in rows)
    count, width = max((count, width) for width, count in counts.items())
    return width, count


def detect_delimiter(sample: str) -> str:
    best, best_score = ",", (0, 0)
    for candidate in CANDIDATES:
        width, count = modal_width(split_lines(sample, candidate))
        score = (count, width) if width > 1 else (0, 0)
        if score > best_score:
            best, best_score = candidate, score
    return best


def table_start(widths: list[int]) -> int:
    """Where the table starts among rows of these widths: after the account details and
    dates some banks print above it, which are narrower. A row one cell short of the
    table still belongs to it (a header without the data rows' trailing delimiter)."""
    table, _ = modal_width([[""] * width for width in widths])
    wide = [width >= table - 1 for width in widths]
    for index in range(len(widths)):
        if all(wide[index:]):
            return index
    return next((index for index, is_wide in enumerate(wide) if is_wide), 0)
