"""``formlens run``: the whole service on one machine (what ``make run`` starts).

Migrates the database, creates the first admin on an empty install, then runs the web server,
a worker (with the periodic sweeper) and a webhooks worker as child processes until
interrupted. With no settings it uses a SQLite file and a SQLite-backed broker in the data
directory; set FORMLENS_DATABASE_URL and FORMLENS_BROKER_URL to use Postgres and Redis instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

import click

from core.settings import Settings
from formlens.commands.serve import gunicorn_argv, worker_argv
from migrations.config import upgrade
from models import Database, Role
from models.accounts import count_users, create_user
from models.seed import seed_document_types
from worker.celery_app import QUEUES

PASSWORD_FILE = "initial-admin-password"  # noqa: S105 - a file name
WEBHOOK_THREADS = 8


def prepare(settings: Settings) -> str | None:
    """Migrate, seed, and create the first admin; returns the new admin's password, if any."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    database = Database(settings.effective_database_url)
    try:
        with database.session() as session:
            seed_document_types(session)
            if count_users(session) > 0:
                return None
            password = secrets.token_urlsafe(12)
            create_user(session, settings.admin_email, password, Role.ADMIN, name="Admin")
    finally:
        database.dispose()
    _write_private(settings.data_dir / PASSWORD_FILE, password + "\n")
    return password


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _banner(settings: Settings, password: str | None) -> str:
    url = settings.public_url or f"http://{settings.host}:{settings.port}/"
    lines = [
        "",
        f"  FormLens is running at {url}",
        f"  database: {settings.effective_database_url.split('@')[-1]}",
        f"  broker:   {settings.effective_broker_url.split('@')[-1]}",
        f"  log in as {settings.admin_email}",
    ]
    if password:
        lines.append(f"  password: {password}   (also in {settings.data_dir / PASSWORD_FILE})")
    else:
        lines.append(f"  password: see {settings.data_dir / PASSWORD_FILE} (first run)")
    lines.append("  Ctrl-C stops it.\n")
    return "\n".join(lines)


def _warn_missing_tools() -> None:
    for tool, package in (("pdftoppm", "poppler-utils"), ("tesseract", "tesseract-ocr")):
        if shutil.which(tool) is None:
            click.secho(f"warning: {tool} is missing (apt-get install {package})", fg="yellow")


def _supervise(children: list[subprocess.Popen[bytes]]) -> int:
    """Wait until a child exits or we are told to stop; then stop the others."""
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        exited = [child for child in children if child.poll() is not None]
        if exited:
            code = exited[0].returncode or 0
            break
        time.sleep(0.5)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
    return code


@click.command()
@click.option("--concurrency", default=2, show_default=True, help="Worker processes.")
@click.pass_obj
def run(settings: Settings, concurrency: int) -> None:
    """Run the portal, the API and a worker on this machine."""
    _warn_missing_tools()
    password = prepare(settings)
    reading = ",".join(queue for queue in QUEUES if queue != "webhooks")
    children = [
        subprocess.Popen(worker_argv(reading, concurrency, beat=True)),  # noqa: S603
        # Deliveries wait on other people's servers: threads of their own, so that a receiver
        # that hangs never holds up the reading of documents.
        subprocess.Popen(  # noqa: S603
            worker_argv("webhooks", WEBHOOK_THREADS, beat=False, pool="threads")
        ),
        subprocess.Popen(gunicorn_argv(settings, workers=2)),  # noqa: S603
    ]
    click.echo(_banner(settings, password))
    raise SystemExit(_supervise(children))
