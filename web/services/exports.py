"""Use case: stream a batch export of the documents a filter selects.

Documents come from :func:`models.queries.iter_documents` (keyset batches, the session emptied
between them); each is turned into its v1 export and then into lines of text by
:mod:`core.batch_export`. Nothing here holds more than one batch, so the web process streams
100,000 documents in constant memory. Document-type specs are looked up once per type, not
once per document.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.batch_export import (
    FORMATS,
    LAYOUTS,
    Columns,
    ExportedDocument,
    chunked,
    csv_lines,
    jsonl_nested,
    jsonl_records,
    records,
)
from core.doctypes import DocumentTypeSpec
from models import Database, Document, DocumentType
from models.queries import (
    DocumentFilter,
    export_with_spec,
    iter_documents,
    type_spec,
)

MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
BATCH = 500
DATE_FIELDS = ("uploaded", "approved")


class BadExport(ValueError):
    """Export parameters that do not make sense; the message says which."""


@dataclass(frozen=True, slots=True)
class ExportRequest:
    flt: DocumentFilter
    format: str = "jsonl"  # "jsonl" | "csv"
    layout: str = "nested"  # "nested" | "rows"

    @property
    def filename(self) -> str:
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        kind = self.flt.document_type or "documents"
        suffix = "" if self.layout == "nested" else "-rows"
        return f"formlens-{kind}-{stamp}{suffix}.{self.format}"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def parse_export(args: Mapping[str, str], statuses: Sequence[str]) -> ExportRequest:
    """The export that query parameters ask for (the portal's form and the API share them).

    ``from`` and ``to`` are days (``YYYY-MM-DD``, both included) of the upload or, with
    ``date_field=approved``, of the approval.
    """
    fmt, layout = args.get("format") or "jsonl", args.get("layout") or "nested"
    if fmt not in FORMATS or layout not in LAYOUTS:
        raise BadExport(f"format is one of {FORMATS} and layout one of {LAYOUTS}.")
    status = args.get("status") or None
    if status is not None and status not in statuses:
        raise BadExport(f"Unknown status {status!r}.")
    date_field = args.get("date_field") or "uploaded"
    if date_field not in DATE_FIELDS:
        raise BadExport(f"date_field is one of {DATE_FIELDS}.")
    start, end = _day(args.get("from"), "from"), _day(args.get("to"), "to")
    if end is not None:
        end += timedelta(days=1)  # the whole last day
    flt = DocumentFilter(status=status, document_type=args.get("type") or None)
    if date_field == "uploaded":
        flt = replace(flt, created_from=start, created_to=end)
    else:
        flt = replace(flt, approved_from=start, approved_to=end)
    return ExportRequest(flt, fmt, layout)


def _day(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.combine(date.fromisoformat(raw), time(), tzinfo=UTC)
    except ValueError:
        raise BadExport(f"'{name}' must be a day written YYYY-MM-DD.") from None


class _Specs:
    """Document-type specs by name, fetched once each."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._cache: dict[str | None, DocumentTypeSpec | None] = {}

    def get(self, name: str | None) -> DocumentTypeSpec | None:
        if name not in self._cache:
            self._cache[name] = type_spec(self._session, name)
        return self._cache[name]


def exported_documents(session: Session, flt: DocumentFilter) -> Iterator[ExportedDocument]:
    specs = _Specs(session)
    for document in iter_documents(session, flt, batch=BATCH):
        yield _exported(document, specs)


def _exported(document: Document, specs: _Specs) -> ExportedDocument:
    return ExportedDocument(
        export=export_with_spec(document, specs.get(document.type_name)),
        uploaded_at=document.created_at.isoformat(),
        approved_at=document.approved_at.isoformat() if document.approved_at else None,
    )


def export_columns(session: Session, type_name: str | None) -> Columns:
    """The type's fields; without a type, every type's fields, in the types' order."""
    names = (
        [type_name]
        if type_name
        else list(session.scalars(select(DocumentType.name).order_by(DocumentType.id)))
    )
    fields: list[str] = []
    items: list[str] = []
    for name in names:
        spec = type_spec(session, name)
        if spec is None:
            continue
        fields += [f for f in spec.field_names if f not in fields]
        items += [f for f in spec.line_item_names if f not in items]
    return Columns(tuple(fields), tuple(items))


def stream_export(session: Session, request: ExportRequest) -> Iterator[str]:
    """The export as chunks of text, produced as the response is sent."""
    documents = exported_documents(session, request.flt)
    if request.format == "jsonl" and request.layout == "nested":
        return chunked(jsonl_nested(documents))
    columns = export_columns(session, request.flt.document_type)
    rows = records(documents, columns, request.layout)
    if request.format == "jsonl":
        return chunked(jsonl_records(rows))
    return chunked(csv_lines(rows, columns.header(request.layout)))


def export_stream(database: Database, request: ExportRequest) -> Iterator[str]:
    """The export read on a session of its own, closed when the stream ends or is abandoned.

    Not the request's session: a streamed body is produced after the request's teardown has
    run, so a session borrowed from the request would hold its connection forever.
    """
    session = database.sessions()
    try:
        yield from stream_export(session, request)
    finally:
        session.close()
