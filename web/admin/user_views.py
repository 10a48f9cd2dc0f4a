"""People and API tokens in the admin: create, change role, deactivate, reset, tokens.

A new password or token is shown once, on the page that answers the request that made it,
and never again (only hashes are stored).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from models import Role
from models.accounts import SCOPES
from web.admin import admin, forms
from web.extensions import db, services
from web.services.admin_common import AdminRefused
from web.services.admin_users import (
    add_user,
    get_user,
    issue_token,
    list_users,
    reset_password,
    revoke_token,
    update_user,
)


@admin.get("/users")
def users() -> str:
    return render_template("admin/users.html", users=list_users(db()), roles=list(Role))


@admin.post("/users")
def create_user() -> Response | str:
    try:
        new = forms.new_user(request.form)
        user_id, password = add_user(services(), new, current_user.id)
    except AdminRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("admin.users"))
    return render_template(
        "admin/secret.html",
        title=f"{new.email} can log in",
        what="Their password",
        secret=password,
        back=url_for("admin.user", user_id=user_id),
    )


@admin.get("/users/<int:user_id>")
def user(user_id: int) -> str:
    found = get_user(db(), user_id)
    tokens = sorted(found.tokens, key=lambda token: token.created_at, reverse=True)
    return render_template(
        "admin/user.html", user=found, tokens=tokens, roles=list(Role), scopes=SCOPES
    )


@admin.post("/users/<int:user_id>")
def save_user(user_id: int) -> Response:
    try:
        role = Role(request.form.get("role") or "")
        active = forms.checked(request.form, "active")
        update_user(services(), user_id, role=role, active=active, actor_id=current_user.id)
    except ValueError:
        flash("Unknown role.", "error")
    except AdminRefused as refused:
        flash(str(refused), "error")
    else:
        flash("Saved.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@admin.post("/users/<int:user_id>/password")
def new_password(user_id: int) -> Response | str:
    try:
        password = reset_password(services(), user_id, current_user.id)
    except AdminRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("admin.users"))
    return render_template(
        "admin/secret.html",
        title="The password was reset",
        what="The new password",
        secret=password,
        back=url_for("admin.user", user_id=user_id),
    )


@admin.post("/users/<int:user_id>/tokens")
def create_token(user_id: int) -> Response | str:
    scopes = request.form.getlist("scopes")
    try:
        token = issue_token(
            services(), user_id, request.form.get("name") or "", scopes, current_user.id
        )
    except AdminRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("admin.user", user_id=user_id))
    return render_template(
        "admin/secret.html",
        title="A new API token",
        what=f"The token ({', '.join(sorted(set(scopes)))})",
        secret=token,
        back=url_for("admin.user", user_id=user_id),
    )


@admin.post("/tokens/<int:token_id>/revoke")
def revoke(token_id: int) -> Response:
    user_id = request.form.get("user_id", type=int)
    try:
        revoke_token(services(), token_id, current_user.id)
    except AdminRefused as refused:
        flash(str(refused), "error")
    else:
        flash("The token is revoked.", "success")
    return redirect(url_for("admin.user", user_id=user_id) if user_id else url_for("admin.users"))
