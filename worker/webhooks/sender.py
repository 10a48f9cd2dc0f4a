"""One signed HTTP POST to a checked address, with a timeout and a bounded response excerpt.

The request goes to an address that :func:`core.egress.allowed_addresses` approved, while the
``Host`` header and TLS (SNI and certificate check) use the URL's host name: a second DNS
lookup between the check and the connection could otherwise point the request elsewhere.
Redirects are not followed (a 3xx is a failed attempt), so a receiver cannot bounce a delivery
to an internal address either.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import certifi
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)

from core.egress import Destination, IPAddress

EXCERPT_BYTES = 1024
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to: an HTTP status, or an error before there was one."""

    status: int | None
    latency_ms: int | None
    excerpt: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @classmethod
    def refused(cls, reason: str) -> Outcome:
        return cls(status=None, latency_ms=None, error=reason)


def _pool(
    destination: Destination, address: IPAddress, timeout_s: float, ca_certs: str | None
) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=min(CONNECT_TIMEOUT_S, timeout_s), read=timeout_s)
    if destination.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            str(address),
            destination.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=destination.host,
            assert_hostname=destination.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs or certifi.where(),
        )
    return urllib3.HTTPConnectionPool(
        str(address), destination.port, timeout=timeout, retries=False, maxsize=1
    )


def post(
    destination: Destination,
    addresses: Sequence[IPAddress],
    headers: Mapping[str, str],
    body: bytes,
    timeout_s: float,
    *,
    ca_certs: str | None = None,
) -> Outcome:
    """POST ``body``; the next address is tried only when one cannot be connected to.

    ``ca_certs`` is a CA bundle to trust instead of certifi's (a private CA).
    """
    outcome = Outcome.refused("no address to connect to")
    for address in addresses:
        outcome = _post_once(destination, address, headers, body, timeout_s, ca_certs=ca_certs)
        if outcome.error is None or not outcome.error.startswith("could not connect"):
            return outcome
    return outcome


def _post_once(
    destination: Destination,
    address: IPAddress,
    headers: Mapping[str, str],
    body: bytes,
    timeout_s: float,
    *,
    ca_certs: str | None,
) -> Outcome:
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    pool = _pool(destination, address, timeout_s, ca_certs)
    try:
        response = pool.urlopen(
            "POST",
            destination.target,
            body=body,
            headers={**headers, "host": destination.host_header},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            excerpt = response.read(EXCERPT_BYTES, decode_content=False)
        finally:
            response.release_conn()
        text = excerpt.decode("utf-8", errors="replace").strip()
        return Outcome(status=response.status, latency_ms=elapsed(), excerpt=text)
    except (HTTPError, OSError) as error:
        return Outcome(status=None, latency_ms=elapsed(), error=_describe(error, timeout_s))
    finally:
        pool.close()


def _describe(error: Exception, timeout_s: float) -> str:
    if isinstance(error, ReadTimeoutError):
        return f"timed out: no response within {timeout_s:g} s"
    if isinstance(error, ConnectTimeoutError | NewConnectionError | ConnectionError):
        return f"could not connect: {error}"
    if isinstance(error, SSLError):
        return f"TLS error: {error}"
    return f"{type(error).__name__}: {error}"
