"""Registering a trained adapter: a candidate, promoted only when the type auto-promotes and it
wins, with its events, in one transaction with the job's success."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.settings import Settings
from models import Adapter, Database, DocumentType, Event, TrainingJob
from tests.integration.training.conftest import MEMORISE
from tests.integration.training.test_training_job import queue_job
from worker.context import WorkerContext
from worker.engines.paligemma.adapter_files import inspect_adapter
from worker.training.claims import claim_job
from worker.training.dataset import Dataset, Example
from worker.training.evaluation import Evaluation
from worker.training.monitor import JobMonitor
from worker.training.registration import Trained, register
from worker.training.trainer import TrainResult

pytestmark = pytest.mark.integration


def trained(adapter_dir: Path, new: float, old: float | None, active: str | None) -> Trained:
    def score(accuracy: float | None) -> dict[str, object]:
        return {"all_field_accuracy": accuracy, "per_field": {}}

    dataset = Dataset(
        "extract receipt", 448, (Example("p.png", "{}", "document:x#p1"),), (), (), {"held_out": []}
    )
    result = TrainResult(adapter_dir, 10, 0, 7.5, 1.8, [[10, 1.8]])
    evaluation = Evaluation(score(new), score(old) if active else None, active, score(1.0))
    return Trained(dataset, result, inspect_adapter(adapter_dir), evaluation)


@pytest.mark.parametrize(
    ("auto_promote", "promoted"), [(True, True), (False, False)], ids=["auto", "manual"]
)
def test_a_winning_candidate_is_promoted_only_when_the_type_says_so(
    training_settings: Settings,
    database: Database,
    tiny_adapter: Path,
    tmp_path: Path,
    auto_promote: bool,
    promoted: bool,
) -> None:
    with database.session() as session:
        session.execute(
            update(DocumentType)
            .where(DocumentType.name == "receipt")
            .values(auto_promote=auto_promote)
        )
    job_id = queue_job(database, MEMORISE)
    claim = claim_job(database, training_settings, job_id)
    assert claim is not None
    folder = shutil.copytree(tiny_adapter, tmp_path / "adapter")
    monitor = JobMonitor(database, job_id, claim.attempt, every_s=60)
    outcome = register(
        WorkerContext.build(training_settings), claim, monitor, trained(folder, 0.8, None, None)
    )
    assert outcome == "trained receipt@v1" + (" (promoted)" if promoted else "")
    with database.session() as session:
        adapter = session.scalars(select(Adapter)).one()
        job = session.get_one(TrainingJob, job_id)
        events = session.scalars(select(Event).order_by(Event.created_at)).all()
    assert adapter.status == ("active" if promoted else "candidate")
    assert job.status == "succeeded" and job.adapter_id == adapter.id
    assert job.metrics["promoted"] is promoted and adapter.metrics == job.metrics
    assert [e.type for e in events] == ["adapter.trained"] + (
        ["adapter.activated"] if promoted else []
    )
    if promoted:
        assert events[1].payload["reason"] == "auto-promote" and adapter.activated_by_id is None
    assert (training_settings.adapter_dir / "receipt" / "v1" / "adapter_config.json").exists()
