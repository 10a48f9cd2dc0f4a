"""What the API says about itself: the OpenAPI document, document types, export schemas."""

from __future__ import annotations

from flask import abort, jsonify, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from core.export import export_schema
from models import DocumentType
from models.queries import type_spec
from web.api import api
from web.api.openapi import openapi_document
from web.extensions import db
from web.security import token_required


@api.get("/openapi.json")
def openapi() -> Response:
    """Public, like any API description: it holds no data."""
    return jsonify(openapi_document(request.host_url.rstrip("/") + "/api/v1"))


@api.get("/document-types")
@token_required("documents:read")
def document_types() -> Response:
    rows = db().scalars(select(DocumentType).order_by(DocumentType.name))
    return jsonify(
        items=[
            {
                "name": row.name,
                "label": row.label,
                "engine": row.engine,
                "fields": row.fields,
                "line_item_fields": row.line_item_fields,
            }
            for row in rows
        ]
    )


@api.get("/schemas/<name>.json")
@token_required("documents:read")
def schema(name: str) -> Response:
    spec = type_spec(db(), name)
    if spec is None:
        abort(404, f"There is no document type {name!r}.")
    return jsonify(export_schema(spec))
