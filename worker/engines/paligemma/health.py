"""Start-up health check of a GPU worker's model and adapter files (torch-free, seconds).

A worker whose model or adapter files are missing or damaged must refuse to start rather than
fail every task it takes. :func:`check_health` checks the configured checkpoint (configs,
tokenizer, every safetensors header and file length), computes the base's identity, and checks
each adapter the caller names (the active ones, from the database) against the base it was
trained on. It reports every problem at once, so one restart fixes them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.doctypes import AdapterRef
from core.settings import Settings
from worker.engines.base import EngineUnavailable
from worker.engines.paligemma.adapter_files import (
    AdapterFileError,
    AdapterInfo,
    adapter_path,
    inspect_adapter,
)
from worker.engines.paligemma.base_model import BaseModelInfo, describe_base
from worker.engines.paligemma.checkpoint import CheckpointError, resolve_model_dir
from worker.engines.paligemma.safetensors_io import SafetensorsError


class HealthCheckFailed(EngineUnavailable):
    """The worker must not start; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("PaliGemma health check failed: " + "; ".join(self.problems))


@dataclass(frozen=True)
class HealthReport:
    bases: tuple[BaseModelInfo, ...]  # the configured model first, then per-type overrides
    adapters: tuple[AdapterInfo, ...]


def check_health(
    settings: Settings,
    adapters: Iterable[AdapterRef] = (),
    extra_models: Iterable[str] = (),
) -> HealthReport:
    """Check the model (and ``extra_models``, per-type checkpoints) and ``adapters``."""
    problems: list[str] = []
    bases: list[BaseModelInfo] = []
    for name in dict.fromkeys([settings.paligemma_model, *extra_models]):
        try:
            bases.append(describe_base(resolve_model_dir(name), name))
        except (CheckpointError, SafetensorsError, OSError) as error:
            problems.append(f"model {name or '(not set)'}: {error}")
    infos: list[AdapterInfo] = []
    for ref in adapters:
        try:
            infos.append(_check_adapter(ref, settings.adapter_dir, bases))
        except AdapterFileError as error:
            problems.append(f"adapter {ref.key}: {error}")
    if problems:
        raise HealthCheckFailed(problems)
    return HealthReport(tuple(bases), tuple(infos))


def _check_adapter(ref: AdapterRef, adapter_dir: Path, bases: list[BaseModelInfo]) -> AdapterInfo:
    path = adapter_path(ref, adapter_dir)
    info = inspect_adapter(path)  # structure first: a damaged adapter fails here
    for base in bases:
        if base.matches(info.base_model):
            return inspect_adapter(path, base)
    raise AdapterFileError(f"trained on {info.base_model}, which this worker does not load")
