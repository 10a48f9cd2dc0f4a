"""Flask extensions and the per-app services, bound with ``init_app`` (no globals with state).

Views reach the settings, database and blob store through :func:`services`, and the request's
database session through :func:`db`; the session is closed when the request ends.
:func:`get_or_404` is the lookup every view of one row starts with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from core.settings import Settings
from core.storage import BlobStore
from models import Database

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

Row = TypeVar("Row")


@dataclass(frozen=True)
class Services:
    settings: Settings
    database: Database
    blobs: BlobStore


def services() -> Services:
    found: Services = current_app.extensions["formlens"]
    return found


def db() -> Session:
    """The request's database session (opened on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = services().database.sessions()
    session: Session = g.db_session
    return session


def get_or_404(model: type[Row], key: Any, what: str, options: Sequence[ORMOption] = ()) -> Row:
    """The row of ``model`` with primary key ``key``, or a 404 saying there is no such ``what``."""
    found = db().get(model, key, options=options)
    if found is None:
        abort(404, f"There is no such {what}.")
    return found


def _close_session(_error: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "portal.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    limiter.init_app(app)
    app.teardown_appcontext(_close_session)
