"""The portal for back-office staff: log in, upload, follow documents, look at results."""

from flask import Blueprint

portal = Blueprint("portal", __name__)

from web.portal import auth_views, document_views  # noqa: E402, F401  (registers routes)
