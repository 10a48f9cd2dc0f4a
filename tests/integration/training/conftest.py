"""Settings and helpers for the training tests: the tiny checkpoint as the configured base."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from core.storage import BlobStore
from core.training_params import TrainingParams
from models import Database
from tests.conftest import make_settings
from tests.support.training import approved_receipt

# Enough for the tiny model to learn three short answers by heart on a CPU (measured: exact
# after about 125 steps); all-linear so that the vision tower can tell the pages apart.
MEMORISE = TrainingParams(
    rank=32,
    alpha=64,
    target_modules=("all-linear",),
    epochs=250,
    learning_rate=1e-2,
    batch_size=4,
    lora_dropout=0.0,
    synthetic_documents=0,
    eval_fraction=0.25,
)


@pytest.fixture
def training_settings(
    tmp_path: Path, database: Database, redis_url: str, tiny_model: Path
) -> Settings:
    return make_settings(
        tmp_path / "data",
        database.url,
        redis_url,
        paligemma_model=str(tiny_model),
        paligemma_device="cpu",
        paligemma_batch_wait_ms=5,
    )


@pytest.fixture
def four_receipts(training_settings: Settings, database: Database) -> list[str]:
    blobs = BlobStore(training_settings.blob_dir)
    return [str(approved_receipt(database, blobs, seed)) for seed in range(4)]
