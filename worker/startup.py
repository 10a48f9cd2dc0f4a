"""Checks a worker runs before it takes any task.

A GPU worker whose model or adapter files are missing or damaged must refuse to start (and say
why) rather than fail every document it is given. The adapters checked are the active ones in
the database, the same the worker will be asked to load.
"""

from __future__ import annotations

from core.settings import Settings
from models import Database
from models.catalog import load_specs
from worker.engines.paligemma.health import HealthReport, check_health


def check_gpu_worker(settings: Settings) -> HealthReport:
    """Raise :class:`~worker.engines.paligemma.health.HealthCheckFailed` listing every problem."""
    database = Database(settings.effective_database_url)
    try:
        with database.session() as session:
            specs = load_specs(session, settings.adapter_dir)
    finally:
        database.engine.dispose()
    adapters = [spec.adapter for spec in specs.values() if spec.adapter is not None]
    models = [spec.base_model for spec in specs.values() if spec.base_model]
    return check_health(settings, adapters, models)
