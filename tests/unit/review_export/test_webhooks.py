"""Signing, retries and the egress policy: the pure parts of webhook delivery."""

import ipaddress
import random
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from core.egress import DestinationRefused, is_public, parse_destination
from core.secretbox import SecretBox, SecretUnreadable
from core.webhooks import event_body, new_secret, retry_delay, signed_headers


def test_signed_headers_verify_with_the_standard_library() -> None:
    secret = new_secret()
    body = event_body("document.approved", datetime(2024, 3, 15, tzinfo=UTC), {"a": "ü"})
    headers = signed_headers(secret, "msg_1", datetime.now(UTC), body)
    assert Webhook(secret).verify(body, headers) == {
        "type": "document.approved",
        "timestamp": "2024-03-15T00:00:00Z",
        "data": {"a": "ü"},
    }
    assert headers["webhook-signature"].startswith("v1,")
    assert secret.startswith("whsec_") and new_secret() != secret


def test_retry_delays_follow_the_schedule_with_jitter_then_stop() -> None:
    delays = (5.0, 300.0, 1800.0)
    rng = random.Random(7)
    found = [retry_delay(delays, attempt, rng) for attempt in (1, 2, 3, 4)]
    assert found[3] is None
    for value, base in zip(found[:3], delays, strict=True):
        assert value is not None and 0.8 * base <= value <= 1.2 * base
    assert retry_delay(delays, 0) is None


def test_the_default_schedule_spans_about_three_days() -> None:
    from core.settings import Settings  # noqa: PLC0415

    delays = Settings().webhook_retry_delays
    assert delays[:4] == (5, 300, 1800, 7200)
    assert 2.5 * 86400 < sum(delays) < 3.5 * 86400


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "224.0.0.1"],
)  # fmt: skip
def test_private_local_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


def test_public_addresses_are() -> None:
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert is_public(ipaddress.ip_address("2606:2800:220:1::1"))


def test_destinations_keep_host_port_and_target() -> None:
    found = parse_destination("https://Hooks.Example.com:8443/in?x=1")
    assert (found.scheme, found.host, found.port, found.target) == (
        "https",
        "hooks.example.com",
        8443,
        "/in?x=1",
    )
    assert found.host_header == "hooks.example.com:8443"
    assert parse_destination("http://[::1]/").host_header == "[::1]"
    with pytest.raises(DestinationRefused, match="cannot be read"):
        parse_destination("http://host:99999/")


def test_sealed_secrets_open_only_with_the_same_install_key() -> None:
    box = SecretBox("key-one")
    sealed = box.seal("whsec_abc")
    assert sealed != "whsec_abc" and box.open(sealed) == "whsec_abc"
    with pytest.raises(SecretUnreadable):
        SecretBox("key-two").open(sealed)
