"""The admin tests run the app with the tiny checkpoint as the configured base model."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from core.settings import Settings
from models import Database
from tests.conftest import create_test_app, make_settings


@pytest.fixture
def admin_settings(
    tmp_path: Path, database: Database, redis_url: str, tiny_model: Path
) -> Settings:
    return make_settings(
        tmp_path / "data",
        database.url,
        redis_url,
        paligemma_model=str(tiny_model),
        paligemma_device="cpu",
        adapter_unpacked_max_bytes=8 * 1024 * 1024,
    )


@pytest.fixture
def app(admin_settings: Settings, database: Database) -> Flask:
    return create_test_app(admin_settings)
