"""Who the client is behind proxies: `Forwarded` (RFC 7239) and `X-Forwarded-For`, trusted only from TRUSTED_PROXIES.

The address a request came from decides its anonymous rate limit and idempotency space, so a forwarded header is
believed only when the peer that sent it is a proxy the operator listed. uvicorn's own proxy handling trusts
127.0.0.1 by default and reads only X-Forwarded-For; it is turned off (service.cli.main), and this module, run by
service.http.front before anything reads the address, does it instead, for both headers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from litestar.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """TRUSTED_PROXIES' entries as networks (`10.0.0.0/8`, `127.0.0.1`, `::1`); ValueError names a bad one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    return tuple(networks)


class ForwardedClient:
    def __init__(self, trusted: tuple[Network, ...]) -> None:
        self.trusted = trusted

    def resolve(self, scope: Scope) -> None:
        """Replace the scope's client with the address its trusted proxies forwarded, if any."""
        client = scope.get("client")
        if not self.trusted or client is None or not self._trusts(client[0]):
            return
        hops = _hops(scope["headers"])
        # The chain is client, proxy, proxy...: walking back from the peer, the first hop no listed proxy owns is
        # the client. Anything left of it was written by the client itself and proves nothing.
        for hop in reversed(hops):
            if not self._trusts(hop):
                scope["client"] = (hop, 0)
                return
        if hops:
            scope["client"] = (hops[0], 0)

    def _trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)


def _hops(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """The addresses of the chain, client first: from `Forwarded` when sent, else from `X-Forwarded-For`."""
    forwarded = [value.decode("latin-1") for name, value in headers if name == b"forwarded"]
    if forwarded:
        return [_address(part) for part in _for_values(",".join(forwarded))]
    legacy = [value.decode("latin-1") for name, value in headers if name == b"x-forwarded-for"]
    return [hop.strip() for hop in ",".join(legacy).split(",") if hop.strip()]


def _for_values(header: str) -> list[str]:
    """Each element's `for=` (RFC 7239, 4): elements split by commas, pairs by semicolons, values maybe quoted."""
    values = []
    for element in header.split(","):
        for pair in element.split(";"):
            name, _, value = pair.strip().partition("=")
            if name.lower() == "for" and value:
                values.append(value.strip().strip('"'))
    return values


def _address(node: str) -> str:
    """A node's address without its port: `[2001:db8::1]:4711` is `2001:db8::1`, `192.0.2.1:80` is `192.0.2.1`;
    `unknown` and obfuscated names (`_hidden`) stay as they are, and are never trusted."""
    if node.startswith("["):
        return node[1:].partition("]")[0]
    return node.partition(":")[0] if node.count(":") == 1 else node
