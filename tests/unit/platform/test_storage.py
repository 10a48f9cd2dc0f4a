import hashlib
import io
from pathlib import Path

import pytest

from core.storage import BlobStore, BlobTooLarge


def test_blobs_are_named_by_content_and_stored_once(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    first = store.put_stream(io.BytesIO(b"invoice"))
    second = store.put_bytes(b"invoice")
    assert first.key == second.key == hashlib.sha256(b"invoice").hexdigest()
    assert store.read_bytes(first.key) == b"invoice"
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_a_stream_over_the_limit_leaves_nothing_behind(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    with pytest.raises(BlobTooLarge):
        store.put_stream(io.BytesIO(b"x" * 2048), max_bytes=1024)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("key", ["../../etc/passwd", "A" * 64, "abc", ""])
def test_keys_that_are_not_hashes_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="not a blob key"):
        BlobStore(tmp_path).path(key)


def test_stored_blobs_are_read_only(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    path = store.path(store.put_bytes(b"data").key)
    assert path.stat().st_mode & 0o222 == 0
