"""The import's limits, read from settings (COFFER_IMPORT_*)."""

from __future__ import annotations

from dataclasses import dataclass

from coffer.config import Settings

MB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    # Uploads larger than this are refused (422) before anything is parsed.
    max_bytes: int = 200 * MB
    # Files past either threshold commit (and undo) as background jobs; the request
    # answers 202 with the job to poll.
    background_rows: int = 5_000
    background_bytes: int = 1 * MB
    # The preview counts duplicates over at most this many rows (the whole file when
    # shorter); past it the counts say they are partial and the commit gives the rest.
    preview_scan_rows: int = 50_000

    @classmethod
    def of(cls, settings: Settings) -> ImportLimits:
        return cls(
            max_bytes=settings.import_max_bytes,
            background_rows=settings.import_background_rows,
            background_bytes=settings.import_background_bytes,
            preview_scan_rows=settings.import_preview_scan_rows,
        )
