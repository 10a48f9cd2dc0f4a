"""The PaliGemma engine behind a real Celery worker: routing to the gpu queue, reading with the
tiny checkpoint, and the start-up health check that keeps a broken GPU worker from starting."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from models import Database, DocumentType, Extraction
from tests.conftest import make_settings
from tests.integration.test_reliability import api_client
from tests.support.documents import invoice_pdf
from tests.support.waiting import wait_until_done
from tests.support.worker import WorkerProcess, settings_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_type_read_by_paligemma_goes_through_the_gpu_queue(
    tmp_path: Path, fresh_database_url: str, redis_url: str, tiny_model_dir: Path
) -> None:
    settings = make_settings(
        tmp_path / "data",
        fresh_database_url,
        redis_url,
        paligemma_model=str(tiny_model_dir),
        paligemma_device="cpu",
    )
    database = Database(settings.effective_database_url)
    with database.session() as session:
        session.execute(
            update(DocumentType).where(DocumentType.name == "invoice").values(engine="paligemma")
        )
    client, auth = api_client(settings)
    cpu = WorkerProcess(settings, tmp_path / "cpu.log", queues="cpu", beat=True)
    gpu = WorkerProcess(
        settings, tmp_path / "gpu.log", queues="gpu", beat=False, pool="threads", concurrency=4
    )
    cpu.start()
    gpu.start(timeout=120)
    try:
        ids = []
        for name, form in (("typed.pdf", {"type": "invoice"}), ("detected.pdf", {})):
            response = client.post(
                "/api/v1/documents",
                headers=auth,
                data={"file": (io.BytesIO(invoice_pdf(tag=name)), name), **form},
            )
            assert response.status_code == 201, response.json
            ids.append(response.json["id"])
        done = wait_until_done(database, ids, timeout=180, log=cpu.log_tail() + gpu.log_tail())
    finally:
        cpu.stop()
        gpu.stop()
    assert set(done.values()) <= {"extracted", "needs_review"}
    with database.session() as session:
        engines = set(session.scalars(select(Extraction.engine)))
    assert engines == {"paligemma"}
    assert "forwarded to the gpu queue" in cpu.log_tail()
    assert "(gpu): extracted" in gpu.log_tail() or "(gpu): needs_review" in gpu.log_tail()
    database.engine.dispose()


def run_gpu_worker(
    settings_overrides: dict[str, str], tmp_path: Path, fresh_database_url: str, redis_url: str
) -> subprocess.CompletedProcess[str]:
    settings = make_settings(tmp_path / "data", fresh_database_url, redis_url, **settings_overrides)
    return subprocess.run(
        [sys.executable, "-m", "formlens", "worker", "--queues", "gpu"],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_gpu_worker_without_a_usable_model_refuses_to_start(
    tmp_path: Path, fresh_database_url: str, redis_url: str, tiny_model_dir: Path
) -> None:
    missing = run_gpu_worker(
        {"paligemma_model": str(tmp_path / "nowhere")}, tmp_path, fresh_database_url, redis_url
    )
    assert missing.returncode == 3
    assert "The GPU worker will not start" in missing.stderr and "nowhere" in missing.stderr

    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for item in tiny_model_dir.iterdir():
        (damaged / item.name).write_bytes(item.read_bytes())
    weights = next(damaged.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    cut = run_gpu_worker({"paligemma_model": str(damaged)}, tmp_path, fresh_database_url, redis_url)
    assert cut.returncode == 3 and weights.name in cut.stderr
