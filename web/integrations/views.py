"""Integrations pages (admins only): thin views over the webhook and profile use cases."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from core.mapping import EXAMPLE
from models import ExportProfile, WebhookDelivery, WebhookSubscription
from models.webhook_log import (
    STATUSES,
    attempts_of,
    delivery_counts,
    delivery_log,
    open_notices,
    subscriptions,
)
from web.extensions import db, get_or_404, services
from web.integrations import integrations
from web.integrations.forms import ProfileForm, WebhookForm
from web.portal.forms import ActionForm
from web.security import admin_required
from web.services.profiles import (
    ProfileInput,
    ProfileRefused,
    delete_profile,
    preview_profile,
    save_profile,
)
from web.services.webhooks import (
    NotFound,
    SubscriptionInput,
    SubscriptionRefused,
    create_subscription,
    delete_subscription,
    dismiss_notice,
    redeliver,
    rotate_secret,
    set_enabled,
    update_subscription,
)

LOG_PAGE = 50


@integrations.get("/")
@admin_required
def index() -> str:
    profiles = db().scalars(select(ExportProfile).order_by(ExportProfile.name)).all()
    return render_template(
        "integrations/index.html",
        subscriptions=subscriptions(db()),
        profiles=profiles,
        notices=open_notices(db(), limit=50),
        recent=delivery_log(db(), limit=10).deliveries,
        form=ActionForm(),
    )


def _webhook_form(subscription: WebhookSubscription | None = None) -> WebhookForm:
    form = WebhookForm(obj=subscription) if subscription else WebhookForm()
    profiles = db().scalars(select(ExportProfile).order_by(ExportProfile.name)).all()
    form.export_profile.choices = [(0, "none: send events as they are")] + [
        (p.id, f"push approved documents mapped by “{p.name}”") for p in profiles
    ]
    if subscription is not None and request.method == "GET":
        form.export_profile.data = subscription.export_profile_id or 0
    return form


def _subscription_input(form: WebhookForm) -> SubscriptionInput:
    return SubscriptionInput(
        url=form.url.data or "",
        event_types=tuple(form.event_types.data or ()),
        description=form.description.data or "",
        enabled=bool(form.enabled.data),
        export_profile_id=form.export_profile.data or None,
    )


@integrations.route("/webhooks/new", methods=["GET", "POST"])
@admin_required
def new_webhook() -> str | tuple[str, int]:
    form = _webhook_form()
    if form.validate_on_submit():
        try:
            created = create_subscription(services(), _subscription_input(form), current_user.id)
        except SubscriptionRefused as refused:
            form.url.errors.append(str(refused))
            return render_template("integrations/webhook_form.html", form=form), 422
        # Rendered, not redirected: the secret must not travel through the session cookie.
        subscription = db().get_one(WebhookSubscription, created.subscription_id)
        return render_template(
            "integrations/secret.html",
            subscription=subscription,
            secret=created.secret,
            warnings=created.warnings,
        )
    return render_template("integrations/webhook_form.html", form=form)


def _subscription(subscription_id: int) -> WebhookSubscription:
    return get_or_404(WebhookSubscription, subscription_id, "webhook subscription")


@integrations.route("/webhooks/<int:subscription_id>", methods=["GET", "POST"])
@admin_required
def webhook(subscription_id: int) -> Response | str | tuple[str, int]:
    subscription = _subscription(subscription_id)
    form = _webhook_form(subscription)
    status = 200
    if form.validate_on_submit():
        try:
            data = _subscription_input(form)
            warnings = update_subscription(services(), subscription_id, data, current_user.id)
        except SubscriptionRefused as refused:
            form.url.errors.append(str(refused))
            status = 422
        else:
            for warning in ["Saved.", *warnings]:
                flash(warning, "success" if warning == "Saved." else "warning")
            return redirect(url_for("integrations.webhook", subscription_id=subscription_id))
    page = delivery_log(
        db(), subscription_id=subscription_id, before=request.args.get("before", type=int)
    )
    html = render_template(
        "integrations/webhook.html",
        subscription=subscription,
        form=form,
        action_form=ActionForm(),
        page=page,
        counts=delivery_counts(db(), subscription_id),
    )
    return html, status


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@integrations.post("/webhooks/<int:subscription_id>/<any(enable, disable):action>")
@admin_required
def toggle_webhook(subscription_id: int, action: str) -> Response:
    _checked()
    try:
        sent = set_enabled(services(), subscription_id, action == "enable", current_user.id)
    except NotFound as missing:
        abort(404, str(missing))
    held = f" {sent} held deliveries are being sent." if sent else ""
    flash(f"The subscription is {action}d.{held}", "success")
    return redirect(url_for("integrations.webhook", subscription_id=subscription_id))


@integrations.post("/webhooks/<int:subscription_id>/rotate")
@admin_required
def rotate(subscription_id: int) -> str:
    _checked()
    try:
        secret = rotate_secret(services(), subscription_id, current_user.id)
    except NotFound as missing:
        abort(404, str(missing))
    subscription = _subscription(subscription_id)
    return render_template(
        "integrations/secret.html", subscription=subscription, secret=secret, rotated=True
    )


@integrations.post("/webhooks/<int:subscription_id>/delete")
@admin_required
def delete_webhook(subscription_id: int) -> Response:
    _checked()
    try:
        delete_subscription(services(), subscription_id, current_user.id)
    except NotFound as missing:
        abort(404, str(missing))
    flash("The subscription and its delivery log are deleted.", "success")
    return redirect(url_for("integrations.index"))


@integrations.get("/deliveries")
@admin_required
def deliveries() -> str:
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        abort(400, f"Unknown status {status!r}.")
    page = delivery_log(
        db(), status=status, before=request.args.get("before", type=int), limit=LOG_PAGE
    )
    return render_template(
        "integrations/deliveries.html", page=page, status=status, statuses=STATUSES
    )


@integrations.get("/deliveries/<int:delivery_id>")
@admin_required
def delivery(delivery_id: int) -> str:
    found = get_or_404(WebhookDelivery, delivery_id, "delivery")
    return render_template(
        "integrations/delivery.html",
        delivery=found,
        attempts=attempts_of(db(), delivery_id),
        payload=json.dumps(found.event.payload, indent=2, ensure_ascii=False),
        form=ActionForm(),
    )


@integrations.post("/deliveries/<int:delivery_id>/redeliver")
@admin_required
def redeliver_delivery(delivery_id: int) -> Response:
    _checked()
    try:
        redeliver(services(), delivery_id, current_user.id)
    except NotFound as missing:
        abort(404, str(missing))
    except SubscriptionRefused as refused:
        flash(str(refused), "warning")
    else:
        flash("Queued: the event is being sent again with the same webhook-id.", "success")
    return redirect(url_for("integrations.delivery", delivery_id=delivery_id))


@integrations.route("/profiles/new", methods=["GET", "POST"])
@integrations.route("/profiles/<int:profile_id>", methods=["GET", "POST"])
@admin_required
def profile(profile_id: int | None = None) -> Response | str | tuple[str, int]:
    row = (
        get_or_404(ExportProfile, profile_id, "export profile") if profile_id is not None else None
    )
    form = ProfileForm(obj=row)
    if request.method == "GET":
        form.mapping.data = json.dumps(row.mapping if row else EXAMPLE, indent=2)
    error = None
    if form.validate_on_submit():
        data = ProfileInput(
            form.name.data or "", form.mapping.data or "", form.description.data or ""
        )
        try:
            saved = save_profile(services(), profile_id, data, current_user.id)
        except ProfileRefused as refused:
            error = str(refused)
        else:
            flash("Saved.", "success")
            return redirect(url_for("integrations.profile", profile_id=saved))
    preview = preview_profile(db(), row.mapping) if row and not error else None
    html = render_template(
        "integrations/profile.html",
        form=form,
        profile=row,
        error=error,
        preview=json.dumps(preview, indent=2, ensure_ascii=False) if preview else None,
        action_form=ActionForm(),
    )
    return (html, 422) if error else html


@integrations.post("/profiles/<int:profile_id>/delete")
@admin_required
def delete_export_profile(profile_id: int) -> Response:
    _checked()
    try:
        delete_profile(services(), profile_id, current_user.id)
    except ProfileRefused as refused:
        abort(404, str(refused))
    flash("The profile is deleted; pushes that used it now send plain events.", "success")
    return redirect(url_for("integrations.index"))


@integrations.post("/notices/<int:notice_id>/dismiss")
@admin_required
def dismiss(notice_id: int) -> Response:
    _checked()
    dismiss_notice(services(), notice_id)
    target = request.form.get("next") or url_for("integrations.index")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
