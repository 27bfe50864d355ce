"""The app on a network: a warning when it is reachable from other machines, and a Host/Origin
allow-list in front of the server.

Why an allow-list: a page on any web site a teacher visits can make the browser send requests to
`127.0.0.1:8765` under a name that site controls (DNS rebinding), or open a websocket to it from
its own origin. Requests whose `Host` header, or whose `Origin` header when the browser sends
one, names a host that is not this machine's are answered 403 (HTTP) or refused (websocket)
before the app sees them. Nothing here imports Solara.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """Does binding to `host` keep the app on this machine? ('0.0.0.0' and '::' do not.)"""
    if host.lower() in LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def network_warning(host: str, port: int) -> str | None:
    """The warning `viz` prints when `host` is not a loopback address, else None."""
    if is_loopback(host):
        return None
    return (f"warning: listening on {host}:{port}, the app is reachable from the network: anyone who can "
            "reach this machine can open it. Use it on a classroom network you trust; the default "
            "--host 127.0.0.1 keeps it on this machine.")


def local_names(host: str) -> set[str]:
    """The names under which browsers may reach the app bound to `host`: the loopback names,
    `host` itself, and, when bound to every interface ('0.0.0.0', '::'), this machine's name
    and addresses (as a student's browser types them)."""
    names = {*LOOPBACK_NAMES, host.lower().strip("[]")}
    if host in ("0.0.0.0", "::", ""):
        hostname = socket.gethostname()
        names |= {hostname.lower(), socket.getfqdn().lower()}
        with contextlib.suppress(OSError):
            names |= set(socket.gethostbyname_ex(hostname)[2])
        names |= _outgoing_addresses()
    return names


def lan_address() -> str:
    """This machine's address on the local network as other machines reach it (its default
    route's), or 127.0.0.1 when it has none (offline, no network at all)."""
    found = sorted(a for a in _outgoing_addresses() if ":" not in a)
    return found[0] if found else "127.0.0.1"


def _outgoing_addresses() -> set[str]:
    """This machine's address on its default route (a UDP socket is connected, nothing is sent)."""
    found = set()
    for family, probe in ((socket.AF_INET, ("192.0.2.1", 9)), (socket.AF_INET6, ("2001:db8::1", 9))):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect(probe)
                found.add(sock.getsockname()[0])
        except OSError:
            continue
    return found


def _host_of(value: str) -> str:
    """'example.org:8765' -> 'example.org'; '[::1]:8765' -> '::1'; 'http://a:1' -> 'a'."""
    if "://" in value:
        return (urlsplit(value).hostname or "").lower()
    return (urlsplit(f"//{value}").hostname or "").lower()


class HostGuard:
    """ASGI middleware: HTTP requests and websockets pass to `app` only when their `Host` (and
    `Origin`, when sent) name one of `allowed` (host names or addresses, without port)."""

    def __init__(self, app, allowed: set[str]):
        self.app = app
        self.allowed = {a.lower() for a in allowed}

    def permits(self, headers: dict[str, str]) -> bool:
        host = headers.get("host")
        if host is None or _host_of(host) not in self.allowed:
            return False
        origin = headers.get("origin")
        return origin is None or (origin != "null" and _host_of(origin) in self.allowed)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.permits(headers):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await receive()  # the websocket.connect message
            await send({"type": "websocket.close", "code": 1008})
            return None
        body = b"This address is not allowed to reach the Corridor app (Host or Origin not on its allow-list).\n"
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return None
