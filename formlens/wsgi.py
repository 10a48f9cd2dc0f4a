"""WSGI entry: ``gunicorn formlens.wsgi:app``."""

from core.settings import load_settings
from web import create_app

app = create_app(load_settings())
