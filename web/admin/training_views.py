"""Retraining jobs in the admin: start one, follow its progress live (htmx), cancel, read it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from core.training_params import TrainingParams
from models import Adapter, DocumentType
from web.admin import admin, forms
from web.admin.presenters import curve_points, metric_rows, progress_view
from web.extensions import db, services
from web.services.admin_common import AdminRefused
from web.services.admin_training import cancel_training, get_job, list_jobs, start_training


@admin.get("/training")
def jobs() -> str:
    type_name = request.args.get("type") or None
    return render_template(
        "admin/jobs.html",
        jobs=list_jobs(db(), type_name),
        type_name=type_name,
        type_names=db().scalars(select(DocumentType.name).order_by(DocumentType.name)).all(),
        defaults=TrainingParams(),
    )


@admin.post("/training")
def start_job() -> Response:
    type_name = request.form.get("type") or ""
    try:
        params = forms.training_params(request.form)
        job_id = start_training(services(), type_name, params, current_user.id)
    except AdminRefused as refused:
        flash(str(refused), "error")
        if request.form.get("from_type"):
            return redirect(url_for("admin.type_page", name=type_name))
        return redirect(url_for("admin.jobs"))
    flash(f"Training job #{job_id} for {type_name} is queued.", "success")
    return redirect(url_for("admin.job", job_id=job_id))


@admin.get("/training/<int:job_id>")
def job(job_id: int) -> str:
    found = get_job(db(), job_id)
    adapter = db().get(Adapter, found.adapter_id) if found.adapter_id else None
    return render_template(
        "admin/job.html",
        job=found,
        progress=progress_view(found),
        adapter=adapter,
        rows=metric_rows(found.metrics),
        curve=curve_points(found.metrics.get("loss_curve") or []),
    )


@admin.get("/training/<int:job_id>/progress")
def job_progress(job_id: int) -> Response | str:
    """Polled by htmx while the job is queued or running; once it ends the page reloads."""
    found = get_job(db(), job_id)
    view = progress_view(found)
    if not view.live:
        response = Response("")
        response.headers["HX-Refresh"] = "true"
        return response
    return render_template("admin/_job_progress.html", job=found, progress=view)


@admin.post("/training/<int:job_id>/cancel")
def cancel_job(job_id: int) -> Response:
    try:
        status = cancel_training(services(), job_id, current_user.id)
    except AdminRefused as refused:
        flash(str(refused), "error")
    else:
        message = "cancelled" if status == "cancelled" else "asked to stop after its current step"
        flash(f"Job #{job_id} {message}.", "success")
    return redirect(url_for("admin.job", job_id=job_id))
