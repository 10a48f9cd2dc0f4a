"""The whole loop with a real Celery worker: approved documents -> a retraining job -> a new
adapter version that reproduces its training answers -> activated -> used for the next
document of its type -> rolled back -> the next document uses the previous version.

The tiny random checkpoint (448 px) stands in for PaliGemma; everything else is production
code: the API, the outbox, the training queue, peft, the serving engine, the gpu queue.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from core.doctypes import AdapterRef
from core.settings import Settings
from core.storage import BlobStore
from models import Database, DocumentType, Extraction, Role
from models.accounts import create_token, create_user
from tests.conftest import create_test_app, make_settings
from tests.integration.training.conftest import MEMORISE
from tests.support.training import approved_receipt, zip_folder
from tests.support.waiting import wait_until_done
from tests.support.worker import WorkerProcess
from worker.engines.paligemma.engine import EngineConfig, PaliGemmaEngine
from worker.synthetic import generate
from worker.training.dataset import page_targets
from worker.training.sources import reviewed_documents

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TRAINING_TIMEOUT_S = 420


@pytest.fixture
def loop_settings(
    tmp_path: Path, fresh_database_url: str, redis_url: str, tiny_model: Path
) -> Settings:
    return make_settings(
        tmp_path / "data",
        fresh_database_url,
        redis_url,
        paligemma_model=str(tiny_model),
        paligemma_device="cpu",
        paligemma_batch_wait_ms=5,
        training_checkpoint_every_s=20,
    )


def admin_token(database: Database) -> dict[str, str]:
    with database.session() as session:
        user = create_user(session, "ops@example.com", "correct horse battery", Role.ADMIN)
        _, token = create_token(session, user, "ci", ["admin", "documents:write"])
    return {"Authorization": f"Bearer {token}"}


def read_with_paligemma(database: Database) -> None:
    with database.session() as session:
        session.execute(
            update(DocumentType).where(DocumentType.name == "receipt").values(engine="paligemma")
        )


def wait_for_job(client: FlaskClient, auth: dict[str, str], job_id: int, worker: WorkerProcess):
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + TRAINING_TIMEOUT_S
    while True:
        job = client.get(f"/api/v1/admin/training-jobs/{job_id}", headers=auth).json
        seen.append(job["progress"])
        if job["status"] not in ("queued", "running"):
            return job, seen
        assert time.monotonic() < deadline, f"job still {job['status']}\n{worker.log_tail()}"
        time.sleep(0.5)


def adapter_of_next_document(
    client: FlaskClient, auth: dict[str, str], database: Database, seed: int, worker
) -> str | None:
    receipt = generate("receipt", seed, output="png")
    response = client.post(
        "/api/v1/documents",
        headers=auth,
        data={"file": (io.BytesIO(receipt.data), f"r{seed}.png"), "type": "receipt"},
    )
    assert response.status_code == 201, response.json
    document_id = response.json["id"]
    wait_until_done(database, [document_id], timeout=180, log=worker.log_tail())
    with database.session() as session:
        extraction = session.scalar(select(Extraction).where(Extraction.document_id == document_id))
        assert extraction is not None, worker.log_tail()
        assert extraction.engine == "paligemma"
        return extraction.adapter


def answers_of(settings: Settings, database: Database, key: AdapterRef, held_out: list[str]):
    """Each training document's answer under ``key`` (greedy, through the serving engine),
    next to the answer it was trained to write."""
    config = EngineConfig(
        model=settings.paligemma_model,
        device="cpu",
        adapter_dir=settings.adapter_dir,
        extract_max_new_tokens=160,
        batch_wait_s=0.005,
    )
    engine = PaliGemmaEngine(config)
    try:
        served = engine._serve(settings.paligemma_model)  # the model the worker serves
        with database.session() as session:
            type_id = session.scalars(
                select(DocumentType.id).where(DocumentType.name == "receipt")
            ).one()
            documents = reviewed_documents(session, BlobStore(settings.blob_dir), type_id)
            spec = session.get_one(DocumentType, type_id).to_spec()
        pairs = []
        for document in documents:
            if document.name in held_out:
                continue
            pages = engine.prepare(document.source(), served)
            (answer,) = engine.read(served, pages, spec.prompt, key, 160)
            pairs.append((answer.text if answer else None, page_targets(document, spec)[0]))
        return pairs
    finally:
        engine.close()


def test_retrain_activate_serve_and_roll_back(
    loop_settings: Settings, tiny_adapter: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    database = Database(loop_settings.effective_database_url)
    auth = admin_token(database)
    read_with_paligemma(database)
    blobs = BlobStore(loop_settings.blob_dir)
    for seed in range(4):
        approved_receipt(database, blobs, seed)
    client = create_test_app(loop_settings).test_client()
    previous = client.post(
        "/api/v1/admin/adapters",
        headers=auth,
        data={
            "file": (io.BytesIO(zip_folder(tiny_adapter)), "v1.zip"),
            "type": "receipt",
            "activate": "true",
        },
    )
    assert previous.json["key"] == "receipt@v1" and previous.json["status"] == "active"

    worker = WorkerProcess(loop_settings, tmp_path / "worker.log")
    worker.start()
    try:
        start = client.post(
            "/api/v1/admin/training-jobs",
            headers=auth,
            json={"type": "receipt", "params": MEMORISE.to_json()},
        )
        assert start.status_code == 201, start.json
        second = client.post("/api/v1/admin/training-jobs", headers=auth, json={"type": "receipt"})
        assert second.status_code == 409 and "never run at once" in second.json["error"]["message"]
        job, seen = wait_for_job(client, auth, start.json["id"], worker)
        assert job["status"] == "succeeded", (job["error"], job["log"], worker.log_tail())
        training_s = time.monotonic() - started

        metrics = job["metrics"]
        print(
            f"\nloss {metrics['initial_loss']} -> {metrics['final_loss']} in {metrics['steps']} "
            f"steps; job {job['started_at']} .. {job['finished_at']}; {training_s:.0f} s so far"
        )
        assert metrics["final_loss"] < metrics["initial_loss"] / 2
        assert any(
            p.get("phase") == "training" and 0 < p.get("step", 0) < p["total_steps"] for p in seen
        ), seen
        assert metrics["train_sample"]["all_field_accuracy"] == 1.0
        assert metrics["active_adapter"] == "receipt@v1" and metrics["promoted"] is False

        adapter = client.get(f"/api/v1/admin/adapters/{job['adapter_id']}", headers=auth).json
        assert (adapter["key"], adapter["status"], adapter["source"]) == (
            "receipt@v2",
            "candidate",
            "training",
        )
        files = loop_settings.adapter_dir / "receipt" / "v2"
        assert (files / "adapter_model.safetensors").is_file()
        assert not list(files.glob("*.bin")) and not list(files.glob("*.pt"))

        key = AdapterRef("receipt", 2, "receipt/v2", adapter["base_model"])
        pairs = answers_of(loop_settings, database, key, metrics["dataset"]["held_out"])
        assert len(pairs) == 3 and all(answer == target for answer, target in pairs), pairs

        activated = client.post(f"/api/v1/admin/adapters/{adapter['id']}/activate", headers=auth)
        assert activated.json["status"] == "active"
        assert adapter_of_next_document(client, auth, database, 101, worker) == "receipt@v2"

        back = client.post("/api/v1/admin/document-types/receipt/rollback", headers=auth)
        assert back.json["active_adapter"] == "receipt@v1"
        assert adapter_of_next_document(client, auth, database, 102, worker) == "receipt@v1"
    finally:
        worker.stop()
        database.engine.dispose()
    print(f"whole loop: {time.monotonic() - started:.0f} s")
