"""``formlens adapters`` and ``formlens train`` run as an operator runs them (subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from core.settings import Settings
from models import AuditEntry, Database, Role, TrainingJob
from models.accounts import create_user
from tests.conftest import make_settings
from tests.support.worker import settings_env

pytestmark = pytest.mark.integration


@pytest.fixture
def cli_settings(
    tmp_path: Path, fresh_database_url: str, redis_url: str, tiny_model: Path
) -> Settings:
    return make_settings(
        tmp_path / "data", fresh_database_url, redis_url, paligemma_model=str(tiny_model)
    )


def formlens(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "formlens", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_adapters_upload_list_activate_and_roll_back(
    cli_settings: Settings, tiny_adapter: Path, tmp_path: Path
) -> None:
    database = Database(cli_settings.effective_database_url)
    with database.session() as session:
        create_user(session, "ops@example.com", "correct horse battery", Role.ADMIN)
    archive = tmp_path / "adapter.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tiny_adapter, arcname="adapter")

    folder = formlens(
        cli_settings, "adapters", "upload", "receipt", str(tiny_adapter), "--by", "ops@example.com"
    )
    assert folder.returncode == 0 and "registered receipt@v1 (candidate)" in folder.stdout, folder
    packed = formlens(cli_settings, "adapters", "upload", "receipt", str(archive), "--activate")
    assert "registered receipt@v2 (active)" in packed.stdout, packed.stderr
    assert (
        "receipt@v1 is active"
        in formlens(cli_settings, "adapters", "activate", "receipt", "1").stdout
    )
    rolled = formlens(cli_settings, "adapters", "rollback", "receipt")
    assert "receipt@v2 is active" in rolled.stdout
    listed = formlens(cli_settings, "adapters", "list", "--json").stdout.splitlines()
    assert [(a["key"], a["status"]) for a in map(json.loads, listed)] == [
        ("receipt@v2", "active"),
        ("receipt@v1", "retired"),
    ]
    missing = formlens(cli_settings, "adapters", "activate", "receipt", "9")
    assert missing.returncode == 1 and "receipt has no version 9" in missing.stderr
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "adapter_model.bin").write_bytes(b"\x80\x04pickle")
    refused = formlens(cli_settings, "adapters", "upload", "receipt", str(bad))
    assert refused.returncode == 1 and "pickled weights are refused" in refused.stderr
    with database.session() as session:
        first = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).first()
        assert first is not None and first.actor_id is not None  # --by names the person
    database.engine.dispose()
    described = formlens(cli_settings, "adapters", "describe-base")
    assert described.returncode == 0 and "pgfp1:" in described.stdout, described.stderr
    assert list((cli_settings.adapter_dir / ".bases").glob("*.json"))


def test_train_queues_a_job_and_checks_parameters(cli_settings: Settings) -> None:
    queued = formlens(cli_settings, "train", "receipt", "--epochs", "2", "--param", "rank=8")
    assert queued.returncode == 0 and "training job 1 queued for receipt" in queued.stdout
    busy = formlens(cli_settings, "train", "receipt")
    assert busy.returncode == 1 and "is queued already (job #1)" in busy.stderr
    bad = formlens(cli_settings, "train", "invoice", "--param", "colour=blue")
    assert bad.returncode == 1 and "colour: unknown parameter" in bad.stderr
    database = Database(cli_settings.effective_database_url)
    with database.session() as session:
        job = session.scalars(select(TrainingJob)).one()
        assert job.params["epochs"] == 2 and job.params["rank"] == 8
    database.engine.dispose()
