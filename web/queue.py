"""Publishing from the web process: outbox messages go to the broker right after the commit.

The web process never runs tasks; it holds a Celery app only to send messages. If the broker
is down, :meth:`Queue.publish` returns without raising and the worker's sweeper sends later.
"""

from __future__ import annotations

from celery import Celery

from core.settings import Settings
from models import Database
from worker.celery_app import broker_options
from worker.outbox import publish


class Queue:
    def __init__(self, settings: Settings) -> None:
        self._celery = Celery(
            "formlens-web", broker=settings.effective_broker_url, set_as_current=False
        )
        self._celery.conf.update(
            broker_transport_options=broker_options(settings),
            broker_connection_timeout=3,
            broker_connection_retry=False,
            task_serializer="json",
        )

    def _send(self, task: str, queue: str, argument: str) -> None:
        self._celery.send_task(task, args=[argument], queue=queue, retry=False)

    def publish(self, database: Database, message_ids: list[int]) -> int:
        """Send the committed outbox messages; returns how many the broker took."""
        return publish(database, self._send, message_ids)
