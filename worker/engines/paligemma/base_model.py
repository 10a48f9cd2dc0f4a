"""A base model's identity and shape, computed from its files without torch.

Adapters must be checked against the base they were trained on, but paths differ between the
training machine, the web host and each GPU worker, and the same weights may be stored as
float32 on one and bfloat16 on another. So a base is identified by a *fingerprint*:

- the architecture (the config values that fix every tensor shape, defaults applied), and
- for every weight tensor, in a layout-independent order: its canonical name, shape, and its
  first :data:`PROBE_ELEMENTS` values rounded to bfloat16 (so a float32 checkpoint and its
  bfloat16 copy agree, while two fine-tunes of one architecture, or a base with a LoRA merged
  in, differ).

It reads a few KiB per tensor, so it is cheap enough for every worker start. The adapter
carries the fingerprint of its base in its safetensors ``__metadata__`` (see
:func:`worker.engines.paligemma.adapter_files.stamp_adapter`); adapters trained elsewhere fall
back on the base's repository name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from worker.engines.paligemma.checkpoint import CheckpointInfo, inspect_checkpoint
from worker.engines.paligemma.safetensors_io import (
    SafetensorsHeader,
    TensorEntry,
    read_header,
    read_tensor_bytes,
)

FINGERPRINT_PREFIX = "pgfp1:"
PROBE_ELEMENTS = 256
_ARCH_KEYS_TEXT = (
    "model_type",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "vocab_size",
)
_ARCH_KEYS_VISION = (
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "image_size",
    "patch_size",
)
# transformers 4.x and 5.x name the same modules differently (on disk, in memory, in adapters).
_LAYOUT_ALIASES = (
    ("language_model.model.", "language_model."),
    ("vision_tower.vision_model.", "vision_tower."),
)
_HF_CACHE_DIR = re.compile(r"models--([^/]+)--([^/]+)/snapshots/[^/]+/?$")


@dataclass(frozen=True)
class BaseModelInfo:
    """Who a base model is (``name``, ``fingerprint``) and the shapes adapters must fit."""

    name: str
    fingerprint: str
    family: str
    image_size: int
    # canonical module name -> (out_features, in_features) of every 2-D weight
    linear_shapes: Mapping[str, tuple[int, int]] = field(repr=False)

    def matches(self, identity: str) -> bool:
        """Whether ``identity`` (a fingerprint or a model name) designates this base."""
        if identity.startswith(FINGERPRINT_PREFIX):
            return identity == self.fingerprint
        return same_model_name(identity, self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fingerprint": self.fingerprint,
            "family": self.family,
            "image_size": self.image_size,
            "linear_shapes": {key: list(value) for key, value in self.linear_shapes.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BaseModelInfo:
        shapes = {key: (int(v[0]), int(v[1])) for key, v in data["linear_shapes"].items()}
        return cls(
            name=str(data["name"]),
            fingerprint=str(data["fingerprint"]),
            family=str(data["family"]),
            image_size=int(data["image_size"]),
            linear_shapes=shapes,
        )


def canonical_module(name: str) -> str:
    """A module or tensor name in one layout: no peft/wrapper prefix, transformers-5 style.

    ``base_model.model.model.language_model.layers.0.self_attn.q_proj`` (peft, transformers 5),
    ``language_model.model.layers.0.self_attn.q_proj`` (checkpoints, transformers 4) and
    ``model.language_model.layers.0.self_attn.q_proj`` (in memory) all become
    ``language_model.layers.0.self_attn.q_proj``.
    """
    name = name.removeprefix("base_model.model.").removeprefix("model.")
    for old, new in _LAYOUT_ALIASES:
        if name.startswith(old):
            name = new + name[len(old) :]
    return name


def model_name(path_or_id: str) -> str:
    """A comparable name: ``org/repo`` for hub ids and cache snapshots, else the directory."""
    text = path_or_id.rstrip("/")
    cached = _HF_CACHE_DIR.search(text)
    if cached:
        return f"{cached.group(1)}/{cached.group(2)}"
    if text.count("/") == 1 and not text.startswith((".", "/", "~")):
        return text
    return Path(text).name


def same_model_name(a: str, b: str) -> bool:
    """Names match on their last component, case-insensitively (``org/`` may be absent)."""
    return model_name(a).split("/")[-1].lower() == model_name(b).split("/")[-1].lower()


def describe_base(path: Path, name: str = "") -> BaseModelInfo:
    """Identity and linear shapes of the checkpoint at ``path`` (``name``: as configured)."""
    info = inspect_checkpoint(path)
    headers = [read_header(file) for file in info.weight_files]
    entries = sorted(
        (
            (canonical_module(entry.name), header, entry)
            for header in headers
            for entry in header.tensors.values()
        ),
        key=lambda item: item[0],
    )
    digest = hashlib.sha256(json.dumps(_architecture(info), sort_keys=True).encode())
    for canonical, header, entry in entries:
        digest.update(f"{canonical}|{list(entry.shape)}|".encode())
        digest.update(_probe(header, entry))
    shapes = {
        canonical.removesuffix(".weight"): (entry.shape[0], entry.shape[1])
        for canonical, _, entry in entries
        if canonical.endswith(".weight") and len(entry.shape) == 2
    }
    return BaseModelInfo(
        name=model_name(name or str(path)),
        fingerprint=FINGERPRINT_PREFIX + digest.hexdigest()[:40],
        family=info.family,
        image_size=info.image_size,
        linear_shapes=shapes,
    )


def _architecture(info: CheckpointInfo) -> dict[str, Any]:
    return {
        "family": info.family,
        "projection_dim": info.projection_dim,
        "image_token_index": info.image_token_index,
        "text": {key: info.text.get(key) for key in _ARCH_KEYS_TEXT},
        "vision": {key: info.vision.get(key) for key in _ARCH_KEYS_VISION},
    }


def _probe(header: SafetensorsHeader, entry: TensorEntry) -> bytes:
    """The first values of a tensor as bfloat16 bits, whatever float type it is stored in."""
    width = {"F32": 4, "BF16": 2, "F16": 2}.get(entry.dtype)
    if width is None:
        return entry.dtype.encode()  # integer/quantised tensors: shape and dtype only
    raw = read_tensor_bytes(header, entry, PROBE_ELEMENTS * width)
    return bfloat16_bits(raw, entry.dtype).tobytes()


def bfloat16_bits(raw: bytes, dtype: str) -> np.ndarray[Any, np.dtype[np.uint16]]:
    """``raw`` values (F32, BF16 or F16, little-endian) rounded to bfloat16 as torch does."""
    if dtype == "BF16":
        return np.frombuffer(raw, dtype="<u2").astype(np.uint16)
    values = np.frombuffer(raw, dtype="<f4" if dtype == "F32" else "<f2").astype(np.float32)
    bits = values.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest, ties to even
    return rounded.astype(np.uint16)
