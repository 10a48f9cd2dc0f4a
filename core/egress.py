"""Where FormLens may send requests: webhook and push URLs, and the addresses they resolve to.

A webhook URL is typed by an admin but fetched by a worker inside the network, so it could be
aimed at the metadata service, a database or an admin port on localhost (SSRF). Only http(s)
URLs without credentials are accepted, and every address a host name resolves to must be a
public one, unless ``FORMLENS_WEBHOOK_ALLOW_PRIVATE`` is set. The check runs when a URL is saved
*and* before every delivery (DNS can change in between); the sender then connects to the very
address that was checked, so a second lookup cannot swap it (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}


class DestinationRefused(ValueError):
    """A URL FormLens will not send to; the message says why, for people."""


@dataclass(frozen=True, slots=True)
class Destination:
    """A parsed http(s) URL: what to connect to and what to ask for."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"


def parse_destination(url: str) -> Destination:
    """The URL's parts, or :class:`DestinationRefused` when it is not a plain http(s) URL."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise DestinationRefused(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DestinationRefused("The URL cannot be read; check the host and port.") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise DestinationRefused("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise DestinationRefused("The URL has no host name.")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused(
            "Credentials in the URL would be stored in clear text; verify the signature instead."
        )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme], target)


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not private, loopback, link-local, multicast, reserved, ..."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback in disguise
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def allowed_addresses(destination: Destination, *, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to; refuses if the host does not resolve or any is private.

    One private address among public ones refuses the whole host: an attacker controlling
    the DNS answer could otherwise mix one in and hope the sender picks it.
    """
    try:
        addresses = resolve(destination.host, destination.port)
    except (OSError, UnicodeError) as error:
        message = f"The host {destination.host} cannot be resolved ({error})."
        raise DestinationRefused(message) from None
    if not addresses:
        raise DestinationRefused(f"The host {destination.host} has no address.")
    private = [str(a) for a in addresses if not is_public(a)]
    if private and not allow_private:
        raise DestinationRefused(
            f"{destination.host} resolves to a private or local address ({', '.join(private)}); "
            "set FORMLENS_WEBHOOK_ALLOW_PRIVATE=true to allow internal receivers."
        )
    return addresses
