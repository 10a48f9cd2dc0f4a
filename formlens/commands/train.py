"""``formlens train TYPE``: queue a retraining job (a training worker runs it); ``--wait``
follows it and exits 0 only if it succeeded, for automation."""

from __future__ import annotations

import time
from typing import Any

import click

from core.settings import Settings
from core.training_params import TrainingParams
from formlens.commands.admin_support import BY_OPTION, actor_id, admin_services, run_use_case
from models import Database, TrainingJob
from web.services.admin_training import TERMINAL_JOB_STATUSES, check_params, start_training

POLL_S = 2.0


@click.command("train")
@click.argument("type_name", metavar="TYPE")
@click.option("--rank", type=int, help="LoRA rank.")
@click.option("--alpha", type=float, help="LoRA alpha.")
@click.option("--target-modules", help="Comma-separated module names, or all-linear.")
@click.option("--epochs", type=int)
@click.option("--learning-rate", type=float)
@click.option("--synthetic", "synthetic_documents", type=int, help="Synthetic documents to mix in.")
@click.option("--param", "extra", multiple=True, metavar="KEY=VALUE", help="Any other parameter.")
@click.option("--wait", is_flag=True, help="Follow the job until it ends.")
@BY_OPTION
@click.pass_obj
def train(
    settings: Settings,
    /,
    type_name: str,
    extra: tuple[str, ...],
    wait: bool,
    by_email: str | None,
    **options: Any,
) -> None:
    """Retrain TYPE's LoRA adapter from its reviewed documents."""
    raw = {key: value for key, value in options.items() if value is not None}
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        raw[key.strip().replace("-", "_")] = value
    with admin_services(settings) as services:
        params: TrainingParams = run_use_case(services, lambda: check_params(raw))
        actor = actor_id(services, by_email)
        job_id = run_use_case(services, lambda: start_training(services, type_name, params, actor))
        click.echo(f"training job {job_id} queued for {type_name}")
        if wait:
            status = follow(services.database, job_id)
            if status != "succeeded":
                raise click.exceptions.Exit(1)


def follow(database: Database, job_id: int) -> str:
    """Print the job's progress as it changes; returns its final status."""
    last = ""
    while True:
        with database.session() as session:
            job = session.get_one(TrainingJob, job_id)
            line = describe(job)
            status, error, metrics = job.status, job.error, dict(job.metrics)
        if line != last:
            click.echo(line)
            last = line
        if status in TERMINAL_JOB_STATUSES:
            if error:
                click.echo(f"error: {error}", err=True)
            if metrics.get("candidate"):
                candidate = metrics["candidate"].get("all_field_accuracy")
                click.echo(f"held-out accuracy {candidate}; promoted: {metrics.get('promoted')}")
            return status
        time.sleep(POLL_S)


def describe(job: TrainingJob) -> str:
    progress = job.progress or {}
    text = f"job {job.id}: {job.status}, {progress.get('phase', '')}"
    if progress.get("total_steps"):
        text += (
            f" step {progress['step']}/{progress['total_steps']} loss {progress.get('loss')} "
            f"eta {progress.get('eta_s')} s"
        )
    return text
