"""The export page, the streamed download, and the schemas (thin views)."""

from __future__ import annotations

from flask import Response, abort, jsonify, render_template, request
from flask_login import login_required
from sqlalchemy import select

from core.batch_export import FORMATS, LAYOUTS
from core.domain import DocumentStatus
from core.export import export_schema
from models import DocumentType
from models.queries import status_counts, type_spec
from web.exports import exports
from web.extensions import db, services
from web.services.exports import BadExport, export_stream, parse_export

STATUSES = [status.value for status in DocumentStatus]


def streamed_export(args: dict[str, str]) -> Response:
    """The download response; the body is produced while it is sent (see stream_export)."""
    try:
        export = parse_export(args, STATUSES)
    except BadExport as error:
        abort(400, str(error))
    response = Response(export_stream(services().database, export), mimetype=export.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@exports.get("/exports")
@login_required
def index() -> str:
    types = db().scalars(select(DocumentType.name).order_by(DocumentType.name)).all()
    return render_template(
        "exports/index.html",
        types=types,
        statuses=STATUSES,
        counts=status_counts(db()),
        formats=FORMATS,
        layouts=LAYOUTS,
    )


@exports.get("/exports/download")
@login_required
def download() -> Response:
    return streamed_export(request.args.to_dict())


@exports.get("/exports/schemas/<name>.json")
@login_required
def schema(name: str) -> Response:
    spec = type_spec(db(), name)
    if spec is None:
        abort(404, f"There is no document type {name!r}.")
    response = jsonify(export_schema(spec))
    response.headers["Content-Disposition"] = f'attachment; filename="{spec.name}.schema.json"'
    return response
