"""A PaliGemma checkpoint on disk: where it is and what its configs promise, read without torch.

The loader (``loading``) and the start-up health check both begin here, so a worker pointed at
the wrong or a damaged directory is refused with one clear message before torch allocates
anything. Values absent from ``config.json`` take transformers' ``PaliGemmaConfig`` defaults,
because the published checkpoints (written by transformers 4.x) leave the defaults out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from worker.engines.paligemma.safetensors_io import SafetensorsError, read_header

# Input size -> image tokens. 896 px is the documents default; 448 px is the faster variant.
SUPPORTED_IMAGE_TOKENS: Mapping[int, int] = {448: 1024, 896: 4096}
FAMILIES: Mapping[str, str] = {"gemma": "paligemma", "gemma2": "paligemma2"}
PICKLED_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")

# transformers' PaliGemmaConfig defaults for keys that 4.x checkpoints omit.
_VISION_DEFAULTS: Mapping[str, Any] = {
    "hidden_size": 1152,
    "intermediate_size": 4096,
    "num_hidden_layers": 27,
    "num_attention_heads": 16,
    "patch_size": 14,
    "image_size": 224,
}
_TEXT_DEFAULTS: Mapping[str, Any] = {
    "model_type": "gemma",
    "hidden_size": 2048,
    "num_hidden_layers": 18,
    "intermediate_size": 16384,
    "num_attention_heads": 8,
    "num_key_value_heads": 1,
    "vocab_size": 257152,
}


class CheckpointError(Exception):
    """The checkpoint is missing, damaged or not a usable PaliGemma; the message says which."""


@dataclass(frozen=True)
class CheckpointInfo:
    """What a checkpoint directory holds, as its files state it."""

    path: Path
    family: str  # "paligemma" or "paligemma2"
    image_size: int
    patch_size: int
    image_tokens: int
    image_token_index: int
    vision: Mapping[str, Any]  # vision config with defaults applied
    text: Mapping[str, Any]  # text config with defaults applied
    projection_dim: int
    weight_files: tuple[Path, ...]


def resolve_model_dir(name: str) -> Path:
    """A local directory, or the Hugging Face cache snapshot of a hub id; never downloads."""
    if not name:
        raise CheckpointError("no PaliGemma model configured (set FORMLENS_PALIGEMMA_MODEL)")
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve()
    if path.is_absolute() or name.startswith((".", "~")) or name.count("/") != 1:
        raise CheckpointError(f"PaliGemma model directory {name} does not exist")
    from huggingface_hub import snapshot_download  # noqa: PLC0415  (only for hub ids)
    from huggingface_hub.errors import LocalEntryNotFoundError  # noqa: PLC0415

    try:
        return Path(snapshot_download(repo_id=name, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError) as error:
        raise CheckpointError(
            f"{name} is neither a directory nor in the Hugging Face cache (downloads are off): "
            f"{error}"
        ) from None


def inspect_checkpoint(path: Path) -> CheckpointInfo:
    """Check configs, tokenizer and weight files of ``path`` and describe the checkpoint."""
    config = _read_json(path / "config.json")
    if config.get("model_type") != "paligemma":
        raise CheckpointError(f"{path} is a {config.get('model_type')!r} checkpoint, not PaliGemma")
    vision = {**_VISION_DEFAULTS, **(config.get("vision_config") or {})}
    text = {**_TEXT_DEFAULTS, **(config.get("text_config") or {})}
    family = FAMILIES.get(str(text["model_type"]))
    if family is None:
        raise CheckpointError(
            f"{path}: text model {text['model_type']!r} is neither PaliGemma 1 (gemma) "
            "nor PaliGemma 2 (gemma2)"
        )
    image_size, patch = int(vision["image_size"]), int(vision["patch_size"])
    tokens = (image_size // patch) ** 2
    _check_image_size(path, image_size, tokens)
    _check_processor(path, image_size, tokens)
    _check_tokenizer(path)
    return CheckpointInfo(
        path=path,
        family=family,
        image_size=image_size,
        patch_size=patch,
        image_tokens=tokens,
        image_token_index=int(config.get("image_token_index", 256000)),
        vision=vision,
        text=text,
        projection_dim=int(config.get("projection_dim", 2048)),
        weight_files=weight_files(path),
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path} cannot be read: {error}") from None
    if not isinstance(document, dict):
        raise CheckpointError(f"{path} is not a JSON object")
    return document


def _check_image_size(path: Path, image_size: int, tokens: int) -> None:
    expected = SUPPORTED_IMAGE_TOKENS.get(image_size)
    if expected is None:
        sizes = ", ".join(f"{size} px" for size in SUPPORTED_IMAGE_TOKENS)
        raise CheckpointError(f"{path}: {image_size} px checkpoint; documents need one of {sizes}")
    if tokens != expected:
        raise CheckpointError(
            f"{path}: {image_size} px gives {tokens} image tokens, expected {expected}"
        )


def image_processor_config(path: Path) -> dict[str, Any]:
    """The image processor's settings: ``preprocessor_config.json`` (hub checkpoints) or the
    ``image_processor`` section of ``processor_config.json`` (what transformers 5 writes)."""
    legacy = path / "preprocessor_config.json"
    if legacy.exists():
        return _read_json(legacy)
    section = _read_json(path / "processor_config.json").get("image_processor")
    if not isinstance(section, dict):
        raise CheckpointError(f"{path}: no image processor configuration")
    return section


def _check_processor(path: Path, image_size: int, tokens: int) -> None:
    config = image_processor_config(path)
    size = config.get("size") or {}
    height, width = size.get("height"), size.get("width")
    if (height, width) != (image_size, image_size):
        raise CheckpointError(
            f"{path}: the processor resizes to {width}x{height} but the vision tower "
            f"expects {image_size}x{image_size}"
        )
    seq = config.get("image_seq_length")
    if seq != tokens:
        raise CheckpointError(
            f"{path}: the processor makes {seq} image tokens, the model expects {tokens}"
        )


def _check_tokenizer(path: Path) -> None:
    if not (path / "tokenizer.json").exists() and not (path / "tokenizer.model").exists():
        raise CheckpointError(f"{path}: no tokenizer (tokenizer.json or tokenizer.model)")


def weight_files(path: Path) -> tuple[Path, ...]:
    """The safetensors weight files, each header checked; pickled weights are refused."""
    index = path / "model.safetensors.index.json"
    if index.exists():
        names = sorted(set((_read_json(index).get("weight_map") or {}).values()))
        files = tuple(path / name for name in names)
    elif (path / "model.safetensors").exists():
        files = (path / "model.safetensors",)
    else:
        pickled = sorted(p.name for p in path.iterdir() if p.suffix in PICKLED_SUFFIXES)
        reason = f"only pickled weights ({', '.join(pickled)})" if pickled else "no weights"
        raise CheckpointError(f"{path}: {reason}; FormLens loads safetensors only")
    for file in files:
        if not file.exists():
            raise CheckpointError(f"{path}: weight file {file.name} is missing")
        try:
            read_header(file)
        except SafetensorsError as error:
            raise CheckpointError(f"{path}: {error}") from None
    return files
