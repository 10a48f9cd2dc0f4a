"""Batched greedy decoding with image features computed once per page.

``model.generate`` takes pixels per row and one output limit per batch. Here the vision tower
runs once per distinct page (several prompts may read one page) and its features are handed to
the model, each row has its own output cap, and each chosen token's probability is kept for
confidence. Rows are left-padded; the prefix (image, ``<bos>``, prompt, ``\\n``) attends
bidirectionally, exactly as the processor + ``generate`` lay it out, so a row decodes to the
same tokens alone or in a batch (greedy; tested against ``generate`` itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import DynamicCache
from transformers.modeling_outputs import BaseModelOutputWithPooling

from worker.engines.paligemma.loading import SpecialIds


@dataclass(frozen=True)
class DecodeRow:
    """One page read with one prompt."""

    page_key: str  # identifies the page's pixels (rows with one key share image features)
    pixel_values: torch.Tensor  # [3, S, S], the processor's output, on the CPU
    prompt_ids: tuple[int, ...]  # <bos> + prompt + "\n"
    max_new_tokens: int


@dataclass(frozen=True)
class Generation:
    """The answer's tokens (without ``<eos>``), each one's probability, and whether the model
    finished (``False``: cut at ``max_new_tokens``)."""

    token_ids: tuple[int, ...]
    probs: tuple[float, ...]
    finished: bool


def image_features(model: Any, pixel_values: torch.Tensor) -> torch.Tensor:
    """Projected vision features ``[n, image_tokens, hidden]`` for ``n`` pages."""
    return model.get_image_features(pixel_values).pooler_output  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _Prefix:
    ids: torch.Tensor
    mask: torch.Tensor
    positions: torch.Tensor


def _prefix(
    rows: Sequence[DecodeRow], image_tokens: int, ids: SpecialIds, device: torch.device
) -> _Prefix:
    """Left-padded ``<image>``xN + prompt rows; positions count from 1 (PaliGemma's rule)."""
    length = image_tokens + max(len(row.prompt_ids) for row in rows)
    batch = torch.full((len(rows), length), ids.pad, dtype=torch.long)
    mask = torch.zeros((len(rows), length), dtype=torch.long)
    for index, row in enumerate(rows):
        tokens = [ids.image] * image_tokens + list(row.prompt_ids)
        batch[index, length - len(tokens) :] = torch.tensor(tokens)
        mask[index, length - len(tokens) :] = 1
    positions = mask.cumsum(-1).masked_fill(mask == 0, 1)
    return _Prefix(batch.to(device), mask.to(device), positions.to(device))


@torch.inference_mode()
def greedy_decode(
    model: Any,
    rows: Sequence[DecodeRow],
    features: torch.Tensor,
    ids: SpecialIds,
    *,
    stop_at_eos: bool = True,
    prefill_batch: int = 8,
) -> list[Generation]:
    """Decode ``rows`` together; ``features[i]`` are row ``i``'s image features.

    The prefix is run ``prefill_batch`` rows at a time (its activations, ~4100 tokens a row,
    bound memory), then all rows decode together (a decoding step costs about the same for
    8 rows as for 64, so large decode batches are where batching pays).
    With ``stop_at_eos=False`` every row writes exactly ``max_new_tokens`` (benchmarks).
    """
    device = features.device
    prefix = _prefix(rows, features.shape[1], ids, device)
    caps = torch.tensor([row.max_new_tokens for row in rows], device=device)
    cache, logits = _prefill(model, prefix, features, prefill_batch)
    mask, positions = prefix.mask, prefix.positions[:, -1:]
    done = torch.zeros(len(rows), dtype=torch.bool, device=device)
    chosen: list[torch.Tensor] = []
    probs: list[torch.Tensor] = []
    for step in range(int(caps.max())):
        if not stop_at_eos:
            logits[:, ids.eos] = -torch.inf
        prob, token = logits.softmax(-1).max(-1)
        chosen.append(token)
        probs.append(prob)
        done |= (token == ids.eos) | (caps <= step + 1)
        if bool(done.all()):
            break
        mask = torch.cat([mask, mask.new_ones((len(rows), 1))], dim=-1)
        positions = positions + 1
        output = model(
            input_ids=torch.where(done, ids.pad, token)[:, None],
            attention_mask=mask,
            position_ids=positions,
            cache=cache,
            use_cache=True,
        )
        logits = output.logits[:, -1].float()
    return _collect(torch.stack(chosen, 1).tolist(), torch.stack(probs, 1).tolist(), rows, ids)


def _prefill(
    model: Any, prefix: _Prefix, features: torch.Tensor, chunk: int
) -> tuple[DynamicCache, torch.Tensor]:
    """Run the prefix in chunks of rows; one cache for all rows and their next-token logits."""
    caches: list[DynamicCache] = []
    logits: list[torch.Tensor] = []
    for start in range(0, prefix.ids.shape[0], max(1, chunk)):
        rows = slice(start, start + max(1, chunk))
        cache = DynamicCache(config=model.config)
        output = model(
            input_ids=prefix.ids[rows],
            attention_mask=prefix.mask[rows],
            position_ids=prefix.positions[rows],
            token_type_ids=torch.zeros_like(prefix.ids[rows]),  # all prefix: bidirectional
            cache=cache,
            use_cache=True,
            mm_encoder_outputs={"image": BaseModelOutputWithPooling(pooler_output=features[rows])},
            logits_to_keep=1,
        )
        caches.append(cache)
        logits.append(output.logits[:, -1].float())
    return _concatenate(caches), torch.cat(logits)


def _concatenate(caches: list[DynamicCache]) -> DynamicCache:
    """Chunks share one padded length, so their caches stack along the batch dimension."""
    merged = caches[0]
    layers: list[list[Any]] = [list(cache.layers) for cache in caches]  # dynamic layers
    for index, layer in enumerate(layers[0]):
        layer.keys = torch.cat([chunk[index].keys for chunk in layers])
        layer.values = torch.cat([chunk[index].values for chunk in layers])
    return merged


def _collect(
    tokens: list[list[int]], probs: list[list[float]], rows: Sequence[DecodeRow], ids: SpecialIds
) -> list[Generation]:
    generations: list[Generation] = []
    for row_tokens, row_probs, row in zip(tokens, probs, rows, strict=True):
        cap = row.max_new_tokens
        end = row_tokens.index(ids.eos) if ids.eos in row_tokens[:cap] else cap
        finished = end < cap
        generations.append(Generation(tuple(row_tokens[:end]), tuple(row_probs[:end]), finished))
    return generations
