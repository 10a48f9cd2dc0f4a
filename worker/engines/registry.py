"""Engines by name, built once per process.

Factories import their engine's module only when first asked for, so a CPU worker (or the
web process, which never reads documents) does not import torch to read a text layer.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

from core.settings import Settings
from worker.engines.base import Engine, EngineUnavailable

EngineFactory = Callable[[Settings], Engine]

# name -> "module:factory"; each factory takes the settings and returns a ready engine.
_FACTORIES: dict[str, str] = {
    "auto": "worker.engines.cpu:build_auto",
    "einvoice": "worker.engines.cpu:build_einvoice",
    "textlayer": "worker.engines.cpu:build_textlayer",
    "tesseract": "worker.engines.cpu:build_tesseract",
    "rapidocr": "worker.engines.cpu:build_rapidocr",
    "paligemma": "worker.engines.paligemma.engine:build_engine",
}

# Engines that need a GPU worker: documents read by them go to the ``gpu`` queue.
GPU_ENGINES = frozenset({"paligemma"})


class EngineRegistry:
    """A per-process cache of engines, safe to use from several worker threads."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    @staticmethod
    def names() -> tuple[str, ...]:
        return tuple(_FACTORIES)

    def get(self, name: str) -> Engine:
        with self._lock:
            if name not in self._engines:
                self._engines[name] = self._build(name)
            return self._engines[name]

    def _build(self, name: str) -> Engine:
        target = _FACTORIES.get(name)
        if target is None:
            raise EngineUnavailable(f"unknown engine {name!r}; known: {', '.join(_FACTORIES)}")
        module_name, factory_name = target.split(":")
        factory: EngineFactory = getattr(importlib.import_module(module_name), factory_name)
        return factory(self._settings)
