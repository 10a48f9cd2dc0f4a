"""Exports and review over the API: streamed batch exports, and corrections with approval."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, g, jsonify, request
from werkzeug.wrappers import Response

from core.corrections import ItemEdit
from models import Document
from web.api import api
from web.api.document_views import document_json
from web.api.openapi import ERRORS, ID_PARAMETER, ok, ref, register_paths
from web.exports.views import streamed_export
from web.extensions import db, services
from web.security import token_required
from web.services.review import (
    Approved,
    Conflict,
    DocumentMissing,
    NotReviewable,
    Refused,
    ReviewInput,
    Saved,
    submit_review,
)


@api.get("/exports/documents")
@token_required("documents:read")
def export_documents() -> Response:
    return streamed_export(request.args.to_dict())


def _review_input(body: Any) -> ReviewInput:
    if not isinstance(body, dict) or not isinstance(body.get("version"), int):
        abort(400, "Send a JSON object with the document's 'version' (from GET /documents/{id}).")
    fields = body.get("fields") or {}
    items = body.get("line_items")
    if not isinstance(fields, dict) or not (items is None or isinstance(items, list)):
        abort(400, "'fields' is an object of name → value and 'line_items' a list of objects.")
    edits = None
    if items is not None:
        edits = [
            ItemEdit({str(k): "" if v is None else str(v) for k, v in dict(item).items()}, index)
            for index, item in enumerate(items)
        ]
    return ReviewInput(
        version=body["version"],
        fields={str(k): "" if v is None else str(v) for k, v in fields.items()},
        line_items=edits,
        approve=bool(body.get("approve")),
    )


@api.post("/documents/<uuid:document_id>/review")
@token_required("review")
def review_document(document_id: uuid.UUID) -> tuple[Response, int]:
    data = _review_input(request.get_json(silent=True))
    try:
        outcome = submit_review(services(), document_id, g.api_user.id, data)
    except DocumentMissing:
        abort(404, "There is no such document.")
    if isinstance(outcome, Refused):
        body = {"status": 422, "message": outcome.message, "fields": outcome.errors}
        return jsonify(error=body), 422
    if isinstance(outcome, Conflict):
        changes = [vars(change) for change in outcome.changes]
        body = {"status": 409, "message": outcome.message, "version": outcome.version}
        return jsonify(error=body | {"changes": changes}), 409
    if isinstance(outcome, NotReviewable):
        abort(409, outcome.message)
    assert isinstance(outcome, Saved | Approved)
    document = db().get_one(Document, document_id)
    return jsonify(document_json(document)), 200


register_paths(
    {
        "/exports/documents": {
            "get": {
                "summary": "Stream a batch export (JSON Lines or CSV)",
                "security": [{"bearer": ["documents:read"]}],
                "parameters": [
                    {"name": n, "in": "query", "schema": s}
                    for n, s in (
                        ("format", {"type": "string", "enum": ["jsonl", "csv"]}),
                        ("layout", {"type": "string", "enum": ["nested", "rows"]}),
                        ("type", {"type": "string"}),
                        ("status", {"type": "string"}),
                        ("date_field", {"type": "string", "enum": ["uploaded", "approved"]}),
                        ("from", {"type": "string", "format": "date"}),
                        ("to", {"type": "string", "format": "date"}),
                    )
                ],
                "responses": {
                    "200": {
                        "description": "One export per line (nested), or one line item per "
                        "line (rows); produced while it is sent.",
                        "content": {"application/x-ndjson": {}, "text/csv": {}},
                    },
                    **ERRORS,
                },
            }
        },
        "/documents/{document_id}/review": {
            "post": {
                "summary": "Correct fields (and approve) a document",
                "security": [{"bearer": ["review"]}],
                "parameters": [ID_PARAMETER],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["version"],
                                "properties": {
                                    "version": {"type": "integer"},
                                    "fields": {"type": "object"},
                                    "line_items": {"type": "array", "items": {"type": "object"}},
                                    "approve": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": ok("Saved (or approved).", ref("Document")),
                    "409": {"$ref": "#/components/responses/Error"},
                    "422": {"$ref": "#/components/responses/Error"},
                    **ERRORS,
                },
            }
        },
    }
)
