"""Use cases on people and API tokens for admins: create, change role, deactivate, reset a
password, issue and revoke tokens.

New passwords and tokens are returned once, to be shown once; only their hashes are stored.
The last active admin cannot be demoted or deactivated (nobody could administer FormLens
afterwards), and every change is audited without the secret it made.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ApiToken, Role, User, utcnow
from models.accounts import AccountError, create_token, create_user, hash_password
from models.audit import record_audit
from web.extensions import Services
from web.services.admin_common import AdminRefused


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    name: str
    role: Role


def new_password() -> str:
    return secrets.token_urlsafe(12)


def add_user(services: Services, new: NewUser, actor_id: int | None) -> tuple[int, str]:
    """Create a user with a generated password; returns the id and the password (shown once)."""
    password = new_password()
    with services.database.session() as session:
        try:
            user = create_user(session, new.email, password, new.role, new.name)
        except AccountError as error:
            raise AdminRefused(str(error), 422) from None
        record_audit(
            session, actor_id, "user.created", ("user", user.id), email=user.email, role=user.role
        )
        return user.id, password


def update_user(
    services: Services, user_id: int, *, role: Role, active: bool, actor_id: int | None
) -> None:
    with services.database.session() as session:
        user = _user(session, user_id)
        demoted = user.is_admin and user.is_active and (role != Role.ADMIN or not active)
        if demoted and _active_admins(session) <= 1:
            raise AdminRefused("This is the last active admin: make someone else admin first.", 409)
        changes: dict[str, list[object]] = {}
        if user.role != role.value:
            changes["role"] = [user.role, role.value]
            user.role = role.value
        if user.is_active != active:
            changes["active"] = [user.is_active, active]
            user.is_active = active
        if changes:
            record_audit(session, actor_id, "user.updated", ("user", user.id), **changes)


def reset_password(services: Services, user_id: int, actor_id: int | None) -> str:
    """A new generated password for the user (shown once to the admin)."""
    password = new_password()
    with services.database.session() as session:
        user = _user(session, user_id)
        user.password_hash = hash_password(password)
        record_audit(session, actor_id, "user.password_reset", ("user", user.id))
    return password


def issue_token(
    services: Services, user_id: int, name: str, scopes: Iterable[str], actor_id: int | None
) -> str:
    """A new API token for the user; returned once, only its hash is kept."""
    with services.database.session() as session:
        user = _user(session, user_id)
        if not user.is_active:
            raise AdminRefused("The user is deactivated; activate them first.", 409)
        try:
            row, token = create_token(session, user, name.strip() or "token", scopes)
        except AccountError as error:
            raise AdminRefused(str(error), 422) from None
        record_audit(
            session,
            actor_id,
            "token.created",
            ("api_token", row.id),
            user=user.email,
            name=row.name,
            scopes=row.scopes,
        )
        return token


def revoke_token(services: Services, token_id: int, actor_id: int | None) -> None:
    with services.database.session() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise AdminRefused("There is no such token.", 404)
        if row.revoked_at is not None:
            raise AdminRefused("The token is revoked already.", 409)
        row.revoked_at = utcnow()
        record_audit(session, actor_id, "token.revoked", ("api_token", row.id), name=row.name)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def get_user(session: Session, user_id: int) -> User:
    return _user(session, user_id)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise AdminRefused("There is no such user.", 404)
    return user


def _active_admins(session: Session) -> int:
    query = select(func.count(User.id)).where(
        User.role == Role.ADMIN.value, User.is_active.is_(True)
    )
    return session.scalar(query) or 0
