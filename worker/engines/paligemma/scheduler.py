"""The batcher: one thread owns the GPU; request threads hand it work and wait on futures.

The GPU Celery worker runs several tasks at once in threads. Each task submits its rows (one
page + prompt each) under a group key (base model, adapter); the scheduler thread waits up to
``wait_s`` from the oldest waiting row for more to arrive, then runs the oldest row's group,
up to ``max_batch`` rows, in one batch. So pages of one document and of concurrent documents
that share an adapter are batched together, and a batch never mixes adapters. The model is
only ever touched by this thread, which is what makes the engine thread-safe.

A batch that does not fit (the runner raises :class:`BatchTooLarge`, e.g. on CUDA OOM) is
split in halves and retried, down to single rows; a row that fails alone fails its own
document with a readable reason, and rows of other documents still run. Any other error in a
batch is retried row by row once, so one poisoned page cannot fail its neighbours.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from worker.engines.base import EngineError

K = TypeVar("K", bound=Hashable)
I = TypeVar("I")  # noqa: E741  (item)
R = TypeVar("R")
log = logging.getLogger(__name__)
_GROW_AFTER = 32  # successful batches at a reduced size before trying a larger one again


class BatchTooLarge(Exception):
    """The runner could not fit the batch in memory; the scheduler retries it in halves."""


@dataclass
class _Pending(Generic[K, I, R]):
    key: K
    item: I
    future: Future[R] = field(default_factory=Future)
    arrived: float = field(default_factory=time.monotonic)


class BatchScheduler(Generic[K, I, R]):
    """Batches items by key on a single worker thread (started on first use)."""

    def __init__(
        self,
        run_batch: Callable[[K, Sequence[I]], Sequence[R]],
        *,
        max_batch: int,
        wait_s: float,
        sort_key: Callable[[I], Any] | None = None,
        name: str = "paligemma-batcher",
    ) -> None:
        self._run = run_batch
        self._max_batch = max(1, max_batch)
        self._limit = self._max_batch
        self._successes = 0
        self._wait_s = max(0.0, wait_s)
        self._sort_key = sort_key
        self._name = name
        self._pending: list[_Pending[K, I, R]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.history: deque[tuple[K, int]] = deque(maxlen=1000)  # (key, size) per batch run

    def submit(self, key: K, items: Sequence[I]) -> list[Future[R]]:
        """Queue ``items`` under ``key``; each future resolves to that item's result."""
        pending = [_Pending[K, I, R](key, item) for item in items]
        with self._cond:
            if self._closed:
                raise EngineError("the PaliGemma engine is shut down")
            self._pending.extend(pending)
            self._ensure_thread()
            self._cond.notify_all()
        return [p.future for p in pending]

    def run(self, key: K, items: Sequence[I]) -> list[R]:
        """Submit and wait (re-raising the first item's error)."""
        return [future.result() for future in self.submit(key, items)]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            abandoned, self._pending = self._pending, []
            self._cond.notify_all()
        for pending in abandoned:
            pending.future.set_exception(EngineError("the PaliGemma engine is shut down"))

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while (batch := self._next_batch()) is not None:
            key, pending = batch
            if self._sort_key is not None:
                sort_key = self._sort_key
                pending.sort(key=lambda p: sort_key(p.item))
            self._execute(key, pending)

    def _next_batch(self) -> tuple[K, list[_Pending[K, I, R]]] | None:
        with self._cond:
            while not self._closed:
                if not self._pending:
                    self._cond.wait()
                    continue
                full = self._full_group()
                remaining = self._pending[0].arrived + self._wait_s - time.monotonic()
                if full is None and remaining > 0:
                    self._cond.wait(remaining)
                    continue
                key = full if full is not None else self._pending[0].key
                return key, self._take(key)
            return None

    def _full_group(self) -> K | None:
        counts: dict[K, int] = {}
        for pending in self._pending:
            counts[pending.key] = counts.get(pending.key, 0) + 1
            if counts[pending.key] >= self._limit:
                return pending.key
        return None

    def _take(self, key: K) -> list[_Pending[K, I, R]]:
        taken: list[_Pending[K, I, R]] = []
        kept: list[_Pending[K, I, R]] = []
        for pending in self._pending:
            (taken if pending.key == key and len(taken) < self._limit else kept).append(pending)
        self._pending = kept
        return taken

    def _execute(self, key: K, pending: list[_Pending[K, I, R]]) -> None:
        try:
            results = self._run(key, [p.item for p in pending])
            if len(results) != len(pending):
                raise RuntimeError(f"{len(results)} results for {len(pending)} rows")
        except BatchTooLarge:
            self._split_after_oom(key, pending)
        except Exception as error:  # isolated per row below, then reported
            self._isolate(key, pending, error)
        except BaseException:  # interpreter shutdown: no waiter may hang on this batch
            for item in pending:
                if not item.future.done():
                    item.future.set_exception(EngineError("the PaliGemma engine stopped"))
            raise
        else:
            self.history.append((key, len(pending)))
            self._grow()
            for item, result in zip(pending, results, strict=True):
                item.future.set_result(result)

    def _split_after_oom(self, key: K, pending: list[_Pending[K, I, R]]) -> None:
        if len(pending) == 1:
            pending[0].future.set_exception(
                EngineError("out of GPU memory even reading one page alone")
            )
            return
        half = len(pending) // 2
        self._limit, self._successes = max(1, min(self._limit, half)), 0
        log.warning("batch of %d did not fit in memory; retrying in halves", len(pending))
        self._execute(key, pending[:half])
        self._execute(key, pending[half:])

    def _isolate(self, key: K, pending: list[_Pending[K, I, R]], error: Exception) -> None:
        if len(pending) == 1:
            log.warning("row failed: %s", error, exc_info=error)
            reason = (
                error
                if isinstance(error, EngineError)
                else EngineError(f"the model failed on a page: {type(error).__name__}: {error}")
            )
            pending[0].future.set_exception(reason)
            return
        log.warning("batch of %d failed (%s); retrying row by row", len(pending), error)
        for item in pending:
            self._execute(key, [item])

    def _grow(self) -> None:
        if self._limit >= self._max_batch:
            return
        self._successes += 1
        if self._successes >= _GROW_AFTER:
            self._limit, self._successes = min(self._max_batch, self._limit * 2), 0
