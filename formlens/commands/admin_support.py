"""What the admin commands share: the web's use cases run from the shell, with their outbox
messages published when they are done, and the person they act for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click
from sqlalchemy import select

from core.settings import Settings
from core.storage import BlobStore
from models import Database, User
from models.outbox import recorded_ids, recording
from web.extensions import Services
from web.queue import Queue
from web.services.admin_common import AdminRefused

T = TypeVar("T")


@contextmanager
def admin_services(settings: Settings) -> Iterator[Services]:
    database = Database(settings.effective_database_url)
    try:
        yield Services(settings=settings, database=database, blobs=BlobStore(settings.blob_dir))
    finally:
        database.dispose()


def run_use_case(services: Services, work: Callable[[], T]) -> T:
    """Run ``work``, publish the messages it recorded, and turn refusals into CLI errors."""
    with recording() as messages:
        try:
            result = work()
        except AdminRefused as refused:
            raise click.ClickException(str(refused)) from None
    # If the broker is down the messages stay in the outbox; the sweeper sends them later.
    Queue(services.settings, services.database).publish_now(recorded_ids(messages))
    return result


def actor_id(services: Services, email: str | None) -> int | None:
    """The user the audit log names for this command (``None``: the system)."""
    if not email:
        return None
    with services.database.session() as session:
        found = session.scalar(select(User.id).where(User.email == email.strip().lower()))
    if found is None:
        raise click.ClickException(f"no user {email}")
    return found


BY_OPTION = click.option(
    "--by", "by_email", default=None, metavar="EMAIL", help="The person the audit log names."
)
