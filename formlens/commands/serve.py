"""``formlens serve`` and ``formlens worker``: one process each, as production runs them."""

from __future__ import annotations

import os
import sys

import click

from core.settings import Settings
from worker.celery_app import QUEUES


def gunicorn_argv(settings: Settings, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "formlens.wsgi:app",
        "--bind",
        f"{settings.host}:{settings.port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        "127.0.0.1",
    ]


def worker_argv(queues: str, concurrency: int, *, beat: bool, pool: str = "prefork") -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "formlens.worker_main",
        "worker",
        "--queues",
        queues,
        "--concurrency",
        str(concurrency),
        "--pool",
        pool,
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    return [*argv, "--beat"] if beat else argv


def beat_argv(settings: Settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "formlens.worker_main",
        "beat",
        "--loglevel",
        "INFO",
        "--schedule",
        str(settings.data_dir / "celerybeat-schedule"),
    ]


@click.command()
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
@click.pass_obj
def serve(settings: Settings, workers: int) -> None:
    """Serve the portal and the API with gunicorn."""
    os.execv(sys.executable, gunicorn_argv(settings, workers))  # noqa: S606


def _check_gpu_worker(settings: Settings) -> None:
    from worker.engines.paligemma.health import HealthCheckFailed  # noqa: PLC0415
    from worker.startup import check_gpu_worker  # noqa: PLC0415

    try:
        report = check_gpu_worker(settings)
    except HealthCheckFailed as failed:
        click.echo("The GPU worker will not start:", err=True)
        for problem in failed.problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(3) from None
    click.echo(f"model {report.bases[0].name} ok; {len(report.adapters)} active adapter(s) ok")


@click.command()
@click.option("--queues", default=",".join(QUEUES), show_default=True)
@click.option("--concurrency", default=2, show_default=True)
@click.option(
    "--pool",
    type=click.Choice(["prefork", "threads", "solo"]),
    default="prefork",
    show_default=True,
    help="Use threads on GPU workers so pages batch together.",
)
@click.option("--beat/--no-beat", default=False, help="Also run the periodic sweeper here.")
@click.pass_obj
def worker(settings: Settings, queues: str, concurrency: int, pool: str, beat: bool) -> None:
    """Run a Celery worker on QUEUES (a ``gpu`` worker checks its model and adapters first)."""
    # A worker only for the gpu queue needs a model; a catch-all one (make run) checks it
    # only when one is configured.
    names = queues.split(",")
    if "gpu" in names and (settings.paligemma_model or names == ["gpu"]):
        _check_gpu_worker(settings)
    os.execv(sys.executable, worker_argv(queues, concurrency, beat=beat, pool=pool))  # noqa: S606


@click.command()
@click.pass_obj
def beat(settings: Settings) -> None:
    """Run the scheduler of periodic tasks (the sweeper); one per install."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.execv(sys.executable, beat_argv(settings))  # noqa: S606
