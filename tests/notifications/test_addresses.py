"""No SSRF: which addresses are refused, the lookup done once at send time, the connection made to
the address that was checked."""

import ipaddress
import socket

import pytest

from meetings.notifications import transport
from meetings.notifications.addresses import AddressRefused, check_literal, refusal, resolve

REFUSED = {
    "127.0.0.1": "loopback_address",
    "127.8.9.10": "loopback_address",
    "::1": "loopback_address",
    "::ffff:127.0.0.1": "loopback_address",
    "2002:7f00:1::": "loopback_address",  # 6to4 around 127.0.0.1
    "10.0.0.1": "private_address",
    "172.16.5.4": "private_address",
    "192.168.0.10": "private_address",
    "100.64.0.1": "private_address",  # carrier-grade NAT
    "fc00::1": "private_address",
    "fd12:3456::1": "private_address",
    "::ffff:10.0.0.1": "private_address",
    "64:ff9b::a00:1": "private_address",  # NAT64 around 10.0.0.1
    "169.254.169.254": "metadata_address",
    "169.254.170.2": "metadata_address",
    "fd00:ec2::254": "metadata_address",
    "100.100.100.200": "metadata_address",
    "::ffff:169.254.169.254": "metadata_address",
    "169.254.10.1": "link_local_address",
    "fe80::1": "link_local_address",
    "0.0.0.0": "unspecified_address",
    "::": "unspecified_address",
    "224.0.0.1": "multicast_address",
    "ff02::1": "multicast_address",
    "240.0.0.1": "private_address",
    "192.0.2.1": "private_address",  # documentation
}
ALLOWED = ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize(("address", "reason"), REFUSED.items())
def test_non_public_addresses_are_refused(address, reason):
    assert refusal(ipaddress.ip_address(address), allow_loopback=False) == reason


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address):
    assert refusal(ipaddress.ip_address(address), allow_loopback=False) is None


def test_the_loopback_setting_allows_loopback_and_nothing_else():
    allowed = {
        address for address in REFUSED if refusal(ipaddress.ip_address(address), allow_loopback=True) is None
    }
    assert allowed == {address for address, reason in REFUSED.items() if reason == "loopback_address"}


def test_an_ip_literal_is_judged_at_once():
    with pytest.raises(AddressRefused, match="metadata_address"):
        check_literal("[::ffff:169.254.169.254]", allow_loopback=True)
    check_literal("hooks.example.com", allow_loopback=False)  # names wait for the lookup


@pytest.fixture
def fake_dns(monkeypatch):
    """Answers lookups of *.example.test from a table; numeric hosts resolve as usual. Counts lookups."""
    table: dict[str, list[str]] = {}
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            lookups.append(host)
            family = lambda a: socket.AF_INET6 if ":" in a else socket.AF_INET  # noqa: E731
            return [(family(a), socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    table["lookups"] = lookups
    return table


def test_a_name_with_any_refused_address_is_refused(fake_dns):
    fake_dns["mixed.example.test"] = ["93.184.215.14", "10.0.0.7"]
    with pytest.raises(AddressRefused, match="private_address: 10.0.0.7"):
        resolve("mixed.example.test", 443, allow_loopback=False)


def test_an_unknown_name_is_a_dns_error():
    with pytest.raises(AddressRefused, match="dns_error"):
        resolve("no-such-host.invalid", 443, allow_loopback=False)


def test_the_request_goes_to_the_checked_address_with_one_lookup(fake_dns, receiver):
    port = receiver.server.server_address[1]
    fake_dns["hooks.example.test"] = ["127.0.0.1"]

    result = transport.post(
        f"http://hooks.example.test:{port}/hooks?x=1", b"{}", {"webhook-id": "msg_1"}, allow_loopback=True
    )

    assert (result.status, result.error) == (204, None)
    [request] = receiver.wait_for(1)
    assert request.headers["host"] == f"hooks.example.test:{port}" and request.path == "/hooks?x=1"
    assert fake_dns["lookups"] == ["hooks.example.test"]


@pytest.mark.parametrize(
    ("answer", "error"),
    [(["169.254.169.254"], "refused:metadata_address"), (["127.0.0.1"], "refused:loopback_address")],
)
def test_a_name_that_resolves_to_a_refused_address_is_never_connected_to(fake_dns, receiver, answer, error):
    fake_dns["rebind.example.test"] = answer
    port = receiver.server.server_address[1]
    result = transport.post(f"http://rebind.example.test:{port}/", b"{}", {}, allow_loopback=False)
    assert (result.status, result.error) == (None, error)
    assert receiver.requests == []


def test_a_closed_port_is_connection_refused():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = transport.post(f"http://127.0.0.1:{port}/", b"{}", {}, allow_loopback=True)
    assert (result.status, result.error) == (None, "connection_refused")


def test_a_public_name_resolves_to_its_addresses(fake_dns):
    fake_dns["ok.example.test"] = ["93.184.215.14", "2606:4700::1111"]
    assert resolve("ok.example.test", 443, allow_loopback=False) == [
        ipaddress.ip_address("93.184.215.14"),
        ipaddress.ip_address("2606:4700::1111"),
    ]
