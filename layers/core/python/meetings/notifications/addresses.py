"""Which addresses a webhook may be sent to: public unicast only, checked on every resolved address.

Refused: loopback (unless allowed for development and tests), private and shared (RFC 1918, 100.64/10,
fc00::/7), link-local (169.254/16, fe80::/10), cloud metadata services, multicast, reserved,
unspecified and documentation ranges. IPv4 embedded in IPv6 (::ffff:a.b.c.d, 64:ff9b::/96 NAT64,
2002::/16 6to4, Teredo) is judged by the IPv4 address inside.
"""

import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack instance metadata
        "169.254.170.2",  # ECS task metadata and credentials
        "169.254.169.253",  # AWS VPC DNS
        "fd00:ec2::254",  # AWS instance metadata over IPv6
        "fd00:ec2::253",
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(Exception):
    """The host is, or resolves to, an address webhooks must never reach."""

    def __init__(self, reason: str, address: str | None = None):
        super().__init__(f"{reason}: {address}" if address else reason)
        self.reason = reason
        self.address = address


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, Teredo), if any."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why an address is refused, or None when a webhook may go there."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return refusal(inner, allow_loopback=allow_loopback)
    if address in METADATA_ADDRESSES:
        return "metadata_address"
    if address.is_loopback:
        return None if allow_loopback else "loopback_address"
    if address.is_unspecified:
        return "unspecified_address"
    if address.is_link_local:
        return "link_local_address"
    if address.is_multicast:
        return "multicast_address"
    if address.is_private or address in ipaddress.ip_network("100.64.0.0/10"):
        return "private_address"
    if not address.is_global or address.is_reserved:
        return "reserved_address"
    return None


def check_literal(host: str, *, allow_loopback: bool) -> None:
    """Refuses a host that is an IP literal in a refused range (hostnames are checked when resolved)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    reason = refusal(address, allow_loopback=allow_loopback)
    if reason:
        raise AddressRefused(reason, str(address))


def resolve(host: str, port: int, *, allow_loopback: bool) -> list[IPAddress]:
    """Every address the host resolves to now; refused if any of them is (no mixed answers)."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused("dns_error") from exc
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    if not addresses:
        raise AddressRefused("dns_error")
    for address in addresses:
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason:
            raise AddressRefused(reason, str(address))
    return addresses
