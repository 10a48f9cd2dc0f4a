"""Waiting for the worker: poll the database until documents reach the states we expect."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from sqlalchemy import select

from core.domain import TERMINAL_STATUSES
from models import Database, Document

TERMINAL = {status.value for status in TERMINAL_STATUSES}


def statuses(database: Database, ids: Iterable[str]) -> dict[str, str]:
    wanted = [uuid.UUID(i) for i in ids]
    with database.session() as session:
        rows = session.execute(select(Document.id, Document.status).where(Document.id.in_(wanted)))
        return {str(row.id): row.status for row in rows}


def wait_until_done(
    database: Database, ids: list[str], timeout: float = 60.0, log: str = ""
) -> dict[str, str]:
    """Statuses once every document is terminal; fails with the stragglers after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        found = statuses(database, ids)
        if len(found) == len(ids) and set(found.values()) <= TERMINAL:
            return found
        if time.monotonic() > deadline:
            pending = {i: s for i, s in found.items() if s not in TERMINAL}
            raise AssertionError(f"not done after {timeout} s: {pending}\n{log}")
        time.sleep(0.25)
