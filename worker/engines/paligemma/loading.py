"""Loading PaliGemma (model + processor) from a local directory or the Hugging Face cache.

One code path for real checkpoints and the tiny test one: files are checked first (torch-free,
``checkpoint``), then transformers loads them offline, safetensors only, in bfloat16 with SDPA
attention on CUDA and float32 on CPU (bfloat16 matmuls are slow on most CPUs); PaliGemma 2 uses
eager attention, as transformers' SDPA path lacks Gemma 2's attention soft-capping. Flash attention
is not offered: PaliGemma's prefix (image + prompt) attends bidirectionally, which the
flash-attention path of transformers drops. 8-bit or 4-bit weights (bitsandbytes, for GPUs
under 16 GB) are opt-in. After loading, the processor, tokenizer and model must agree on the
image size, the number of image tokens and the special tokens, or the load is refused.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from typing import Any

import torch
from transformers import PaliGemmaForConditionalGeneration, PaliGemmaProcessor

from worker.engines.base import EngineUnavailable
from worker.engines.paligemma.checkpoint import (
    CheckpointError,
    CheckpointInfo,
    inspect_checkpoint,
    resolve_model_dir,
)

log = logging.getLogger(__name__)
QUANTIZATIONS = ("", "8bit", "4bit")


class ModelLoadError(EngineUnavailable):
    """The model cannot be loaded; the worker must not start with it."""


@dataclass(frozen=True, slots=True)
class SpecialIds:
    image: int
    bos: int
    eos: int
    pad: int


@dataclass(frozen=True)
class LoadedModel:
    """A loaded checkpoint and what the engine needs to drive it."""

    name: str
    checkpoint: CheckpointInfo
    model: Any  # PaliGemmaForConditionalGeneration (transformers is untyped)
    processor: Any  # PaliGemmaProcessor
    device: torch.device
    dtype: torch.dtype
    ids: SpecialIds

    @property
    def image_size(self) -> int:
        return self.checkpoint.image_size

    @property
    def image_tokens(self) -> int:
        return self.checkpoint.image_tokens


def resolve_device(setting: str) -> torch.device:
    """``auto`` picks CUDA when there is a GPU; otherwise the named device."""
    device = torch.device(
        setting if setting not in ("", "auto") else "cuda" if torch.cuda.is_available() else "cpu"
    )
    if device.type != "cuda":
        return device
    if not torch.cuda.is_available():
        raise ModelLoadError(f"device {setting!r} asked for but CUDA is not available")
    # An explicit index, so that device maps, caches and tensors all name the same GPU.
    return torch.device(
        "cuda", torch.cuda.current_device() if device.index is None else device.index
    )


def load_model(name: str, *, device: str = "auto", quantization: str = "") -> LoadedModel:
    """Load checkpoint ``name`` (directory or cached hub id) or raise :class:`ModelLoadError`."""
    try:
        path = resolve_model_dir(name)
        checkpoint = inspect_checkpoint(path)
    except CheckpointError as error:
        raise ModelLoadError(str(error)) from None
    target = resolve_device(device)
    dtype = torch.bfloat16 if target.type == "cuda" else torch.float32
    kwargs = _load_kwargs(target, dtype, quantization)
    # Gemma 2 soft-caps attention logits, which transformers' SDPA path does not do.
    kwargs["attn_implementation"] = "eager" if checkpoint.family == "paligemma2" else "sdpa"
    try:
        model: Any = PaliGemmaForConditionalGeneration.from_pretrained(path, **kwargs)
        processor: Any = PaliGemmaProcessor.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, RuntimeError, KeyError) as error:
        raise ModelLoadError(f"cannot load PaliGemma from {path}: {error}") from error
    if "device_map" not in kwargs:
        model = model.to(target)
    model.eval()
    loaded = LoadedModel(
        name, checkpoint, model, processor, target, dtype, _special_ids(model, processor)
    )
    check_loaded(loaded)
    log.info(
        "loaded %s (%s, %d px, %d image tokens) on %s as %s",
        name,
        checkpoint.family,
        checkpoint.image_size,
        checkpoint.image_tokens,
        target,
        dtype,
    )
    return loaded


def _load_kwargs(device: torch.device, dtype: torch.dtype, quantization: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "dtype": dtype,
        "local_files_only": True,
        "use_safetensors": True,
    }
    if quantization not in QUANTIZATIONS:
        raise ModelLoadError(f"quantization {quantization!r} is not one of {QUANTIZATIONS}")
    if quantization:
        kwargs["quantization_config"] = _bitsandbytes(quantization, device)
        kwargs["device_map"] = {"": device}
    elif device.type == "cuda":
        kwargs["device_map"] = {"": device}  # load straight onto the GPU
    return kwargs


def _bitsandbytes(quantization: str, device: torch.device) -> Any:
    if device.type != "cuda":
        raise ModelLoadError(f"{quantization} quantization needs a CUDA GPU")
    if importlib.util.find_spec("bitsandbytes") is None:  # an optional dependency
        raise ModelLoadError(
            f"{quantization} quantization needs bitsandbytes (pip install bitsandbytes)"
        )
    from transformers import BitsAndBytesConfig  # noqa: PLC0415

    config: Any = BitsAndBytesConfig
    if quantization == "8bit":
        return config(load_in_8bit=True)
    return config(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16
    )


def _special_ids(model: Any, processor: Any) -> SpecialIds:
    tokenizer = processor.tokenizer
    return SpecialIds(
        image=int(model.config.image_token_id),
        bos=_token_id(tokenizer, tokenizer.bos_token, "<bos>"),
        eos=_token_id(tokenizer, tokenizer.eos_token, "<eos>"),
        pad=_token_id(tokenizer, tokenizer.pad_token, "<pad>"),
    )


def _token_id(tokenizer: Any, token: str | None, label: str) -> int:
    if token is None:
        raise ModelLoadError(f"the tokenizer has no {label} token")
    return int(tokenizer.convert_tokens_to_ids(token))


def check_loaded(loaded: LoadedModel) -> None:
    """Processor, tokenizer and model must agree, or the checkpoint is refused."""
    model, processor, info = loaded.model, loaded.processor, loaded.checkpoint
    model_tokens = int(model.config.text_config.num_image_tokens)
    if processor.image_seq_length != info.image_tokens or model_tokens != info.image_tokens:
        raise ModelLoadError(
            f"{info.path}: processor gives {processor.image_seq_length} image tokens, model "
            f"expects {model_tokens}; a {info.image_size} px checkpoint needs {info.image_tokens}"
        )
    size = processor.image_processor.size
    if (size["height"], size["width"]) != (info.image_size, info.image_size):
        raise ModelLoadError(f"{info.path}: processor size {size} != {info.image_size} px")
    tokenizer = processor.tokenizer
    if tokenizer.convert_tokens_to_ids(processor.image_token) != loaded.ids.image:
        raise ModelLoadError(f"{info.path}: tokenizer and model disagree on the <image> token")
    specials = ["<loc0000>", "<loc1023>", "<seg000>", "<seg127>"]
    ids = tokenizer.convert_tokens_to_ids(specials)
    unknown = tokenizer.unk_token_id
    if len(set(ids)) != len(specials) or unknown in ids or max(ids) >= model.config.vocab_size:
        raise ModelLoadError(f"{info.path}: the tokenizer lacks PaliGemma's <loc>/<seg> tokens")
