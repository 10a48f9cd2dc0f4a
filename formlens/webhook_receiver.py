"""A reference receiver for FormLens webhooks: verify, refuse replays, process each event once.

Copy it into your service; it needs only the ``standardwebhooks`` package. It checks
``webhook-signature`` (HMAC-SHA256 over ``id.timestamp.body`` with your ``whsec_`` secret),
refuses a ``webhook-timestamp`` more than five minutes from now (a captured request cannot be
replayed later), and remembers the ids it processed for longer than that window, so a replay
inside it, or FormLens retrying a message you already processed, is acknowledged but not
processed twice. Keep the ids in your database if you run more than one process.

Try it: ``python -m formlens.webhook_receiver whsec_... 8080`` prints each verified event.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

TOLERANCE_S = 5 * 60  # standardwebhooks refuses timestamps further than this from now
REMEMBER_S = 2 * TOLERANCE_S  # longer than any timestamp that can still pass


@dataclass(frozen=True)
class Verdict:
    status: int  # the HTTP status to answer with: 2xx stops FormLens retrying
    reason: str
    payload: Any = None  # the verified event, when it was processed now


class Receiver:
    def __init__(self, secret: str, handle: Callable[[Any], None]) -> None:
        self._webhook = Webhook(secret)
        self._handle = handle
        self._done: dict[str, float] = {}  # webhook-id -> when it was processed
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    def receive(self, body: bytes, headers: Mapping[str, str]) -> Verdict:
        try:
            payload = self._webhook.verify(body, dict(headers))
        except (WebhookVerificationError, ValueError):  # ValueError: malformed header or body
            return Verdict(400, "rejected: bad signature or timestamp")
        message_id = {k.lower(): v for k, v in headers.items()}["webhook-id"]
        with self._lock:
            now = time.time()
            self._done = {k: t for k, t in self._done.items() if t > now - REMEMBER_S}
            if message_id in self._done:
                return Verdict(200, "duplicate: processed before")
            if message_id in self._busy:
                return Verdict(409, "being processed: send it again later")
            self._busy.add(message_id)
        try:
            self._handle(payload)
        except Exception:
            return Verdict(500, "processing failed: send it again")
        else:
            with self._lock:
                self._done[message_id] = time.time()
            return Verdict(200, "processed", payload)
        finally:
            with self._lock:
                self._busy.discard(message_id)


def serve(secret: str, port: int, host: str = "127.0.0.1") -> None:
    receiver = Receiver(secret, lambda event: print(json.dumps(event), flush=True))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            verdict = receiver.receive(body, dict(self.headers.items()))
            answer = json.dumps({"result": verdict.reason}).encode()
            self.send_response(verdict.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    ThreadingHTTPServer((host, port), Handler).serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8080)
