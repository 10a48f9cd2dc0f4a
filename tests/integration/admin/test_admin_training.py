"""Training jobs from the admin panel and API: start, one per type, parameters, progress, cancel."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from models import Database, DocumentType, OutboxMessage, TrainingJob
from models.outbox import TRAIN_ADAPTER
from tests.conftest import csrf_token, token_for

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database: Database, admin: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(database, admin, 'admin')}"}


def start_from_page(client: FlaskClient, **fields: str):
    token = csrf_token(client, "/admin/types/receipt")
    form = {"csrf_token": token, "type": "receipt", "from_type": "1", "epochs": "2"} | fields
    return client.post("/admin/training", data=form)


def test_start_from_the_type_page_and_follow_it(
    admin_client: FlaskClient, database: Database
) -> None:
    response = start_from_page(admin_client, rank="8", target_modules="q_proj, v_proj")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/training/1"
    page = admin_client.get("/admin/training/1").get_data(as_text=True)
    assert 'hx-get="/admin/training/1/progress"' in page and "queued" in page
    with database.session() as session:
        job = session.get_one(TrainingJob, 1)
        assert job.params["rank"] == 8 and job.params["target_modules"] == ["q_proj", "v_proj"]
        assert job.params["epochs"] == 2 and job.params["vision"] is False
        message = session.scalars(select(OutboxMessage)).one()
        assert (message.task, message.queue, message.argument) == (*TRAIN_ADAPTER, "1")

        session.execute(
            update(TrainingJob).values(
                status="running",
                progress={
                    "phase": "training",
                    "step": 12,
                    "total_steps": 40,
                    "epoch": 1,
                    "loss": 2.3456,
                    "elapsed_s": 30.0,
                    "eta_s": 70.0,
                },
            )
        )
    partial = admin_client.get("/admin/training/1/progress").get_data(as_text=True)
    assert 'class="step">12</strong> of 40' in partial and "2.3456" in partial
    assert "1 min 10 s left" in partial
    with database.session() as session:
        session.execute(update(TrainingJob).values(status="succeeded"))
    done = admin_client.get("/admin/training/1/progress")
    assert done.headers["HX-Refresh"] == "true"


def test_two_jobs_for_one_type_never_run_at_once(
    admin_client: FlaskClient, client: FlaskClient, api: dict[str, str], database: Database
) -> None:
    assert start_from_page(admin_client).status_code == 302
    again = start_from_page(admin_client)
    page = admin_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "A training job for receipt is queued already (job #1)" in page
    refused = client.post("/api/v1/admin/training-jobs", headers=api, json={"type": "receipt"})
    assert refused.status_code == 409 and "never run at once" in refused.json["error"]["message"]
    other_type = client.post("/api/v1/admin/training-jobs", headers=api, json={"type": "invoice"})
    assert other_type.status_code == 201
    with pytest.raises(IntegrityError), database.session() as session:
        type_id = session.scalars(
            select(DocumentType.id).where(DocumentType.name == "receipt")
        ).one()
        session.add(TrainingJob(document_type_id=type_id, status="running"))
        session.flush()  # the database refuses it too: the partial unique index


def test_parameters_are_checked(client: FlaskClient, api: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/admin/training-jobs",
        headers=api,
        json={"type": "receipt", "params": {"rank": 0, "learning_rate": "fast", "colour": 1}},
    )
    assert response.status_code == 422
    message = response.json["error"]["message"]
    assert "rank: must be between 1 and 256" in message
    assert "learning_rate: must be a number" in message and "colour: unknown parameter" in message
    unknown = client.post("/api/v1/admin/training-jobs", headers=api, json={"type": "passport"})
    assert unknown.status_code == 404


def test_cancel_a_queued_job_then_a_running_one(
    client: FlaskClient, api: dict[str, str], database: Database
) -> None:
    first = client.post("/api/v1/admin/training-jobs", headers=api, json={"type": "receipt"}).json
    cancelled = client.post(f"/api/v1/admin/training-jobs/{first['id']}/cancel", headers=api)
    assert cancelled.json["status"] == "cancelled"
    with database.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert message.completed_at is not None  # a worker that gets it late does nothing
    second = client.post("/api/v1/admin/training-jobs", headers=api, json={"type": "receipt"})
    assert second.status_code == 201
    with database.session() as session:
        session.execute(
            update(TrainingJob).where(TrainingJob.id == second.json["id"]).values(status="running")
        )
    stopping = client.post(f"/api/v1/admin/training-jobs/{second.json['id']}/cancel", headers=api)
    assert stopping.json["status"] == "running" and stopping.json["cancel_requested"] is True
    ended = client.post(f"/api/v1/admin/training-jobs/{first['id']}/cancel", headers=api)
    assert ended.status_code == 409
    listed = client.get("/api/v1/admin/training-jobs?type=receipt", headers=api).json["items"]
    assert [job["status"] for job in listed] == ["running", "cancelled"]
