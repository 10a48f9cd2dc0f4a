"""Users and API tokens: creating them and checking credentials.

Passwords are hashed with scrypt (werkzeug). API tokens are 256-bit random strings, so a
plain SHA-256 of the token is a safe lookup key: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import utcnow
from models.users import ApiToken, Role, User

TOKEN_PREFIX = "fl_"  # noqa: S105 - a marker, not a secret
SCOPES = ("documents:read", "documents:write", "review", "admin")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A user or token request that cannot be honoured; the message says why."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def create_user(
    session: Session, email: str, password: str, role: Role = Role.STAFF, name: str = ""
) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError("An e-mail address is needed as the login.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"A user {email} exists already.")
    user = User(email=email, name=name, password_hash=hash_password(password), role=role.value)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        # Hash anyway, so that response time does not reveal which logins exist.
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    return user


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token row and the token itself, which is shown once and never stored."""
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise AccountError(f"Unknown scopes: {', '.join(sorted(unknown))}.")
    if "admin" in scopes and not user.is_admin:
        raise AccountError("Only admins can hold tokens with the admin scope.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        prefix=token[:10],
        token_hash=token_digest(token),
        scopes=scopes,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, token


def find_token(session: Session, token: str) -> ApiToken | None:
    """The live token row for ``token``, with ``last_used_at`` touched; ``None`` if invalid."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    row.last_used_at = now
    return row


_DUMMY_HASH = hash_password("formlens-timing-equaliser")
