"""Celery tasks: thin shells that take ids, call a use case, and log what happened.

Every task is idempotent (see :mod:`worker.processing`); the outbox may send a message twice.
Messages a task records (a document forwarded to the gpu queue, webhook deliveries of the
events it emitted) are published as soon as its transactions have committed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from celery import current_app, shared_task

from models.outbox import recorded_ids, recording
from worker.context import WorkerContext, get_context
from worker.outbox import Publisher, publish
from worker.processing import process_document as process
from worker.sweeper import sweep as sweep_once
from worker.webhooks.delivery import deliver

log = logging.getLogger(__name__)


def celery_publisher() -> Publisher:
    app = current_app._get_current_object()

    def send(task: str, queue: str, argument: str) -> None:
        app.send_task(task, args=[argument], queue=queue, retry=False)

    return send


def run_and_publish(work: Callable[[WorkerContext], str]) -> str:
    """Run a use case, then send the outbox messages it recorded."""
    ctx = get_context()
    with recording() as messages:
        outcome = work(ctx)
    publish(ctx.database, celery_publisher(), recorded_ids(messages))
    return outcome


@shared_task(name="worker.tasks.process_document")
def process_document(document_id: str) -> str:
    outcome = run_and_publish(lambda ctx: process(ctx, uuid.UUID(document_id)))
    log.info("document %s: %s", document_id, outcome)
    return outcome


@shared_task(name="worker.tasks.read_on_gpu")
def read_on_gpu(document_id: str) -> str:
    outcome = run_and_publish(lambda ctx: process(ctx, uuid.UUID(document_id), on_gpu=True))
    log.info("document %s (gpu): %s", document_id, outcome)
    return outcome


@shared_task(name="worker.tasks.deliver_webhook")
def deliver_webhook(delivery_id: str) -> str:
    outcome = run_and_publish(lambda ctx: deliver(ctx.database, ctx.settings, int(delivery_id)))
    log.info("webhook delivery %s: %s", delivery_id, outcome)
    return outcome


@shared_task(name="worker.tasks.sweep")
def sweep() -> dict[str, Any]:
    ctx = get_context()
    return asdict(sweep_once(ctx.database, celery_publisher(), ctx.settings))


@shared_task(name="worker.tasks.train_adapter")
def train_adapter(job_id: str) -> str:
    # Imported here: training brings torch, which CPU and webhook workers never need.
    from worker.training.job import run_training_job  # noqa: PLC0415

    outcome = run_and_publish(lambda ctx: run_training_job(ctx, int(job_id)))
    log.info("training job %s: %s", job_id, outcome)
    return outcome
