"""The admin panel under /admin, for admins only: document types, the LoRA adapter registry,
retraining jobs, users and API tokens, and the audit trail.

Every view of the blueprint is guarded in one place (:func:`_admins_only`), so a page added
later cannot forget it: people who are not logged in are sent to the login, everyone else who
is not an admin gets 403.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from werkzeug.wrappers import Response

from web.admin.presenters import register_filters
from web.errors import error_response
from web.extensions import login_manager, services
from web.navigation import register_nav
from web.services.admin_common import AdminRefused

admin = Blueprint("admin", __name__, url_prefix="/admin")
MiB = 1024 * 1024
UPLOAD_ENDPOINTS = frozenset({"admin.upload_adapter"})


@admin.record_once
def _register_nav(_state: BlueprintSetupState) -> None:
    register_nav("Admin", "admin.index", admin_only=True)


register_filters(admin)


@admin.errorhandler(AdminRefused)
def _refused(refused: AdminRefused) -> tuple[Response | str, int]:
    return error_response(refused.status, str(refused))


@admin.url_value_preprocessor
def _upload_limit(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    # Runs before the CSRF check reads the form: adapters are larger than documents.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = services().settings.adapter_upload_max_bytes + MiB


@admin.before_request
def _admins_only() -> Response | None:
    if not current_user.is_authenticated:
        unauthorized: Response = login_manager.unauthorized()
        return unauthorized
    if not current_user.is_admin:
        abort(403)
    return None


from web.admin import (  # noqa: E402, F401  (registers routes)
    adapter_views,
    audit_views,
    training_views,
    type_views,
    user_views,
)
