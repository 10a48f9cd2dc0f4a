"""A tiny PaliGemma checkpoint with random weights, for tests and for trying the engine on CPU.

The real architecture (SigLIP vision tower, projector, Gemma or Gemma 2 decoder) at a very
small width, the real input size (896 px -> 4096 image tokens, or 448 px) and the real file
layout (``config.json``, ``model.safetensors``, processor and tokenizer files), loaded through
the very code path that loads a real checkpoint. The tokenizer is byte-level (any text, JSON
included, round-trips) with PaliGemma's special tokens: ``<pad>`` ``<eos>`` ``<bos>`` ``<unk>``
(ids 0-3 as in Gemma), ``<loc0000>``..``<loc1023>``, ``<seg000>``..``<seg127>`` and ``<image>``.

:func:`paligemma_config` also builds the full-size PaliGemma-3B-896 configuration for the
throughput benchmark (random weights, real cost).
"""

# ruff: noqa: S105, S106  (tokenizer special tokens, not passwords)
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import transformers
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

from worker.engines.paligemma.checkpoint import SUPPORTED_IMAGE_TOKENS

# transformers' annotations do not follow its runtime API (configs take **kwargs, processors
# get attributes set): drive it untyped here rather than sprinkle ignores.
_hf: Any = transformers
SPECIAL_TOKENS = ("<pad>", "<eos>", "<bos>", "<unk>")
LOC_TOKENS = tuple(f"<loc{i:04d}>" for i in range(1024))
SEG_TOKENS = tuple(f"<seg{i:03d}>" for i in range(128))
IMAGE_TOKEN = "<image>"


@dataclass(frozen=True)
class Dims:
    """Widths of one model: vision tower and text decoder."""

    vision_hidden: int
    vision_intermediate: int
    vision_layers: int
    vision_heads: int
    text_hidden: int
    text_intermediate: int
    text_layers: int
    text_heads: int
    text_kv_heads: int
    head_dim: int


TINY = Dims(16, 32, 1, 1, 32, 64, 2, 1, 1, 16)
# PaliGemma-3B: SigLIP So400m/14 + Gemma 2B.
PALIGEMMA_3B = Dims(1152, 4304, 27, 16, 2048, 16384, 18, 8, 1, 256)
PALIGEMMA_3B_VOCAB = 257216


def build_tokenizer(vocab_size: int | None = None) -> Any:
    """A byte-level tokenizer with PaliGemma's special tokens (padded to ``vocab_size``)."""
    vocab = {token: index for index, token in enumerate(SPECIAL_TOKENS)}
    for char in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[char] = len(vocab)
    reserved = len(vocab) + len(LOC_TOKENS) + len(SEG_TOKENS) + 1
    for index in range(max(0, (vocab_size or 0) - reserved)):
        vocab[f"<unused{index}>"] = len(vocab)  # only to reach a real vocabulary size
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([_token(t, special=True) for t in SPECIAL_TOKENS])
    tokenizer.add_tokens([_token(t, special=False) for t in LOC_TOKENS + SEG_TOKENS])
    tokenizer.add_special_tokens([_token(IMAGE_TOKEN, special=True)])
    return _hf.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<bos>",
        eos_token="<eos>",
        pad_token="<pad>",
        unk_token="<unk>",
        image_token=IMAGE_TOKEN,
        extra_special_tokens={"image_token": IMAGE_TOKEN},
    )


def _token(content: str, *, special: bool) -> AddedToken:
    return AddedToken(content, special=special, normalized=False)


def paligemma_config(
    dims: Dims,
    *,
    image_size: int,
    vocab_size: int,
    image_token_index: int,
    family: str = "paligemma",
) -> Any:
    """A PaliGemma (1: Gemma decoder, 2: Gemma 2 decoder) configuration of the given widths."""
    text: dict[str, Any] = {
        "model_type": "gemma2" if family == "paligemma2" else "gemma",
        "hidden_size": dims.text_hidden,
        "intermediate_size": dims.text_intermediate,
        "num_hidden_layers": dims.text_layers,
        "num_attention_heads": dims.text_heads,
        "num_key_value_heads": dims.text_kv_heads,
        "head_dim": dims.head_dim,
        "vocab_size": vocab_size,
    }
    vision = {
        "hidden_size": dims.vision_hidden,
        "intermediate_size": dims.vision_intermediate,
        "num_hidden_layers": dims.vision_layers,
        "num_attention_heads": dims.vision_heads,
        "image_size": image_size,
        "patch_size": 14,
        "vision_use_head": False,
    }
    return _hf.PaliGemmaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=image_token_index,
        vocab_size=vocab_size,
        projection_dim=dims.text_hidden,
        hidden_size=dims.text_hidden,
        bos_token_id=2,
        eos_token_id=1,
        pad_token_id=0,
    )


def build_processor(tokenizer: Any, image_size: int) -> Any:
    image_processor = _hf.SiglipImageProcessor(
        size={"height": image_size, "width": image_size},
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
        resample=3,
    )
    image_processor.image_seq_length = SUPPORTED_IMAGE_TOKENS[image_size]
    return _hf.PaliGemmaProcessor(image_processor=image_processor, tokenizer=tokenizer)


def build_tiny_checkpoint(
    out_dir: Path, *, image_size: int = 896, family: str = "paligemma", seed: int = 0
) -> Path:
    """Write a tiny random PaliGemma checkpoint to ``out_dir`` and return it."""
    tokenizer = build_tokenizer()
    config = paligemma_config(
        TINY,
        image_size=image_size,
        vocab_size=len(tokenizer),
        image_token_index=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
        family=family,
    )
    config.text_config.initializer_range = 0.2  # livelier random answers than the default
    torch.manual_seed(seed)
    model = _hf.PaliGemmaForConditionalGeneration(config).eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    build_processor(tokenizer, image_size).save_pretrained(out_dir)
    return out_dir


def build_tiny_adapter(
    model_dir: Path,
    out_dir: Path,
    *,
    seed: int = 1,
    rank: int = 4,
    target_modules: tuple[str, ...] = ("q_proj", "v_proj"),
    stamp: bool = True,
) -> Path:
    """Write a random (non-zero) peft LoRA adapter for the checkpoint at ``model_dir``.

    ``stamp`` records the base's fingerprint the way FormLens's training does; without it the
    adapter names its base only by path, like one trained elsewhere.
    """
    from peft import LoraConfig, get_peft_model  # noqa: PLC0415

    from worker.engines.paligemma.adapter_files import stamp_adapter  # noqa: PLC0415
    from worker.engines.paligemma.base_model import describe_base  # noqa: PLC0415

    model = _hf.PaliGemmaForConditionalGeneration.from_pretrained(model_dir, local_files_only=True)
    config = LoraConfig(
        r=rank, lora_alpha=2 * rank, target_modules=list(target_modules), init_lora_weights=False
    )
    torch.manual_seed(seed)
    get_peft_model(model, config).save_pretrained(str(out_dir))
    if stamp:
        stamp_adapter(out_dir, describe_base(model_dir))
    return out_dir
