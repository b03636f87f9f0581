"""Which addresses the poller may fetch from: the public internet only, unless allowed.

The poller fetches URLs that users give it, so it must not become a way into the
machine's own network (SSRF): every host is resolved and refused when one of its
addresses is not global (private, loopback, link-local, shared, reserved, multicast,
unspecified; IPv4 inside IPv6 judged as IPv4). The caller then connects to the address
that was checked, so a DNS answer that changes in between cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


class Refused(ValueError):
    """An address or URL the poller will not fetch; the message says why, in words."""


class AddressPolicy:
    """Global addresses always; others only when private ones are allowed or listed."""

    def __init__(self, allow_private: bool = False, allowed: Sequence[str] = ()):
        self.allow_private = allow_private
        self.allowed: list[Network] = [ipaddress.ip_network(n) for n in allowed]

    def check(self, host: str, address: str) -> Address:
        ip = _unmapped(ipaddress.ip_address(address))
        if self.allow_private or any(ip in network for network in self.allowed):
            return ip
        if not ip.is_global or ip.is_multicast:
            where = str(ip) if host.strip("[]") == str(ip) else f"{host} is at {ip}, which"
            raise Refused(f"{where} is not a public address "
                          "(set DATELINE_POLL_ALLOW_PRIVATE=true to follow feeds on your own network)")
        return ip


def system_resolver(host: str, port: int) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"{host} cannot be resolved ({exc.strerror})") from None
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


def checked_address(host: str, port: int, policy: AddressPolicy, resolve: Resolver = system_resolver) -> Address:
    """The address to connect to for ``host``: the first, once every one has passed."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal else resolve(host, port)
    if not addresses:
        raise Refused(f"{host} has no address")
    checked = [policy.check(host, address) for address in addresses]  # every one, not the first
    return checked[0]


def _unmapped(ip: Address) -> Address:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip
