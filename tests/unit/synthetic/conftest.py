"""Shared helpers for the synthetic-document tests."""

from __future__ import annotations

import pytest

from worker.synthetic import LANGUAGES, SyntheticDocument, generate

# Enough seeds to meet every layout choice a few times, few enough to stay fast (~5 ms each).
SEEDS = range(40)


@pytest.fixture(scope="session")
def invoices() -> list[SyntheticDocument]:
    return [generate("invoice", seed) for seed in SEEDS]


@pytest.fixture(scope="session")
def receipts() -> list[SyntheticDocument]:
    return [generate("receipt", seed) for seed in SEEDS]


@pytest.fixture(scope="session")
def multipage() -> list[SyntheticDocument]:
    return [generate("invoice", seed, pages=2 + seed % 3) for seed in range(6)]


@pytest.fixture(scope="session")
def every_language() -> list[SyntheticDocument]:
    return [
        generate(doc_type, seed, language=language)
        for language in LANGUAGES
        for doc_type in ("invoice", "receipt")
        for seed in range(5)
    ]
