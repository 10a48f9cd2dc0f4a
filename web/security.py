"""Who is asking: session logins for people, bearer tokens for machines, roles, headers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, Response, abort, g, request
from flask_login import UserMixin, current_user, login_required

from models import Role, User
from models.accounts import find_token
from web.extensions import db, login_manager

P = ParamSpec("P")
R = TypeVar("R")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@dataclass(frozen=True)
class CurrentUser(UserMixin):  # type: ignore[misc]
    """The logged-in person, detached from any database session."""

    id: int
    email: str
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @classmethod
    def of(cls, user: User) -> CurrentUser:
        return cls(id=user.id, email=user.email, name=user.name, role=user.role)


@login_manager.user_loader
def _load_user(user_id: str) -> CurrentUser | None:
    user = db().get(User, int(user_id))
    return CurrentUser.of(user) if user is not None and user.is_active else None


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """A portal view for admins: log in first, then 403 for everyone else."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return login_required(wrapped)  # type: ignore[no-any-return]


def token_required(scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """An API view reachable with a bearer token that holds ``scope`` (or ``admin``)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            header = request.headers.get("Authorization", "")
            kind, _, token = header.partition(" ")
            if kind.lower() != "bearer" or not token:
                abort(401, "Send an API token as 'Authorization: Bearer <token>'.")
            row = find_token(db(), token.strip())
            if row is None:
                abort(401, "The API token is unknown, revoked or expired.")
            db().commit()  # keeps last_used_at
            if scope not in row.scopes and "admin" not in row.scopes:
                abort(403, f"The API token lacks the '{scope}' scope.")
            if scope == "admin" and not row.user.is_admin:
                abort(403, "Admin operations need an admin's token.")
            g.api_user = CurrentUser.of(row.user)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_security_headers)
