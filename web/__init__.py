"""The Flask application: portal (people), API (machines), admin (admins).

``create_app(settings)`` builds a fully configured app with no side effects at import; the WSGI
entry (:mod:`formlens.wsgi`) calls it with settings read from the environment.
"""

from __future__ import annotations

from flask import Flask

from core.keys import secret_key
from core.settings import Settings
from core.storage import BlobStore
from models import Database
from web import errors, extensions, navigation, security
from web import queue as queue_module
from web.admin import admin
from web.api import api
from web.exports import exports
from web.integrations import integrations
from web.portal import portal
from web.queue import Queue
from web.review import review


def create_app(settings: Settings, *, testing: bool = False) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key(settings),
        TESTING=testing,
        # A little room above the file limit for the multipart envelope and form fields.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead of a clock
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage_url,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    database = Database(settings.effective_database_url)
    app.extensions["formlens"] = extensions.Services(
        settings=settings, database=database, blobs=BlobStore(settings.blob_dir)
    )
    extensions.init_app(app)
    queue_module.init_app(app, Queue(settings, database))
    security.init_app(app)
    errors.init_app(app)
    navigation.init_app(app)
    app.register_blueprint(portal)
    app.register_blueprint(review)
    app.register_blueprint(exports)
    app.register_blueprint(integrations)
    app.register_blueprint(admin)
    app.register_blueprint(api, url_prefix="/api/v1")
    return app
