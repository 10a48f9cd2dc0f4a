"""Documents in the portal: the list, uploads, one document with its pages and fields."""

from __future__ import annotations

import uuid

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from core.domain import TERMINAL_STATUSES, DocumentStatus
from core.files import EXTENSIONS
from models import Document, DocumentType, Page
from models.queries import BadCursor, DocumentFilter, document_export, list_documents, status_counts
from web.extensions import db, get_or_404, limiter, services
from web.portal import portal
from web.portal.forms import ActionForm
from web.portal.presenters import document_view
from web.services.documents import reprocess_document
from web.services.uploads import UploadRefused, UploadRequest, submit_upload

PAGE_SIZE = 50


def _filter_from_args() -> DocumentFilter:
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in DocumentStatus}:
        abort(400, f"Unknown status {status!r}.")
    return DocumentFilter(
        status=status,
        document_type=request.args.get("type") or None,
        filename=(request.args.get("q") or "").strip()[:200] or None,
    )


def _page() -> tuple[DocumentFilter, object]:
    flt = _filter_from_args()
    try:
        page = list_documents(db(), flt, cursor=request.args.get("cursor"), limit=PAGE_SIZE)
    except BadCursor as error:
        abort(400, str(error))
    return flt, page


@portal.get("/")
@login_required
def index() -> Response:
    return redirect(url_for("portal.documents"))


@portal.get("/documents")
@login_required
def documents() -> str:
    flt, page = _page()
    types = db().scalars(select(DocumentType.name).order_by(DocumentType.name)).all()
    return render_template(
        "documents/list.html",
        page=page,
        flt=flt,
        types=types,
        counts=status_counts(db()),
        statuses=list(DocumentStatus),
    )


@portal.get("/documents/rows")
@login_required
def document_rows() -> str:
    """The table body alone, polled by htmx while documents are being read."""
    _, page = _page()
    return render_template("documents/_rows.html", page=page)


@portal.post("/documents/upload")
@login_required
@limiter.limit(lambda: services().settings.upload_rate_limit, key_func=lambda: current_user.id)
def upload() -> tuple[Response, int]:
    """One file per request (the page's script sends each with its own progress bar)."""
    file = request.files.get("file")
    if file is None:
        return jsonify(error={"message": "No file was sent."}), 400
    doc_type = request.form.get("type") or None
    try:
        outcome = submit_upload(
            services(),
            UploadRequest(
                stream=file.stream,
                filename=file.filename or "",
                document_type=doc_type,
                user_id=current_user.id,
            ),
        )
    except UploadRefused as refused:
        return jsonify(error={"message": str(refused)}), refused.status
    return jsonify(
        id=str(outcome.document_id),
        created=outcome.created,
        status=outcome.status,
        url=url_for("portal.document", document_id=outcome.document_id),
    ), 201 if outcome.created else 200


@portal.get("/documents/<uuid:document_id>")
@login_required
def document(document_id: uuid.UUID) -> str:
    view = document_view(db(), get_or_404(Document, document_id, "document"))
    return render_template("documents/detail.html", doc=view, action_form=ActionForm())


@portal.get("/documents/<uuid:document_id>/status")
@login_required
def document_status(document_id: uuid.UUID) -> Response | str:
    """Polled by htmx until the document is read; then the page reloads with the results."""
    found = get_or_404(Document, document_id, "document")
    if DocumentStatus(found.status) in TERMINAL_STATUSES:
        response = Response("")
        response.headers["HX-Refresh"] = "true"
        return response
    return render_template("documents/_status.html", doc=document_view(db(), found))


@portal.get("/documents/<uuid:document_id>/pages/<int:index>.webp")
@login_required
def page_image(document_id: uuid.UUID, index: int) -> Response:
    page = db().scalar(select(Page).where(Page.document_id == document_id, Page.index == index))
    if page is None:
        abort(404, "There is no such page.")
    response = send_file(
        services().blobs.path(page.image_key),
        mimetype="image/webp",
        max_age=3600,
        etag=page.image_key,
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@portal.get("/documents/<uuid:document_id>/original")
@login_required
def original(document_id: uuid.UUID) -> Response:
    found = get_or_404(Document, document_id, "document")
    name = found.filename
    if not name.lower().endswith(EXTENSIONS[found.mime_type]):
        name += EXTENSIONS[found.mime_type]
    return send_file(
        services().blobs.path(found.storage_key),
        mimetype=found.mime_type,
        as_attachment=True,
        download_name=name,
    )


@portal.get("/documents/<uuid:document_id>/export.json")
@login_required
def export(document_id: uuid.UUID) -> Response:
    found = get_or_404(Document, document_id, "document")
    response = jsonify(document_export(db(), found))
    stem = found.filename.rsplit(".", 1)[0] or "document"
    response.headers["Content-Disposition"] = f'attachment; filename="{_ascii(stem)}.json"'
    return response


def _ascii(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in text)


@portal.post("/documents/<uuid:document_id>/reprocess")
@login_required
def reprocess(document_id: uuid.UUID) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    if reprocess_document(services(), document_id):
        flash("The document is queued to be read again.", "info")
    else:
        flash("The document is being read already.", "warning")
    return redirect(url_for("portal.document", document_id=document_id))
