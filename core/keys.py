"""The install's secret key: from the settings, or generated once into the data directory.

Flask signs sessions and CSRF tokens with it, and webhook signing secrets are encrypted with a
key derived from it. Every process of one install must see the same key, so a generated key is
written to a temporary file and hard-linked into place: the first process to link wins, and no
process can ever read a half-written key.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from core.settings import Settings

KEY_FILE = "secret_key"


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=settings.data_dir, prefix=".key-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            path.hardlink_to(temp)
        except FileExistsError:
            pass  # another process won the race; use its key
        finally:
            Path(temp).unlink()
    return path.read_text().strip()
