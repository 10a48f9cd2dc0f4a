"""One loaded base model serving batches: adapter switch, image features, decoding, OOM.

Called only from the scheduler thread. Image features are kept in a small LRU keyed by page
and by the adapter when that adapter changes the vision tower or projector (most document
adapters adapt the language model only, so the OCR pass and the extraction pass of one page
share one vision forward). A CUDA out-of-memory error becomes :class:`BatchTooLarge`, which
the scheduler answers by retrying in halves.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from core.doctypes import AdapterRef
from worker.engines.paligemma.adapters import AdapterCache
from worker.engines.paligemma.base_model import BaseModelInfo
from worker.engines.paligemma.decoding import DecodeRow, Generation, greedy_decode, image_features
from worker.engines.paligemma.loading import LoadedModel
from worker.engines.paligemma.scheduler import BatchTooLarge


@dataclass(frozen=True)
class RuntimeOptions:
    feature_cache_pages: int = 32  # 16 MiB each for the 3B model in bfloat16
    vision_batch: int = 8  # pages per vision-tower forward
    prefill_batch: int = 8  # rows per prefix forward (activation memory); decoding takes all
    stop_at_eos: bool = True  # False: every row writes its full budget (benchmarks)


class Runtime:
    """A base model, its resident adapters and its cached page features."""

    def __init__(
        self,
        loaded: LoadedModel,
        base: BaseModelInfo,
        adapters: AdapterCache,
        options: RuntimeOptions,
    ) -> None:
        self.loaded = loaded
        self.base = base
        self.adapters = adapters
        self.options = options
        self._features: OrderedDict[tuple[str, str], torch.Tensor] = OrderedDict()
        self.vision_pages = 0  # pages run through the vision tower (metrics, tests)

    def run_batch(self, adapter: AdapterRef | None, rows: Sequence[DecodeRow]) -> list[Generation]:
        """Decode ``rows`` with ``adapter`` active; the scheduler's runner."""
        try:
            with torch.inference_mode():
                resident = self.adapters.activate(adapter)
                variant = resident.key if resident and resident.info.touches_vision else ""
                features = self._features_for(rows, variant)
                return greedy_decode(
                    self.loaded.model,
                    rows,
                    features,
                    self.loaded.ids,
                    stop_at_eos=self.options.stop_at_eos,
                    prefill_batch=self.options.prefill_batch,
                )
        except torch.OutOfMemoryError as error:
            self._features.clear()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            raise BatchTooLarge(str(error)) from error

    def _features_for(self, rows: Sequence[DecodeRow], variant: str) -> torch.Tensor:
        """Row-aligned image features, running the vision tower only for unseen pages."""
        found: dict[str, torch.Tensor] = {}
        missing: dict[str, torch.Tensor] = {}
        for row in rows:
            cached = self._features.get((row.page_key, variant))
            if cached is not None:
                self._features.move_to_end((row.page_key, variant))
                found[row.page_key] = cached
            else:
                missing.setdefault(row.page_key, row.pixel_values)
        keys = list(missing)
        for start in range(0, len(keys), self.options.vision_batch):
            chunk = keys[start : start + self.options.vision_batch]
            pixels = torch.stack([missing[key] for key in chunk]).to(
                self.loaded.device, self.loaded.dtype
            )
            for key, features in zip(chunk, image_features(self.loaded.model, pixels), strict=True):
                found[key] = features
                self._remember((key, variant), features)
            self.vision_pages += len(chunk)
        return torch.stack([found[row.page_key] for row in rows])

    def _remember(self, key: tuple[str, str], features: torch.Tensor) -> None:
        self._features[key] = features
        while len(self._features) > self.options.feature_cache_pages:
            self._features.popitem(last=False)
