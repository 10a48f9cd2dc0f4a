"""``formlens db``: schema migrations and the built-in document types."""

from __future__ import annotations

import click

from core.settings import Settings
from migrations.config import upgrade
from models import Database
from models.seed import seed_document_types


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Apply migrations up to the newest and seed the built-in document types."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    database = Database(settings.effective_database_url)
    with database.session() as session:
        seed_document_types(session)
    database.dispose()
    click.echo("database is up to date")
