"""The adapter registry in the admin: every version, upload, activate, roll back, retire."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from models import Adapter, DocumentType, User
from web.admin import admin, forms
from web.admin.presenters import curve_points, metric_rows
from web.extensions import db, get_or_404, services
from web.services.admin_adapters import (
    AdapterUpload,
    activate_adapter,
    list_adapters,
    retire_adapter,
    rollback_type,
    upload_adapter,
)
from web.services.admin_common import AdminRefused


@admin.get("/adapters")
def adapters() -> str:
    type_name = request.args.get("type") or None
    return render_template(
        "admin/adapters.html",
        adapters=list_adapters(db(), type_name),
        type_name=type_name,
        type_names=db().scalars(select(DocumentType.name).order_by(DocumentType.name)).all(),
    )


@admin.post("/adapters/upload", endpoint="upload_adapter")
def upload() -> Response:
    file = request.files.get("archive")
    type_name = request.form.get("type") or ""
    if file is None or not file.filename:
        flash("Choose an archive (.zip or .tar.gz) of a peft adapter folder.", "error")
        return redirect(url_for("admin.adapters"))
    upload = AdapterUpload(
        type_name, current_user.id, activate=forms.checked(request.form, "activate")
    )
    try:
        adapter_id = upload_adapter(services(), file.stream, upload)
    except AdminRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("admin.adapters", type=type_name or None))
    flash("The adapter was checked and registered.", "success")
    return redirect(url_for("admin.adapter", adapter_id=adapter_id))


@admin.get("/adapters/<int:adapter_id>")
def adapter(adapter_id: int) -> str:
    found = get_or_404(Adapter, adapter_id, "adapter", [joinedload(Adapter.document_type)])
    active = found.document_type.active_adapter
    people = {
        user.id: user.email
        for user in db().scalars(
            select(User).where(User.id.in_([found.created_by_id, found.activated_by_id]))
        )
    }
    return render_template(
        "admin/adapter.html",
        adapter=found,
        active=active,
        people=people,
        rows=metric_rows(found.metrics),
        curve=curve_points(found.metrics.get("loss_curve") or []),
    )


@admin.post("/adapters/<int:adapter_id>/activate")
def activate(adapter_id: int) -> Response:
    try:
        key = activate_adapter(services(), adapter_id, current_user.id)
    except AdminRefused as refused:
        flash(str(refused), "error")
    else:
        flash(f"{key} is active: the next documents of its type are read with it.", "success")
    return redirect(_back(url_for("admin.adapter", adapter_id=adapter_id)))


def _back(default: str) -> str:
    """Where the form asked to go back to, if that is an admin page (no open redirect)."""
    target = request.form.get("next") or ""
    return target if target.startswith("/admin/") and "//" not in target else default


@admin.post("/adapters/<int:adapter_id>/retire")
def retire(adapter_id: int) -> Response:
    try:
        key = retire_adapter(services(), adapter_id, current_user.id)
    except AdminRefused as refused:
        flash(str(refused), "error")
    else:
        flash(f"{key} is retired.", "success")
    return redirect(url_for("admin.adapter", adapter_id=adapter_id))


@admin.post("/types/<name>/rollback")
def rollback(name: str) -> Response:
    raw = request.form.get("version") or ""
    try:
        version = int(raw) if raw else None
        key = rollback_type(services(), name, current_user.id, version)
    except ValueError:
        flash("The version must be a number.", "error")
    except AdminRefused as refused:
        flash(str(refused), "error")
    else:
        flash(
            f"Rolled back: {key} is active." if key else f"Rolled back: {name} has no adapter now.",
            "success",
        )
    return redirect(url_for("admin.type_page", name=name))
