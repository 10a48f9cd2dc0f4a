"""Webhook messages as Standard Webhooks describes them: secrets, bodies, signatures, retries.

Pure functions over plain values, so the worker that sends, the tests that receive and the
documentation's reference receiver agree on every byte:

- a secret is ``whsec_`` + base64 of 32 random bytes;
- the body of an event is ``{"type", "timestamp", "data"}`` as compact JSON;
- ``webhook-signature`` is ``v1,`` + base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}"));
- a failed delivery is retried after the configured delays, each jittered by ±20 % so that
  the retries of many deliveries that failed together do not arrive together.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format marker, not a secret
USER_AGENT = "FormLens-Webhooks/1"
JITTER = 0.2


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def dumps(value: Any) -> str:
    """Compact, stable JSON: what is signed is exactly what is sent."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def event_body(event_type: str, occurred_at: datetime, data: Mapping[str, Any]) -> str:
    timestamp = occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return dumps({"type": event_type, "timestamp": timestamp, "data": data})


def signed_headers(secret: str, message_id: str, sent_at: datetime, body: str) -> dict[str, str]:
    """The request headers of one attempt; each attempt is signed at its own time."""
    sent_at = sent_at.astimezone(UTC)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, sent_at, body),
    }


def retry_delay(
    delays: Sequence[float], attempts: int, rng: random.Random | None = None
) -> float | None:
    """Seconds to wait after ``attempts`` failed attempts; ``None`` once the schedule is spent."""
    if attempts < 1 or attempts > len(delays):
        return None
    jitter = (rng or _rng).uniform(1 - JITTER, 1 + JITTER)
    return delays[attempts - 1] * jitter


_rng = random.SystemRandom()
