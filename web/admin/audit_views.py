"""The audit trail in the admin: every change, who made it and when, newest first."""

from __future__ import annotations

from flask import abort, render_template, request

from web.admin import admin
from web.extensions import db
from web.services.admin_audit import AuditFilter, audit_lines

PAGE_SIZE = 100


@admin.get("/audit")
def audit() -> str:
    flt = AuditFilter(
        action=(request.args.get("action") or "").strip()[:64] or None,
        target_type=(request.args.get("target_type") or "").strip()[:32] or None,
        target_id=(request.args.get("target_id") or "").strip()[:64] or None,
    )
    before = request.args.get("before")
    if before is not None and not before.isdigit():
        abort(400, "'before' must be an entry number.")
    lines = audit_lines(db(), flt, before_id=int(before) if before else None, limit=PAGE_SIZE)
    older = lines[-1].id if len(lines) == PAGE_SIZE else None
    return render_template("admin/audit.html", lines=lines, flt=flt, older=older)
