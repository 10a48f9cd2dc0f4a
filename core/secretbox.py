"""Encrypting secrets that must be read back, such as webhook signing secrets, at rest.

A signing secret cannot be hashed like a password: the worker needs it to sign. It is sealed
with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from the install's secret key with
HKDF, so a copy of the database alone reveals no secret, and rotating ``FORMLENS_SECRET_KEY``
invalidates them all (subscriptions then need a new secret).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.keys import secret_key
from core.settings import Settings

_PURPOSE = b"formlens/webhook-secrets/v1"


class SecretUnreadable(ValueError):
    """A sealed secret that this install's key cannot open (the key was changed)."""


class SecretBox:
    def __init__(self, install_key: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
            install_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    @classmethod
    def of(cls, settings: Settings) -> SecretBox:
        return cls(secret_key(settings))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "The signing secret cannot be decrypted: FORMLENS_SECRET_KEY changed since it "
                "was created. Rotate the subscription's secret."
            ) from None
