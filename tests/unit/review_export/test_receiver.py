"""The reference receiver of docs/WEBHOOKS.md: the code shown there is the code tested here."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.webhooks import event_body, new_secret, signed_headers
from formlens.webhook_receiver import Receiver

ROOT = Path(__file__).resolve().parents[3]


def message(secret: str, sent: datetime | None = None) -> tuple[bytes, dict[str, str]]:
    body = event_body("document.approved", datetime.now(UTC), {"document": {"id": "d1"}})
    return body.encode(), signed_headers(secret, "evt_1", sent or datetime.now(UTC), body)


def test_a_message_is_processed_once_and_a_replay_only_acknowledged() -> None:
    secret = new_secret()
    seen: list[object] = []
    receiver = Receiver(secret, seen.append)
    body, headers = message(secret)
    assert receiver.receive(body, headers).reason == "processed"
    assert receiver.receive(body, headers).reason == "duplicate: processed before"
    assert len(seen) == 1


def test_tampering_a_stale_timestamp_and_another_secret_are_rejected() -> None:
    secret = new_secret()
    receiver = Receiver(secret, lambda _event: None)
    body, headers = message(secret)
    assert receiver.receive(body.replace(b"d1", b"d2"), headers).status == 400
    old_body, old = message(secret, datetime.now(UTC) - timedelta(minutes=6))
    assert receiver.receive(old_body, old).status == 400
    other_body, other = message(new_secret())
    assert receiver.receive(other_body, other).status == 400
    assert receiver.receive(body, {**headers, "webhook-signature": "garbage"}).status == 400


def test_a_failed_processing_is_not_remembered() -> None:
    secret = new_secret()
    calls: list[object] = []

    def flaky(event: object) -> None:
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("database down")

    receiver = Receiver(secret, flaky)
    body, headers = message(secret)
    assert receiver.receive(body, headers).status == 500
    assert receiver.receive(body, headers).reason == "processed"


def test_the_docs_show_this_very_receiver() -> None:
    docs = (ROOT / "docs" / "WEBHOOKS.md").read_text()
    shown = re.search(r"<!-- receiver -->\n```python\n(.*?)```", docs, re.S)
    assert shown, "docs/WEBHOOKS.md lost its reference receiver block"
    source = (ROOT / "formlens" / "webhook_receiver.py").read_text()
    assert shown.group(1) == source
