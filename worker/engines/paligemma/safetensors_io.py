"""Safetensors files read and checked without torch.

The format is 8 bytes (little-endian unsigned length ``n``), ``n`` bytes of JSON (tensor name ->
dtype, shape, data offsets, plus an optional ``__metadata__`` string map), then the raw tensor
bytes. Reading only the header tells whether a file is well formed and complete (a truncated
copy fails the size check) and what it holds, at the cost of one small read; the web process
validates uploads this way without importing torch.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import Any, TypeGuard

MAX_HEADER_BYTES = 100 * 1024 * 1024  # the safetensors library's own limit
DTYPE_SIZES: Mapping[str, int] = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U64": 8,
    "U32": 4,
    "U16": 2,
    "U8": 1,
    "BOOL": 1,
}


class SafetensorsError(ValueError):
    """The file is not a well-formed, complete safetensors file."""


@dataclass(frozen=True, slots=True)
class TensorEntry:
    """One tensor of a file; ``start``/``end`` are byte offsets from the start of the data."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int

    @property
    def numel(self) -> int:
        return prod(self.shape)


@dataclass(frozen=True)
class SafetensorsHeader:
    path: Path
    tensors: Mapping[str, TensorEntry]
    metadata: Mapping[str, str]
    data_start: int
    file_size: int


def read_header(path: Path) -> SafetensorsHeader:
    """The checked header of ``path``; raises :class:`SafetensorsError` with the reason."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise SafetensorsError(f"{path.name}: too short to be a safetensors file")
        (length,) = struct.unpack("<Q", prefix)
        if length > MAX_HEADER_BYTES or 8 + length > size:
            raise SafetensorsError(f"{path.name}: header length {length} does not fit the file")
        raw = handle.read(length)
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafetensorsError(f"{path.name}: header is not JSON ({error})") from None
    if not isinstance(document, dict):
        raise SafetensorsError(f"{path.name}: header is not a JSON object")
    metadata = _metadata(path, document.pop("__metadata__", None))
    tensors = {name: _entry(path, name, spec) for name, spec in document.items()}
    _check_layout(path, tensors, data_bytes=size - 8 - length)
    return SafetensorsHeader(path, tensors, metadata, data_start=8 + length, file_size=size)


def _metadata(path: Path, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise SafetensorsError(f"{path.name}: __metadata__ must map strings to strings")
    return dict(value)


def _entry(path: Path, name: str, spec: Any) -> TensorEntry:
    if not isinstance(spec, dict):
        raise SafetensorsError(f"{path.name}: entry {name!r} is not an object")
    dtype, shape, offsets = spec.get("dtype"), spec.get("shape"), spec.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_SIZES:
        raise SafetensorsError(f"{path.name}: {name} has unknown dtype {dtype!r}")
    if not _int_list(shape) or not _int_list(offsets) or len(offsets) != 2:
        raise SafetensorsError(f"{path.name}: {name} has a malformed shape or data_offsets")
    entry = TensorEntry(name, dtype, tuple(shape), offsets[0], offsets[1])
    if entry.end - entry.start != entry.numel * DTYPE_SIZES[dtype]:
        raise SafetensorsError(f"{path.name}: {name} byte range does not match its shape")
    return entry


def _int_list(value: Any) -> TypeGuard[list[int]]:
    return isinstance(value, list) and all(
        isinstance(item, int) and not isinstance(item, bool) and item >= 0 for item in value
    )


def _check_layout(path: Path, tensors: Mapping[str, TensorEntry], data_bytes: int) -> None:
    """Tensors must tile the data region exactly: no overlap, no gap, nothing missing."""
    position = 0
    for entry in sorted(tensors.values(), key=lambda item: item.start):
        if entry.start != position:
            raise SafetensorsError(f"{path.name}: tensor data overlaps or leaves a gap")
        position = entry.end
    if position != data_bytes:
        raise SafetensorsError(
            f"{path.name}: header describes {position} data bytes but the file has {data_bytes}"
            " (truncated or corrupt copy?)"
        )


def read_tensor_bytes(header: SafetensorsHeader, entry: TensorEntry, limit: int) -> bytes:
    """The first ``limit`` bytes (at most) of one tensor's data."""
    with header.path.open("rb") as handle:
        handle.seek(header.data_start + entry.start)
        return handle.read(min(limit, entry.end - entry.start))


def write_metadata(path: Path, metadata: Mapping[str, str]) -> None:
    """Rewrite ``path`` with ``metadata`` merged into its ``__metadata__`` (data bytes unchanged).

    Written to a temporary file and renamed, so a reader never sees half a file.
    """
    header = read_header(path)
    document: dict[str, Any] = {"__metadata__": {**header.metadata, **metadata}}
    for entry in sorted(header.tensors.values(), key=lambda item: item.start):
        document[entry.name] = {
            "dtype": entry.dtype,
            "shape": list(entry.shape),
            "data_offsets": [entry.start, entry.end],
        }
    raw = json.dumps(document, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # the format aligns the data on 8 bytes
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as source:
            out.write(struct.pack("<Q", len(raw)) + raw)
            source.seek(header.data_start)
            shutil.copyfileobj(source, out)
        Path(tmp_name).replace(path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
