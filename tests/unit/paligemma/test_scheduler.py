"""The batcher: grouping by adapter, batching across threads, OOM retries, poisoned rows."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from worker.engines.base import EngineError
from worker.engines.paligemma.scheduler import BatchScheduler, BatchTooLarge


class Recorder:
    def __init__(self, fits: int = 1000, poison: str = "") -> None:
        self.batches: list[tuple[str, tuple[str, ...]]] = []
        self.fits, self.poison = fits, poison
        self.release = threading.Event()
        self.release.set()

    def __call__(self, key: str, items: Sequence[str]) -> list[str]:
        self.release.wait(5)
        if len(items) > self.fits:
            raise BatchTooLarge("out of memory")
        if self.poison in items:
            raise ValueError("bad page")
        self.batches.append((key, tuple(items)))
        return [f"{key}:{item}" for item in items]


def scheduler(runner: Recorder, max_batch: int = 4, wait_s: float = 0.05):
    return BatchScheduler(runner, max_batch=max_batch, wait_s=wait_s)


def test_results_come_back_in_order_and_batches_never_mix_keys() -> None:
    runner = Recorder()
    batcher = scheduler(runner)
    a = batcher.submit("a", ["1", "2", "3"])
    b = batcher.submit("b", ["4"])
    c = batcher.submit("a", ["5", "6"])
    assert [f.result(5) for f in a + b + c] == ["a:1", "a:2", "a:3", "b:4", "a:5", "a:6"]
    assert all(len(items) <= 4 for _, items in runner.batches)
    assert {key for key, items in runner.batches for item in items if item in "4"} == {"b"}
    assert ("a", ("1", "2", "3", "5")) in runner.batches  # rows of two requests, one batch
    batcher.close()


def test_concurrent_requests_for_one_adapter_share_batches() -> None:
    runner = Recorder()
    runner.release.clear()  # hold the first batch so that the others queue up meanwhile
    batcher = scheduler(runner, max_batch=8, wait_s=0.02)
    results: dict[int, list[str]] = {}

    def document(n: int) -> None:
        results[n] = batcher.run("invoice@v1", [f"d{n}p{p}" for p in range(2)])

    threads = [threading.Thread(target=document, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    runner.release.set()
    for thread in threads:
        thread.join(10)
    assert all(results[n] == [f"invoice@v1:d{n}p0", f"invoice@v1:d{n}p1"] for n in range(6))
    assert max(len({item[:2] for item in items}) for _, items in runner.batches) >= 3
    batcher.close()


def test_a_batch_that_does_not_fit_is_retried_in_halves() -> None:
    runner = Recorder(fits=2)
    batcher = scheduler(runner, max_batch=8)
    assert batcher.run("k", list("abcdefg")) == [f"k:{c}" for c in "abcdefg"]
    assert all(len(items) <= 2 for _, items in runner.batches)
    batcher.close()


def test_out_of_memory_even_alone_fails_with_a_readable_reason_and_nothing_else() -> None:
    runner = Recorder(fits=0)
    batcher = scheduler(runner)
    with pytest.raises(EngineError, match="out of GPU memory"):
        batcher.run("k", ["a", "b", "c"])
    runner.fits = 10
    assert batcher.run("k", ["d"]) == ["k:d"]  # the worker keeps serving
    batcher.close()


def test_a_poisoned_row_fails_alone() -> None:
    runner = Recorder(poison="bad")
    batcher = scheduler(runner)
    futures = batcher.submit("k", ["ok1", "bad", "ok2"])
    assert futures[0].result(5) == "k:ok1" and futures[2].result(5) == "k:ok2"
    with pytest.raises(EngineError, match="bad page"):
        futures[1].result(5)
    batcher.close()


def test_closed_scheduler_refuses_work() -> None:
    batcher = scheduler(Recorder())
    batcher.close()
    with pytest.raises(EngineError, match="shut down"):
        batcher.submit("k", ["a"])
