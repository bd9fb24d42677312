"""Where uploaded bank files are kept: the data directory, under uploads/<tenant>/<batch>.

The path is built from ids only; the client's file name is never part of it, so a name
like "../../coffer.db" is just text on the import page.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from coffer.imports.errors import FileRefused

COPY_CHUNK = 1024 * 1024
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class StoredFile:
    relative_path: str
    size: int
    sha256: str
    head: bytes  # the first bytes, for format detection and the CSV sniff


class UploadStore:
    """Files of uploads, under `root` (the data directory)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        base = (self.root / "uploads").resolve()
        if base not in path.parents:
            raise ValueError("an upload path must stay inside the uploads folder")
        return path

    def save(
        self,
        *,
        tenant_id: uuid.UUID,
        batch_id: uuid.UUID,
        stream: BinaryIO,
        max_bytes: int,
        filename: str,
    ) -> StoredFile:
        """Copy the upload to disk, refusing it past `max_bytes` (then nothing is kept)."""
        relative = f"uploads/{tenant_id}/{batch_id}"
        path = self._path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with open(path, "xb") as out:
                os.chmod(path, 0o600)
                while chunk := stream.read(COPY_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileRefused(
                            f"{filename} is larger than the {_mb(max_bytes)} an import takes.",
                            errors=[{"field": "file", "message": f"larger than {_mb(max_bytes)}"}],
                        )
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return StoredFile(relative, size, digest.hexdigest(), head)

    def open(self, relative: str) -> BinaryIO:
        return open(self._path(relative), "rb")

    def delete(self, relative: str) -> None:
        self._path(relative).unlink(missing_ok=True)

    def exists(self, relative: str) -> bool:
        return self._path(relative).is_file()


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"
