"""The review queue and the review page (thin: parsing, one use case, a template)."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import Document, DocumentType
from models.queries import BadCursor
from models.review_queue import (
    REASON_KINDS,
    BadReason,
    QueueFilter,
    next_in_queue,
    queue_size,
    review_queue,
)
from web.extensions import db, get_or_404, services
from web.portal.forms import ActionForm
from web.portal.presenters import describe_reason
from web.review import review
from web.review.forms import BadForm, review_input
from web.review.presenters import review_page
from web.services.review import (
    Approved,
    Conflict,
    DocumentMissing,
    NotReviewable,
    Outcome,
    Refused,
    Saved,
    reopen_document,
    submit_review,
)

PAGE_SIZE = 50


@review.get("/review")
@login_required
def queue() -> str:
    flt = QueueFilter(
        document_type=request.args.get("type") or None,
        reason=(request.args.get("reason") or "").strip()[:200] or None,
    )
    try:
        page = review_queue(db(), flt, cursor=request.args.get("cursor"), limit=PAGE_SIZE)
        total = queue_size(db(), flt)
    except (BadCursor, BadReason) as error:
        abort(400, str(error))
    types = db().scalars(select(DocumentType.name).order_by(DocumentType.name)).all()
    return render_template(
        "review/queue.html",
        page=page,
        flt=flt,
        total=total,
        types=types,
        kinds=REASON_KINDS,
        describe=describe_reason,
    )


@review.get("/review/<uuid:document_id>")
@login_required
def page(document_id: uuid.UUID) -> str:
    view = review_page(db(), get_or_404(Document, document_id, "document"))
    return render_template("review/page.html", view=view, form=ActionForm())


@review.post("/review/<uuid:document_id>")
@login_required
def submit(document_id: uuid.UUID) -> Response | tuple[str, int]:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        data = review_input(request.form)
        outcome = submit_review(services(), document_id, current_user.id, data)
    except BadForm as error:
        abort(400, str(error))
    except DocumentMissing:
        abort(404, "There is no such document.")
    if isinstance(outcome, Refused | Conflict):
        document = get_or_404(Document, document_id, "document")
        refused = outcome if isinstance(outcome, Refused) else None
        conflict = outcome if isinstance(outcome, Conflict) else None
        view = review_page(db(), document, submitted=data, refused=refused, conflict=conflict)
        status = 409 if conflict else 422
        return render_template("review/page.html", view=view, form=ActionForm()), status
    return _after(document_id, outcome)


def _after(document_id: uuid.UUID, outcome: Outcome) -> Response:
    document = get_or_404(Document, document_id, "document")
    if isinstance(outcome, Approved):
        following = next_in_queue(db(), document)
        flash(f"Approved {document.filename}.", "success")
        if following is None:
            return redirect(url_for("review.queue"))
        return redirect(url_for("review.page", document_id=following.id))
    if isinstance(outcome, Saved):
        flash("Saved." if outcome.changed else "Nothing had changed.", "success")
    elif isinstance(outcome, NotReviewable):
        flash(outcome.message, "warning")
    return redirect(url_for("review.page", document_id=document_id))


@review.post("/review/<uuid:document_id>/reopen")
@login_required
def reopen(document_id: uuid.UUID) -> Response | tuple[str, int]:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        version = int(request.form.get("version", ""))
        outcome = reopen_document(services(), document_id, current_user.id, version)
    except ValueError:
        abort(400, "The form has no document version; reload the page.")
    except DocumentMissing:
        abort(404, "There is no such document.")
    if isinstance(outcome, Conflict | NotReviewable):
        flash(outcome.message, "warning")
    else:
        flash("Reopened: the document is back in the review queue.", "success")
    return redirect(url_for("review.page", document_id=document_id))
