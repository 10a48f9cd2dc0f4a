"""The retraining job run in-process against PostgreSQL: train, evaluate, register, resume."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from core.settings import Settings
from core.training_params import TrainingParams
from models import Adapter, Database, JobStatus, TrainingJob
from tests.integration.training.conftest import MEMORISE
from worker.context import WorkerContext
from worker.training.job import run_training_job

pytestmark = pytest.mark.integration


def queue_job(database: Database, params: TrainingParams, type_name: str = "receipt") -> int:
    from models import DocumentType  # noqa: PLC0415

    with database.session() as session:
        doc_type = session.scalars(select(DocumentType).where(DocumentType.name == type_name)).one()
        job = TrainingJob(document_type_id=doc_type.id, params=params.to_json())
        session.add(job)
        session.flush()
        return job.id


def test_a_job_trains_registers_a_candidate(
    training_settings: Settings, database: Database, four_receipts: list[str]
) -> None:
    job_id = queue_job(database, replace(MEMORISE, epochs=3))
    outcome = run_training_job(WorkerContext.build(training_settings), job_id)
    assert outcome == "trained receipt@v1", outcome
    with database.session() as session:
        job = session.get_one(TrainingJob, job_id)
        adapter = session.scalars(select(Adapter)).one()
        assert job.status == JobStatus.SUCCEEDED.value and job.adapter_id == adapter.id
        assert adapter.status == "candidate" and adapter.source == "training"
        assert adapter.path == "receipt/v1" and adapter.train_examples == 3
        assert job.metrics["dataset"]["eval_documents"] == 1
        assert job.metrics["steps"] == 3 and job.progress["phase"] == "done"
        print(job.log)
    folder = training_settings.adapter_dir / "receipt" / "v1"
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "adapter_config.json",
        "adapter_model.safetensors",
    ]
    assert not (training_settings.training_dir / f"job-{job_id}").exists()
