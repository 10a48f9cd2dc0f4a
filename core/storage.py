"""Content-addressed blob storage under the data directory.

A blob's key is its SHA-256, so the same upload stored twice is one file, and a key can never
name anything outside the store. Writes go to a temporary file in the same directory and are
renamed into place, so a crash never leaves a half-written blob under a valid key.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

_KEY = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024


class BlobTooLarge(Exception):
    """The stream was longer than the caller allowed; nothing was stored."""


@dataclass(frozen=True, slots=True)
class StoredBlob:
    key: str
    size: int

    @property
    def sha256(self) -> str:
        return self.key


class BlobStore:
    """Blobs named by their SHA-256 under ``root/ab/cd/<sha256>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def put_stream(self, stream: IO[bytes], max_bytes: int | None = None) -> StoredBlob:
        """Copy ``stream`` into the store, hashing as it goes; refuse past ``max_bytes``."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with self._temporary() as (handle, temp_path):
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise BlobTooLarge(f"larger than {max_bytes} bytes")
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
            key = digest.hexdigest()
            self._move_into_place(temp_path, key)
        return StoredBlob(key=key, size=size)

    def put_bytes(self, data: bytes) -> StoredBlob:
        key = hashlib.sha256(data).hexdigest()
        if not self.exists(key):
            self.root.mkdir(parents=True, exist_ok=True)
            with self._temporary() as (handle, temp_path):
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                self._move_into_place(temp_path, key)
        return StoredBlob(key=key, size=len(data))

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def read_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    @contextmanager
    def _temporary(self) -> Iterator[tuple[BinaryIO, Path]]:
        fd, name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        temp_path = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle, temp_path
        finally:
            temp_path.unlink(missing_ok=True)

    def _move_into_place(self, temp_path: Path, key: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            return
        # Blobs are read-only once stored: nothing should ever rewrite one.
        temp_path.chmod(0o440)
        temp_path.replace(target)
