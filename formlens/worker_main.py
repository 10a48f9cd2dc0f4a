"""Celery entry: ``celery -A formlens.worker_main worker``."""

from core.settings import load_settings
from worker.celery_app import create_celery

app = create_celery(load_settings())
