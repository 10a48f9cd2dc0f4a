"""Integrations, for admins: webhook subscriptions and their delivery log, export profiles,
and the notices the system raises for admins (a webhook disabled after persistent failure)."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState
from flask_login import current_user

from models import Notice
from models.webhook_log import open_notices
from web.extensions import db
from web.navigation import register_nav

integrations = Blueprint("integrations", __name__, url_prefix="/integrations")


def admin_notices() -> list[Notice]:
    """Open notices, for the banner every admin page shows (none for anyone else)."""
    if not current_user.is_authenticated or not current_user.is_admin:
        return []
    return list(open_notices(db()))


@integrations.record_once
def _register(state: BlueprintSetupState) -> None:
    register_nav("Integrations", "integrations.index", admin_only=True)
    state.app.jinja_env.globals["admin_notices"] = admin_notices


from web.integrations import views  # noqa: E402, F401  (registers routes)
