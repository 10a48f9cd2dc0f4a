"""The JSON API under /api/v1, for machines holding a bearer token (no cookies, no CSRF)."""

from flask import Blueprint

from web.extensions import csrf

api = Blueprint("api", __name__)
csrf.exempt(api)

from web.api import (  # noqa: E402, F401  (registers routes)
    admin_openapi,
    admin_views,
    document_views,
    export_views,
    meta_views,
    webhook_views,
)
