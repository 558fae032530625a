"""Where a webhook may be sent: https, and only to public addresses, checked again at every delivery.

A target's name is resolved when the subscription is written and again before each delivery, and the delivery
connects to the very address that was checked (the name still goes in Host and in TLS's SNI), so a name that
resolves to a public address at first and to 127.0.0.1 later (DNS rebinding) is refused, not followed.
WEBHOOKS_ALLOW_PRIVATE_TARGETS lifts both rules, for tests and closed networks only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import NamedTuple
from urllib.parse import urlsplit

from service.pricing.errors import InputError, InvalidValue


class TargetRefused(Exception):
    """A target this service will not send to; the message says why."""


class WebhookTargetRefused(InputError):
    """A webhook url whose host resolves to an internal address (loopback, private, link-local, reserved)."""

    problem_type = "webhook-target-refused"


class ResolvedTarget(NamedTuple):
    url: str  # with the checked address in place of the name
    host: str  # the name, for Host and SNI
    address: str


def check_form(url: str, allow_private: bool) -> None:
    """The checks that need no DNS: scheme, host, no credentials. Raises InvalidValue at `url`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidValue(f"url is not a valid URL: {exc}", "url") from None
    allowed = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in allowed:
        raise InvalidValue("url must be https", "url")
    if not parts.hostname:
        raise InvalidValue("url must name a host", "url")
    if parts.username or parts.password:
        raise InvalidValue("url must not carry credentials; the signature authenticates the sender", "url")
    if port == 0:
        raise InvalidValue("url must not use port 0", "url")


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16,
    # the cloud metadata address among them), shared (100.64/10), reserved and unspecified addresses.
    return ip.is_global and not ip.is_multicast


async def resolve(url: str, allow_private: bool) -> ResolvedTarget:
    """The target with one checked address; TargetRefused when any address of the name is internal."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [str(ipaddress.ip_address(host))]  # an address needs no lookup (a thread hop, ~3 ms)
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise TargetRefused(f"{host} does not resolve: {exc.strerror}") from None
        except (UnicodeError, ValueError):  # not a name DNS can carry ("a..b", a NUL, an over-long label)
            raise TargetRefused(f"{host!r} is not a host name") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused(f"{host} does not resolve")
    internal = [address for address in addresses if not _is_public(address)]
    # Every address must be public: a name with one public and one internal address could be answered either way.
    if internal and not allow_private:
        raise TargetRefused(f"{host} resolves to an internal address ({internal[0]})")
    address = addresses[0]
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc += f":{parts.port}"
    return ResolvedTarget(parts._replace(netloc=netloc).geturl(), host, address)


async def check_target(url: str, allow_private: bool) -> None:
    """What a subscription's url must pass when it is written: its form, and public addresses only."""
    check_form(url, allow_private)
    try:
        await resolve(url, allow_private)
    except TargetRefused as exc:
        raise WebhookTargetRefused(f"url is refused: {exc}", "url") from None
