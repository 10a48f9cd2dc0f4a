"""Logging in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from models.accounts import authenticate
from web.extensions import db, limiter, services
from web.portal import portal
from web.portal.forms import ActionForm, LoginForm
from web.security import CurrentUser


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login is a phishing tool."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("portal.documents")


@portal.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: services().settings.login_rate_limit, methods=["POST"])
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for("portal.documents"))
    form = LoginForm()
    if form.validate_on_submit():
        session = db()
        user = authenticate(session, form.email.data, form.password.data)
        if user is not None:
            session.commit()
            login_user(CurrentUser.of(user), remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        flash("The e-mail or password is not right.", "error")
    return render_template("login.html", form=form)


@portal.post("/logout")
def logout() -> Response:
    if ActionForm().validate_on_submit():
        logout_user()
    return redirect(url_for("portal.login"))
