"""The admin API under /api/v1/admin: the adapter registry and retraining jobs, for automation.

Every route needs a token with the ``admin`` scope held by an admin (``token_required``), and
is described in :mod:`web.api.admin_openapi`. The use cases are the admin panel's
(:mod:`web.services.admin_adapters`, :mod:`web.services.admin_training`), so both say no for
the same reasons, in the same words.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import Adapter, TrainingJob, User
from models.adapter_registry import adapter_summary
from web.api import api
from web.errors import error_response
from web.extensions import db, get_or_404, services
from web.security import token_required
from web.services.admin_adapters import (
    AdapterUpload,
    activate_adapter,
    list_adapters,
    retire_adapter,
    rollback_type,
    upload_adapter,
)
from web.services.admin_common import AdminRefused
from web.services.admin_training import (
    cancel_training,
    check_params,
    get_job,
    list_jobs,
    start_training,
)

MiB = 1024 * 1024


@api.errorhandler(AdminRefused)
def _refused(refused: AdminRefused) -> tuple[Response | str, int]:
    return error_response(refused.status, str(refused))


def _emails(*ids: int | None) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = db().execute(select(User.id, User.email).where(User.id.in_(wanted)))
    return {row.id: row.email for row in rows}


def adapter_json(adapter: Adapter) -> dict[str, Any]:
    people = _emails(adapter.created_by_id, adapter.activated_by_id)
    return adapter_summary(adapter) | {
        "metrics": adapter.metrics,
        "created_by": people.get(adapter.created_by_id or 0),
        "activated_by": people.get(adapter.activated_by_id or 0),
        "links": {"self": url_for("api.admin_adapter", adapter_id=adapter.id, _external=True)},
    }


def job_json(job: TrainingJob, *, with_log: bool = False) -> dict[str, Any]:
    body = {
        "id": job.id,
        "document_type": job.document_type.name,
        "status": job.status,
        "params": job.params,
        "progress": job.progress,
        "metrics": job.metrics,
        "error": job.error,
        "cancel_requested": job.cancel_requested,
        "adapter_id": job.adapter_id,
        "attempts": job.attempts,
        "worker": job.worker or None,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "heartbeat_at": job.heartbeat_at.isoformat() if job.heartbeat_at else None,
        "links": {"self": url_for("api.admin_job", job_id=job.id, _external=True)},
    }
    return body | {"log": job.log} if with_log else body


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        abort(400, "Send a JSON object.")
    return body


# --- adapters ---------------------------------------------------------------------------------


@api.get("/admin/adapters")
@token_required("admin")
def admin_adapters() -> Response:
    rows = list_adapters(db(), request.args.get("type") or None)
    return jsonify(items=[adapter_json(adapter) for adapter in rows])


@api.post("/admin/adapters")
@token_required("admin")
def admin_upload_adapter() -> tuple[Response, int]:
    request.max_content_length = services().settings.adapter_upload_max_bytes + MiB
    file = request.files.get("file")
    type_name = request.form.get("type") or ""
    if file is None or not type_name:
        abort(400, "Send the archive in a part named 'file' and the document type in 'type'.")
    activate = (request.form.get("activate") or "").lower() in {"1", "true", "yes", "on"}
    upload = AdapterUpload(type_name, g.api_user.id, activate=activate)
    adapter_id = upload_adapter(services(), file.stream, upload)
    adapter = db().get_one(Adapter, adapter_id)
    return jsonify(adapter_json(adapter)), 201


@api.get("/admin/adapters/<int:adapter_id>")
@token_required("admin")
def admin_adapter(adapter_id: int) -> Response:
    return jsonify(adapter_json(get_or_404(Adapter, adapter_id, "adapter")))


@api.post("/admin/adapters/<int:adapter_id>/activate")
@token_required("admin")
def admin_activate_adapter(adapter_id: int) -> Response:
    activate_adapter(services(), adapter_id, g.api_user.id)
    db().expire_all()  # the use case changed the rows in its own transaction
    return jsonify(adapter_json(get_or_404(Adapter, adapter_id, "adapter")))


@api.post("/admin/adapters/<int:adapter_id>/retire")
@token_required("admin")
def admin_retire_adapter(adapter_id: int) -> Response:
    retire_adapter(services(), adapter_id, g.api_user.id)
    db().expire_all()
    return jsonify(adapter_json(get_or_404(Adapter, adapter_id, "adapter")))


@api.post("/admin/document-types/<name>/rollback")
@token_required("admin")
def admin_rollback(name: str) -> Response:
    version = _json_body().get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        abort(400, "'version' must be a whole number.")
    key = rollback_type(services(), name, g.api_user.id, version)
    return jsonify(document_type=name, active_adapter=key)


# --- training jobs ----------------------------------------------------------------------------


@api.get("/admin/training-jobs")
@token_required("admin")
def admin_jobs() -> Response:
    jobs = list_jobs(db(), request.args.get("type") or None)
    return jsonify(items=[job_json(job) for job in jobs])


@api.post("/admin/training-jobs")
@token_required("admin")
def admin_start_job() -> tuple[Response, int]:
    body = _json_body()
    type_name, raw = body.get("type"), body.get("params") or {}
    if not isinstance(type_name, str) or not isinstance(raw, dict):
        abort(400, 'Send {"type": "<document type>", "params": {...}}.')
    job_id = start_training(services(), type_name, check_params(raw), g.api_user.id)
    return jsonify(job_json(get_job(db(), job_id))), 201


@api.get("/admin/training-jobs/<int:job_id>")
@token_required("admin")
def admin_job(job_id: int) -> Response:
    return jsonify(job_json(get_job(db(), job_id), with_log=True))


@api.post("/admin/training-jobs/<int:job_id>/cancel")
@token_required("admin")
def admin_cancel_job(job_id: int) -> Response:
    cancel_training(services(), job_id, g.api_user.id)
    db().expire_all()
    return jsonify(job_json(get_job(db(), job_id)))
