"""The address a request comes from, as rate limits and the audit trail see it: the connection's
peer; only when that peer is a configured proxy (PANTAU_TRUSTED_PROXIES), the address the proxies
say they received the request from (X-Forwarded-For, read from the right: the last hop a trusted
proxy added), and the scheme it was received with (X-Forwarded-Proto: links say https behind a TLS
proxy). What any other client writes in these headers is ignored.

Uvicorn has its own forwarded-header handling, on by default for 127.0.0.1: `pantau serve` turns it
off so this module decides. When the server in front was started another way and has already put a
header value in place of the peer, the real peer is unknown and the address is left empty."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from starlette.types import ASGIApp, Receive, Scope, Send

Network = IPv4Network | IPv6Network


def parse_networks(value: str) -> tuple[Network, ...]:
    """PANTAU_TRUSTED_PROXIES: comma-separated addresses or networks (CIDR); empty = no proxy."""
    networks = []
    for item in (i.strip() for i in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"PANTAU_TRUSTED_PROXIES: {item[:60]!r} is not an IP address or network (CIDR)") from exc
    return tuple(networks)


def _host_port(hop: str) -> tuple[str, int]:
    """One X-Forwarded-For entry as uvicorn reads it: '1.2.3.4', '1.2.3.4:56', '[::1]:80', '::1'."""
    if hop.startswith("[") and "]" in hop:
        host, _, rest = hop[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif hop.count(":") == 1:
        host, _, port = hop.partition(":")
    else:
        host, port = hop, ""
    return host, int(port) if port.isdigit() else 0


def _address(host: str) -> str | None:
    try:
        return str(ip_address(host))
    except ValueError:
        return None


class ClientAddressMiddleware:
    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...] = ()) -> None:
        self.app = app
        self.trusted = trusted

    def _is_trusted(self, host: str) -> bool:
        try:
            address = ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def resolve(self, peer: tuple[str, int] | None, forwarded_for: str) -> tuple[str, int] | None:
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        if peer is not None and tuple(peer) in {_host_port(hop) for hop in hops}:
            return None  # already rewritten from the header by the server in front: the peer is unknown
        if peer is None or not self._is_trusted(peer[0]):
            return peer
        for hop in reversed(hops):
            address = _address(_host_port(hop)[0])
            if address is None:
                return peer  # a hop that is no address: believe nothing beyond the proxy itself
            if not self._is_trusted(address):
                return (address, 0)
        first = _address(_host_port(hops[0])[0])  # every hop a trusted proxy: the first is the client
        return (first, 0) if first else peer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            forwarded = [value for name, value in scope["headers"] if name == b"x-forwarded-for"]
            proto = [value for name, value in scope["headers"] if name == b"x-forwarded-proto"]
            peer = scope.get("client")
            if proto and peer is not None and self._is_trusted(peer[0]):
                scheme = proto[-1].decode("latin-1").split(",")[-1].strip().lower()
                if scheme in ("http", "https"):
                    scope["scheme"] = scheme
            if forwarded:
                scope["client"] = self.resolve(peer, b",".join(forwarded).decode("latin-1"))
        await self.app(scope, receive, send)
