"""A real HTTP receiver for webhook tests: a threaded http.server on 127.0.0.1 that records
every request and answers as the test tells it (a status per request, or hanging)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


# (request number from 1, the request) -> (status, body); may block to play a hanging receiver
Answer = Callable[[int, Received], tuple[int, bytes]]


def always(status: int, body: bytes = b'{"ok": true}') -> Answer:
    return lambda _number, _request: (status, body)


@dataclass
class HookReceiver:
    answer: Answer = field(default_factory=lambda: always(200))
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    released: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: Received) -> int:
        with self._lock:
            self.requests.append(request)
            return len(self.requests)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.requests)} of {count} requests after {timeout} s")
            time.sleep(0.05)
        return list(self.requests)

    def hang(self) -> Answer:
        """An answer that never comes until the test ends (or ``released`` is set)."""

        def answer(_number: int, _request: Received) -> tuple[int, bytes]:
            self.released.wait(120)
            return 200, b"late"

        return answer


def _handler(receiver: HookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = Received(headers, body, time.monotonic())
            number = receiver.record(request)
            status, answer = receiver.answer(number, request)
            try:
                self.send_response(status)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the sender gave up waiting (a hanging receiver's fate)

        def log_message(self, *_args: object) -> None:
            pass

    return Handler


@contextmanager
def running_receiver(answer: Answer | None = None) -> Iterator[HookReceiver]:
    receiver = HookReceiver(answer) if answer else HookReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/formlens"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.shutdown()
        server.server_close()
