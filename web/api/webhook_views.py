"""Webhook subscriptions, their delivery log, and export profiles over the API (admin scope)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, g, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import ExportProfile, WebhookAttempt, WebhookDelivery, WebhookSubscription
from models.outbox import EVENT_TYPES
from models.webhook_log import STATUSES, attempts_of, delivery_log, subscriptions
from web.api import api
from web.api.openapi import ERRORS, ok, register_paths
from web.extensions import db, get_or_404, services
from web.security import token_required
from web.services.profiles import ProfileInput, ProfileRefused, delete_profile, save_profile
from web.services.webhooks import (
    NotFound,
    SubscriptionInput,
    SubscriptionRefused,
    create_subscription,
    delete_subscription,
    redeliver,
    rotate_secret,
    update_subscription,
)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def subscription_json(row: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "description": row.description,
        "event_types": list(row.event_types),
        "enabled": row.enabled,
        "export_profile_id": row.export_profile_id,
        "failure_streak": row.failure_streak,
        "paused_until": _time(row.paused_until),
        "disabled_at": _time(row.disabled_at),
        "disabled_reason": row.disabled_reason,
        "created_at": row.created_at.isoformat(),
    }


def delivery_json(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "subscription_id": row.subscription_id,
        "event_id": str(row.event_id),
        "event_type": row.event.type,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": _time(row.next_attempt_at),
        "last_attempt_at": _time(row.last_attempt_at),
        "delivered_at": _time(row.delivered_at),
        "response_status": row.response_status,
        "latency_ms": row.latency_ms,
        "response_excerpt": row.response_excerpt,
        "error": row.error,
        "created_at": row.created_at.isoformat(),
    }


def attempt_json(row: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": row.number,
        "sent_at": row.created_at.isoformat(),
        "url": row.url,
        "response_status": row.response_status,
        "latency_ms": row.latency_ms,
        "response_excerpt": row.response_excerpt,
        "error": row.error,
    }


def profile_json(row: ExportProfile) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description, "mapping": row.mapping}


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "Send a JSON object.")
    return body


def _subscription_input(
    body: dict[str, Any], current: WebhookSubscription | None
) -> SubscriptionInput:
    def pick(name: str, default: Any) -> Any:
        return body.get(name, getattr(current, name) if current else default)

    events = pick("event_types", [])
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        abort(400, "'event_types' is a list of event type names.")
    profile = pick("export_profile_id", None)
    if profile is not None and not isinstance(profile, int):
        abort(400, "'export_profile_id' is an integer or null.")
    return SubscriptionInput(
        url=str(pick("url", "")),
        event_types=tuple(events),
        description=str(pick("description", "")),
        enabled=bool(pick("enabled", True)),
        export_profile_id=profile,
    )


def _found(subscription_id: int) -> WebhookSubscription:
    return get_or_404(WebhookSubscription, subscription_id, "webhook subscription")


@api.get("/webhooks")
@token_required("admin")
def list_webhooks() -> Response:
    return jsonify(items=[subscription_json(row) for row in subscriptions(db())])


@api.post("/webhooks")
@token_required("admin")
def create_webhook() -> tuple[Response, int]:
    try:
        created = create_subscription(services(), _subscription_input(_body(), None), g.api_user.id)
    except SubscriptionRefused as refused:
        abort(422, str(refused))
    body = subscription_json(_found(created.subscription_id))
    # The secret is shown this once; only its sealed form is stored.
    return jsonify(body | {"secret": created.secret, "warnings": created.warnings}), 201


@api.get("/webhooks/<int:subscription_id>")
@token_required("admin")
def get_webhook(subscription_id: int) -> Response:
    return jsonify(subscription_json(_found(subscription_id)))


@api.patch("/webhooks/<int:subscription_id>")
@token_required("admin")
def update_webhook(subscription_id: int) -> Response:
    data = _subscription_input(_body(), _found(subscription_id))
    try:
        warnings = update_subscription(services(), subscription_id, data, g.api_user.id)
    except SubscriptionRefused as refused:
        abort(422, str(refused))
    db().expire_all()
    return jsonify(subscription_json(_found(subscription_id)) | {"warnings": warnings})


@api.delete("/webhooks/<int:subscription_id>")
@token_required("admin")
def delete_webhook(subscription_id: int) -> tuple[str, int]:
    try:
        delete_subscription(services(), subscription_id, g.api_user.id)
    except NotFound as missing:
        abort(404, str(missing))
    return "", 204


@api.post("/webhooks/<int:subscription_id>/rotate-secret")
@token_required("admin")
def rotate_webhook_secret(subscription_id: int) -> Response:
    try:
        secret = rotate_secret(services(), subscription_id, g.api_user.id)
    except NotFound as missing:
        abort(404, str(missing))
    return jsonify(id=subscription_id, secret=secret)


@api.get("/webhooks/<int:subscription_id>/deliveries")
@token_required("admin")
def list_deliveries(subscription_id: int) -> Response:
    _found(subscription_id)
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        abort(400, f"Unknown status {status!r}.")
    before = request.args.get("before", type=int)
    page = delivery_log(db(), subscription_id=subscription_id, status=status, before=before)
    next_url = None
    if page.next_before is not None:
        next_url = url_for(
            "api.list_deliveries", subscription_id=subscription_id, before=page.next_before
        )
    return jsonify(items=[delivery_json(d) for d in page.deliveries], next=next_url)


@api.get("/webhook-deliveries/<int:delivery_id>")
@token_required("admin")
def get_delivery(delivery_id: int) -> Response:
    row = get_or_404(WebhookDelivery, delivery_id, "delivery")
    attempts = [attempt_json(a) for a in attempts_of(db(), delivery_id)]
    return jsonify(delivery_json(row) | {"attempt_log": attempts, "payload": row.event.payload})


@api.post("/webhook-deliveries/<int:delivery_id>/redeliver")
@token_required("admin")
def redeliver_delivery(delivery_id: int) -> tuple[Response, int]:
    try:
        redeliver(services(), delivery_id, g.api_user.id)
    except NotFound as missing:
        abort(404, str(missing))
    except SubscriptionRefused as refused:
        abort(409, str(refused))
    db().expire_all()
    return jsonify(delivery_json(db().get_one(WebhookDelivery, delivery_id))), 202


@api.get("/export-profiles")
@token_required("admin")
def list_profiles() -> Response:
    rows = db().scalars(select(ExportProfile).order_by(ExportProfile.name)).all()
    return jsonify(items=[profile_json(row) for row in rows])


def _profile_input(body: dict[str, Any]) -> ProfileInput:
    return ProfileInput(
        name=str(body.get("name", "")),
        mapping=body.get("mapping"),
        description=str(body.get("description", "")),
    )


@api.post("/export-profiles")
@token_required("admin")
def create_profile() -> tuple[Response, int]:
    try:
        profile_id = save_profile(services(), None, _profile_input(_body()), g.api_user.id)
    except ProfileRefused as refused:
        abort(422, str(refused))
    return jsonify(profile_json(db().get_one(ExportProfile, profile_id))), 201


@api.put("/export-profiles/<int:profile_id>")
@token_required("admin")
def update_profile(profile_id: int) -> Response:
    get_or_404(ExportProfile, profile_id, "export profile")
    try:
        save_profile(services(), profile_id, _profile_input(_body()), g.api_user.id)
    except ProfileRefused as refused:
        abort(422, str(refused))
    db().expire_all()
    return jsonify(profile_json(db().get_one(ExportProfile, profile_id)))


@api.get("/export-profiles/<int:profile_id>")
@token_required("admin")
def get_profile(profile_id: int) -> Response:
    return jsonify(profile_json(get_or_404(ExportProfile, profile_id, "export profile")))


@api.delete("/export-profiles/<int:profile_id>")
@token_required("admin")
def remove_profile(profile_id: int) -> tuple[str, int]:
    try:
        delete_profile(services(), profile_id, g.api_user.id)
    except ProfileRefused as refused:
        abort(404, str(refused))
    return "", 204


_ADMIN = [{"bearer": ["admin"]}]
_ID = {"in": "path", "required": True, "schema": {"type": "integer"}}
_SUBSCRIPTION_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "format": "uri"},
                    "event_types": {"type": "array", "items": {"enum": list(EVENT_TYPES)}},
                    "description": {"type": "string"},
                    "enabled": {"type": "boolean"},
                    "export_profile_id": {"type": ["integer", "null"]},
                },
            }
        }
    },
}
_PROFILE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["name", "mapping"],
                "properties": {
                    "name": {"type": "string"},
                    "description": {"type": "string"},
                    "mapping": {"type": "object", "description": "See docs/REVIEW_AND_EXPORT.md."},
                },
            }
        }
    },
}


def _op(
    summary: str, *, params: tuple[str, ...] = (), body: Any = None, **codes: str
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "security": _ADMIN,
        "parameters": [{"name": name, **_ID} for name in params],
        "responses": {code.removeprefix("r"): ok(text) for code, text in codes.items()} | ERRORS,
    }
    if body is not None:
        operation["requestBody"] = body
    return operation


register_paths(
    {
        "/webhooks": {
            "get": _op("Webhook subscriptions", r200="The subscriptions."),
            "post": _op(
                "Subscribe a URL to events; the answer holds the signing secret, once",
                body=_SUBSCRIPTION_BODY,
                r201="Created, with 'secret'.",
                r422="Refused (not http(s), private address, unknown events).",
            ),
        },
        "/webhooks/{subscription_id}": {
            "get": _op("One subscription", params=("subscription_id",), r200="It."),
            "patch": _op(
                "Change a subscription (enabling sends what was held)",
                params=("subscription_id",),
                body=_SUBSCRIPTION_BODY,
                r200="Changed.",
                r422="Refused.",
            ),
            "delete": _op("Delete a subscription", params=("subscription_id",), r204="Gone."),
        },
        "/webhooks/{subscription_id}/rotate-secret": {
            "post": _op("A new signing secret, shown once", params=("subscription_id",), r200="It.")
        },
        "/webhooks/{subscription_id}/deliveries": {
            "get": _op(
                "The delivery log, newest first", params=("subscription_id",), r200="A page."
            )
        },
        "/webhook-deliveries/{delivery_id}": {
            "get": _op("A delivery with every attempt", params=("delivery_id",), r200="It.")
        },
        "/webhook-deliveries/{delivery_id}/redeliver": {
            "post": _op(
                "Send the event again (same webhook-id)",
                params=("delivery_id",),
                r202="Queued.",
                r409="Disabled subscription, or being sent.",
            )
        },
        "/export-profiles": {
            "get": _op("Export profiles", r200="The profiles."),
            "post": _op("Create a profile", body=_PROFILE_BODY, r201="Created.", r422="Refused."),
        },
        "/export-profiles/{profile_id}": {
            "get": _op("One profile", params=("profile_id",), r200="It."),
            "put": _op(
                "Replace a profile",
                params=("profile_id",),
                body=_PROFILE_BODY,
                r200="Saved.",
                r422="Refused.",
            ),
            "delete": _op("Delete a profile", params=("profile_id",), r204="Gone."),
        },
    }
)
