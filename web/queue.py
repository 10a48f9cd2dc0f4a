"""Publishing from the web process: outbox messages go to the broker right after the commit.

The web process never runs tasks; it holds a Celery app only to send messages, and sends them
from a background thread, so a slow or dead broker never holds up an upload. Whatever the
thread does not manage to send (the broker is down, the process dies) stays pending in the
outbox, and the worker's sweeper sends it later.
"""

from __future__ import annotations

import logging
import os
import queue
import threading

from celery import Celery
from flask import Flask, g

from core.settings import Settings
from models import Database
from models.outbox import recorded_ids, start_recording, stop_recording
from worker.celery_app import broker_options
from worker.outbox import publish

log = logging.getLogger(__name__)


class Queue:
    def __init__(self, settings: Settings, database: Database) -> None:
        self._database = database
        self._celery = Celery(
            "formlens-web", broker=settings.effective_broker_url, set_as_current=False
        )
        self._celery.conf.update(
            broker_transport_options=broker_options(settings),
            broker_connection_timeout=3,
            broker_connection_retry=False,
            task_serializer="json",
        )
        self._pending: queue.SimpleQueue[list[int]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._owner = os.getpid()

    def _send(self, task: str, queue_name: str, argument: str) -> None:
        self._celery.send_task(task, args=[argument], queue=queue_name, retry=False)

    def publish(self, message_ids: list[int]) -> None:
        """Hand committed outbox messages to the sender thread; returns at once."""
        self._ensure_thread()
        self._pending.put(message_ids)

    def publish_now(self, message_ids: list[int]) -> int:
        """Send in this thread; returns how many the broker took (for the CLI and tests)."""
        return publish(self._database, self._send, message_ids)

    def _ensure_thread(self) -> None:
        with self._lock:
            # A forked server process inherits the object but not the thread.
            if self._thread is None or not self._thread.is_alive() or self._owner != os.getpid():
                self._owner = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="outbox-publisher", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            message_ids = self._pending.get()
            try:
                self.publish_now(message_ids)
            except Exception:  # the sweeper will send them; keep the thread alive
                log.exception("publishing %s failed", message_ids)


def init_app(app: Flask, queue: Queue) -> None:
    """Publish, after each request, the outbox messages its use cases recorded."""

    def start() -> None:
        g.outbox_token, g.outbox_messages = start_recording()

    def finish(_error: BaseException | None) -> None:
        token = g.pop("outbox_token", None)
        if token is None:
            return
        stop_recording(token)
        ids = recorded_ids(g.pop("outbox_messages"))
        if ids:
            queue.publish(ids)

    app.before_request(start)
    app.teardown_request(finish)
