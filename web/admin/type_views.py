"""The admin's start page and document types: list, create, edit (fields, prompt, engine...)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from core.doctypes import FieldKind
from core.training_params import TrainingParams
from models import Adapter, DocumentType
from web.admin import admin, forms
from web.extensions import db, services
from web.services.admin_adapters import list_adapters
from web.services.admin_audit import AuditFilter, audit_lines
from web.services.admin_common import get_type
from web.services.admin_training import list_jobs
from web.services.admin_types import InvalidType, create_type, type_data, update_type
from worker.engines.registry import EngineRegistry


def _types() -> list[DocumentType]:
    query = (
        select(DocumentType)
        .options(joinedload(DocumentType.active_adapter).joinedload(Adapter.document_type))
        .order_by(DocumentType.name)
    )
    return list(db().scalars(query))


@admin.get("/")
def index() -> str:
    return render_template(
        "admin/index.html",
        types=_types(),
        jobs=list_jobs(db(), limit=5),
        audit=audit_lines(db(), AuditFilter(), limit=10),
    )


@admin.get("/types")
def types() -> str:
    return render_template("admin/types.html", types=_types())


def _form_page(template: str, status: int = 200, **context: object) -> tuple[str, int]:
    kinds = [kind.value for kind in FieldKind]
    page = render_template(template, engines=EngineRegistry.names(), kinds=kinds, **context)
    return page, status


@admin.route("/types/new", methods=["GET", "POST"])
def new_type() -> Response | tuple[str, int]:
    form = request.form
    if request.method == "POST":
        name = (form.get("name") or "").strip()
        try:
            create_type(services(), name, forms.type_data(form), current_user.id)
        except InvalidType as invalid:
            return _form_page(
                "admin/type_new.html",
                422,
                form=form,
                errors=invalid.errors,
                fields=forms.posted_rows(form, "fields"),
                items=forms.posted_rows(form, "items"),
            )
        flash(f"Document type {name} created.", "success")
        return redirect(url_for("admin.type_page", name=name))
    return _form_page(
        "admin/type_new.html",
        form={"review_threshold": "0.6", "engine": "auto", "use_embedded_xml": "on"},
        errors=[],
        fields=forms.field_rows(()),
        items=forms.field_rows(()),
    )


@admin.route("/types/<name>", methods=["GET", "POST"])
def type_page(name: str) -> Response | tuple[str, int]:
    doc_type = get_type(db(), name)
    errors: list[str] = []
    if request.method == "POST":
        try:
            changed = update_type(services(), name, forms.type_data(request.form), current_user.id)
        except InvalidType as invalid:
            errors = invalid.errors
        else:
            _flash_saved(changed, doc_type.active_adapter_id is not None)
            return redirect(url_for("admin.type_page", name=name))
    data = type_data(doc_type)
    posted = request.form if errors else None
    return _form_page(
        "admin/type.html",
        422 if errors else 200,
        doc_type=doc_type,
        form=posted or data.columns(),
        errors=errors,
        fields=forms.posted_rows(posted, "fields") if posted else forms.field_rows(data.fields),
        items=(
            forms.posted_rows(posted, "items")
            if posted
            else forms.field_rows(data.line_item_fields)
        ),
        adapters=list_adapters(db(), name),
        jobs=list_jobs(db(), name, limit=10),
        defaults=TrainingParams(),
    )


def _flash_saved(changed: list[str], has_adapter: bool) -> None:
    if not changed:
        flash("Nothing changed.", "info")
        return
    flash(f"Saved: {', '.join(changed)}.", "success")
    if has_adapter and {"fields", "line_item_fields", "prompt"} & set(changed):
        flash(
            "The active adapter was trained on the old fields or prompt: retrain it to teach "
            "the change.",
            "warning",
        )
