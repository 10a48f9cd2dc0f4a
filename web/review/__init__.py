"""Review: the queue of documents waiting for a person, and the page to correct and approve."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from web.navigation import register_nav

review = Blueprint("review", __name__)


@review.record_once
def _register_nav(_state: BlueprintSetupState) -> None:
    register_nav("Review", "review.queue")


from web.review import views  # noqa: E402, F401  (registers routes)
