"""Documents over the API: upload, list, get, export, read again."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, g, jsonify, request, url_for
from werkzeug.wrappers import Response

from core.domain import DocumentStatus
from models import Document
from models.queries import BadCursor, DocumentFilter, document_export, list_documents
from web.api import api
from web.extensions import db, get_or_404, limiter, services
from web.security import token_required
from web.services.documents import reprocess_document
from web.services.uploads import UploadRefused, UploadRequest, submit_upload

MAX_LIMIT = 200


def document_json(document: Document) -> dict[str, Any]:
    return {
        "id": str(document.id),
        "filename": document.filename,
        "sha256": document.sha256,
        "mime_type": document.mime_type,
        "size_bytes": document.size_bytes,
        "pages": document.page_count,
        "requested_type": document.requested_type,
        "document_type": document.type_name,
        "status": document.status,
        "error": document.error,
        "review_reasons": list(document.review_reasons),
        "progress": document.progress or None,
        "created_at": document.created_at.isoformat(),
        "processed_at": document.processed_at.isoformat() if document.processed_at else None,
        "approved_at": document.approved_at.isoformat() if document.approved_at else None,
        "version": document.version,
        "links": {
            "self": url_for("api.get_document", document_id=document.id, _external=True),
            "export": url_for("api.export_document", document_id=document.id, _external=True),
        },
    }


def _flag(name: str) -> bool:
    return (request.form.get(name) or "").lower() in {"1", "true", "yes", "on"}


@api.post("/documents")
@token_required("documents:write")
@limiter.limit(lambda: services().settings.upload_rate_limit, key_func=lambda: g.api_user.id)
def upload_document() -> tuple[Response, int]:
    file = request.files.get("file")
    if file is None:
        abort(400, "Send the document as multipart/form-data in a part named 'file'.")
    try:
        outcome = submit_upload(
            services(),
            UploadRequest(
                stream=file.stream,
                filename=file.filename or "",
                document_type=request.form.get("type") or None,
                ignore_embedded_xml=_flag("ignore_embedded_xml"),
                user_id=g.api_user.id,
            ),
        )
    except UploadRefused as refused:
        abort(refused.status, str(refused))
    document = db().get_one(Document, outcome.document_id)
    body = document_json(document) | {"created": outcome.created}
    response = jsonify(body)
    response.headers["Location"] = body["links"]["self"]
    return response, 201 if outcome.created else 200


def _int_arg(name: str, default: int, upper: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        abort(400, f"'{name}' must be a whole number.")
    return max(1, min(value, upper))


@api.get("/documents")
@token_required("documents:read")
def list_documents_api() -> Response:
    status = request.args.get("status") or None
    if status and status not in {s.value for s in DocumentStatus}:
        abort(400, f"Unknown status {status!r}.")
    flt = DocumentFilter(status=status, document_type=request.args.get("type") or None)
    try:
        page = list_documents(
            db(), flt, cursor=request.args.get("cursor"), limit=_int_arg("limit", 50, MAX_LIMIT)
        )
    except BadCursor as error:
        abort(400, str(error))
    return jsonify(items=[document_json(d) for d in page.documents], next_cursor=page.next_cursor)


@api.get("/documents/<uuid:document_id>")
@token_required("documents:read")
def get_document(document_id: uuid.UUID) -> Response:
    return jsonify(document_json(get_or_404(Document, document_id, "document")))


@api.get("/documents/<uuid:document_id>/export")
@token_required("documents:read")
def export_document(document_id: uuid.UUID) -> Response:
    return jsonify(document_export(db(), get_or_404(Document, document_id, "document")))


@api.post("/documents/<uuid:document_id>/reprocess")
@token_required("documents:write")
def reprocess(document_id: uuid.UUID) -> tuple[Response, int]:
    get_or_404(Document, document_id, "document")
    if not reprocess_document(services(), document_id):
        abort(409, "Only extracted, needs-review or failed documents can be read again.")
    db().expire_all()  # the use case changed the row in its own transaction
    return jsonify(document_json(get_or_404(Document, document_id, "document"))), 202
