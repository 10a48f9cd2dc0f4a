"""Safetensors headers read without torch."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from worker.engines.paligemma.safetensors_io import SafetensorsError, read_header, write_metadata


def write(path: Path, header: dict[str, Any], data: bytes) -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


GOOD = {
    "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
    "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [8, 12]},
}


def test_well_formed_file(tmp_path: Path) -> None:
    header = read_header(write(tmp_path / "x.safetensors", GOOD, bytes(12)))
    assert header.tensors["b"].shape == (1, 2) and header.tensors["b"].numel == 2


@pytest.mark.parametrize(
    ("header", "data", "reason"),
    [
        (GOOD, bytes(11), "truncated"),
        ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8), "shape"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8), "gap"),
        ({"a": {"dtype": "PICKLE", "shape": [1], "data_offsets": [0, 4]}}, bytes(4), "dtype"),
        ({"__metadata__": {"k": 1}}, b"", "metadata"),
    ],
)
def test_malformed_files_are_refused(
    tmp_path: Path, header: dict[str, Any], data: bytes, reason: str
) -> None:
    with pytest.raises(SafetensorsError, match=reason):
        read_header(write(tmp_path / "x.safetensors", header, data))


def test_garbage_and_short_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"\x80\x04pickle")
    (tmp_path / "b").write_bytes(struct.pack("<Q", 4) + b"[1] ")
    for name in "ab":
        with pytest.raises(SafetensorsError):
            read_header(tmp_path / name)


def test_metadata_is_merged_without_touching_the_data(tmp_path: Path) -> None:
    data = bytes(range(12))
    path = write(tmp_path / "x.safetensors", {"__metadata__": {"format": "pt"}, **GOOD}, data)
    write_metadata(path, {"formlens.base_fingerprint": "pgfp1:abc"})
    header = read_header(path)
    assert header.metadata == {"format": "pt", "formlens.base_fingerprint": "pgfp1:abc"}
    assert path.read_bytes()[header.data_start :] == data and header.data_start % 8 == 0
