"""Exports in the portal: batch downloads (JSON Lines, CSV) and the per-type JSON Schemas."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from web.navigation import register_nav

exports = Blueprint("exports", __name__)


@exports.record_once
def _register_nav(_state: BlueprintSetupState) -> None:
    register_nav("Export", "exports.index")


from web.exports import views  # noqa: E402, F401  (registers routes)
