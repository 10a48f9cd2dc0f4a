"""The Celery application: queues, reliability settings and per-process set-up.

Queues: ``cpu`` (rasterise, OCR, CPU extraction), ``gpu`` (PaliGemma), ``training`` (LoRA
jobs), ``webhooks`` (deliveries). Messages are acknowledged only after the task ran
(``acks_late``) and given back if the worker process dies (``reject_on_worker_lost``); one
message is prefetched at a time, so a long task never holds others hostage.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_process_init
from kombu.entity import Queue

from core.settings import Settings
from worker import context

QUEUES = ("cpu", "gpu", "training", "webhooks")


def broker_options(settings: Settings) -> dict[str, Any]:
    if not settings.uses_redis:
        return {}
    options: dict[str, Any] = {
        "visibility_timeout": settings.visibility_timeout_s,
        # Fail fast when Redis is down: the outbox keeps the message and the sweeper resends.
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }
    if settings.broker_prefix:
        options["global_keyprefix"] = settings.broker_prefix
    return options


def create_celery(settings: Settings) -> Celery:
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # beat keeps its schedule there
    app = Celery("formlens", broker=settings.effective_broker_url, include=["worker.tasks"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue="cpu",
        task_queues=[Queue(name) for name in QUEUES],
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options=broker_options(settings),
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        beat_schedule={
            "sweep": {
                "task": "worker.tasks.sweep",
                "schedule": settings.sweep_interval_s,
                "options": {"queue": "cpu", "expires": settings.sweep_interval_s},
            },
        },
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        timezone="UTC",
    )
    context.configure(settings)
    return app


@worker_process_init.connect
def _after_fork(**_: Any) -> None:
    # A prefork child must not reuse the parent's database connections.
    context.reset_after_fork()
