"""Resident LoRA adapters: a bounded LRU over peft's load/set/delete of named adapters.

Adapters are keyed by ``AdapterRef.key`` (``invoice@v3``): the task passes the type's active
version with every document, so activating a new version in the admin makes the next batch
load it, and the old version leaves the cache when it is the least recently used. Before any
byte reaches torch the directory passes :func:`inspect_adapter` against this worker's base
(safetensors only, LoRA shapes that fit, the right base model); the weights are then read once,
checked against the hashes the inspection computed, and loaded from those bytes. peft adapts
exactly the modules the file has weights for.

Only the scheduler thread calls this class (see ``scheduler``): peft's adapter switching is
global state of the model.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, PeftModel, set_peft_model_state_dict
from safetensors.torch import load as load_safetensors

from core.doctypes import AdapterRef
from worker.engines.base import EngineError
from worker.engines.paligemma.adapter_files import (
    AdapterFileError,
    AdapterInfo,
    inspect_adapter,
    read_adapter_config,
)
from worker.engines.paligemma.base_model import (
    FINGERPRINT_PREFIX,
    BaseModelInfo,
    canonical_module,
)

log = logging.getLogger(__name__)
REFUSAL_TTL_S = 60.0  # a refused adapter is not re-read for every page; a fixed one is retried


class AdapterRejected(EngineError):
    """The adapter cannot be used with this base; the message says why."""


@dataclass(frozen=True)
class ResidentAdapter:
    key: str
    ref: AdapterRef
    info: AdapterInfo


class AdapterCache:
    """Up to ``capacity`` adapters resident on one base model."""

    def __init__(
        self,
        model: Any,
        base: BaseModelInfo,
        capacity: int,
        resolve_path: Callable[[AdapterRef], Path],
    ) -> None:
        self._model = model
        self._base = base
        self._capacity = max(1, capacity)
        self._resolve = resolve_path
        self._peft: Any = None  # a PeftModel once the first adapter is loaded
        self._resident: OrderedDict[str, ResidentAdapter] = OrderedDict()
        self._refused: dict[str, tuple[float, str]] = {}
        self._modules = {canonical_module(name): name for name, _ in model.named_modules()}
        self.loads = 0  # adapters loaded from disk (metrics, tests)

    @property
    def keys(self) -> tuple[str, ...]:
        """Resident adapters, least recently used first."""
        return tuple(self._resident)

    def activate(self, ref: AdapterRef | None) -> ResidentAdapter | None:
        """Make ``ref`` the adapter the model runs with (``None``: the base model alone)."""
        if ref is None:
            if self._peft is not None:
                self._peft.base_model.disable_adapter_layers()
            return None
        resident = self._resident.get(ref.key) or self.load_adapter(ref)
        self._resident.move_to_end(ref.key)
        self.set_adapter(ref.key)
        return resident

    def set_adapter(self, key: str) -> None:
        assert self._peft is not None
        self._peft.base_model.enable_adapter_layers()
        self._peft.set_adapter(key, inference_mode=True)

    def load_adapter(self, ref: AdapterRef) -> ResidentAdapter:
        """Validate and load ``ref`` (evicting the least recently used beyond capacity)."""
        refused = self._refused.get(ref.key)
        if refused and time.monotonic() - refused[0] < REFUSAL_TTL_S:
            raise AdapterRejected(refused[1])
        try:
            resident = self._load(ref)
        except (AdapterFileError, OSError, ValueError, RuntimeError, KeyError) as error:
            message = f"adapter {ref.key} refused: {error}"
            self._refused[ref.key] = (time.monotonic(), message)
            raise AdapterRejected(message) from error
        self._refused.pop(ref.key, None)
        self._resident[ref.key] = resident
        self._evict(keep=ref.key)
        return resident

    def delete_adapter(self, key: str) -> None:
        if self._peft is not None and key in self._resident:
            self._peft.delete_adapter(key)
            del self._resident[key]
            log.info("evicted adapter %s", key)

    def _evict(self, keep: str) -> None:
        while len(self._resident) > self._capacity:
            oldest = next(key for key in self._resident if key != keep)
            self.delete_adapter(oldest)

    def _load(self, ref: AdapterRef) -> ResidentAdapter:
        path = self._resolve(ref)
        info = inspect_adapter(path, self._base)
        if ref.base_model.startswith(FINGERPRINT_PREFIX) and not self._base.matches(ref.base_model):
            raise AdapterFileError(
                f"registered for base {ref.base_model}, this worker runs {self._base.fingerprint}"
            )
        state = self._read_state(info)
        config = self._lora_config(info)
        if self._peft is None:
            self._peft = PeftModel(
                self._model, config, adapter_name=ref.key, autocast_adapter_dtype=False
            )
        else:
            self._peft.add_adapter(ref.key, config, autocast_adapter_dtype=False)
        loaded: Any = set_peft_model_state_dict(self._peft, state, adapter_name=ref.key)
        missing = [key for key in loaded.missing_keys if f".{ref.key}." in key]
        if missing or loaded.unexpected_keys:
            self._peft.delete_adapter(ref.key)
            raise AdapterFileError(
                f"weights do not fit: missing {missing[:3]}, "
                f"unexpected {list(loaded.unexpected_keys)[:3]}"
            )
        self.loads += 1
        log.info(
            "loaded adapter %s (r=%d, %d modules) from %s",
            ref.key,
            info.rank,
            len(info.modules),
            path,
        )
        return ResidentAdapter(ref.key, ref, info)

    def _read_state(self, info: AdapterInfo) -> dict[str, torch.Tensor]:
        """The weights as peft names them, read from bytes whose hash was just checked."""
        state: dict[str, torch.Tensor] = {}
        for name in info.weight_files:
            data = (info.path / name).read_bytes()
            if hashlib.sha256(data).hexdigest() != info.file_sha256[name]:
                raise AdapterFileError(f"{name} changed while it was being loaded")
            for key, tensor in load_safetensors(data).items():
                module, _, part = key.rpartition(".lora_")
                actual = self._modules[canonical_module(module)]
                state[f"base_model.model.{actual}.lora_{part}"] = tensor
        return state

    def _lora_config(self, info: AdapterInfo) -> LoraConfig:
        raw = read_adapter_config(info.path)
        config: Any = LoraConfig  # peft types lora_alpha as int; configs may hold a float
        return config(  # type: ignore[no-any-return]
            r=info.rank,
            lora_alpha=info.alpha,
            # Exactly the modules with weights, by their in-memory names.
            target_modules=sorted(self._modules[module] for module in info.modules),
            use_rslora=bool(raw.get("use_rslora", False)),
            rank_pattern=dict(raw.get("rank_pattern") or {}),
            alpha_pattern=dict(raw.get("alpha_pattern") or {}),
            fan_in_fan_out=bool(raw.get("fan_in_fan_out", False)),
            lora_dropout=0.0,
            inference_mode=True,
        )
