"""The OSC port's sockets: one, or on Linux several sharing the port so one sender cannot drown the rest.

UDP has no flow control: a local process that sends faster than Python can read fills a socket's
kernel buffer, and from then on the kernel drops every datagram that arrives, anyone's. With
``SO_REUSEPORT`` Linux hashes each sender (address and port) to one of several sockets bound to
the same port, so a flood fills only its own socket's buffer; the server reads the sockets in
turns. Elsewhere (macOS and Windows do not spread unicast datagrams) one socket is opened.

Linux tells an unconnected UDP socket that a peer's port is closed (ICMP port unreachable) only
when it asked (``IP_RECVERR``); then the next ``recvfrom`` or ``sendto`` on it fails once with
``ConnectionRefusedError`` and :func:`unreachable_peers` reads which addresses were refused. With
``SO_REUSEPORT`` the kernel hands the report to any socket of the group, so every socket asks;
the bridge drops subscribers whose port has closed.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import struct
import sys

from soundalike.engine.errors import UserError

SOCKET_BUFFER = 4 * 2**20
SHARED_SOCKETS = 16  # on Linux
_RECVERR = {socket.AF_INET: (socket.IPPROTO_IP, 11), socket.AF_INET6: (socket.IPPROTO_IPV6, 25)}  # <linux/in.h>
Peer = tuple[str, int]


def open_sockets(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to ``host:port`` (port 0: a free one); UserError when the port is taken."""
    first = _bind(_new_socket(host), host, port)  # plain bind first: a taken port fails here
    if not _can_share():
        return [first]
    port = first.getsockname()[1]
    first.close()  # then the shared group on the same port
    sockets: list[socket.socket] = []
    try:
        for _ in range(SHARED_SOCKETS):
            sock = _new_socket(host)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sockets.append(_bind(sock, host, port))
    except UserError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _can_share() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _new_socket(host: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6 and ipaddress.ip_address(host.split("%")[0]).is_unspecified:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # "::" answers IPv4 clients too
    for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, SOCKET_BUFFER)
        except OSError:
            pass  # the system's default buffer still works, bursts just overflow sooner
    return sock


def _bind(sock: socket.socket, host: str, port: int) -> socket.socket:
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise UserError(
            f"cannot open the OSC port {host}:{port} ({e.strerror or e}); is soundalike already "
            "running? Set osc_port in [bridge] to use another"
        ) from e
    sock.setblocking(False)
    return sock


def report_unreachable(sock: socket.socket) -> bool:
    """Ask Linux to report peers whose port is closed (see the module notes); False where it cannot."""
    if not sys.platform.startswith("linux") or not hasattr(socket, "MSG_ERRQUEUE"):
        return False
    found = _RECVERR.get(sock.family)
    if found is None:
        return False
    try:
        sock.setsockopt(found[0], found[1], 1)
    except OSError:
        return False
    return True


def unreachable_peers(sock: socket.socket, limit: int = 64) -> list[Peer]:
    """Addresses the kernel reported as refusing (port unreachable) since the last call, oldest first."""
    peers: list[Peer] = []
    for _ in range(limit):
        try:
            _, ancillary, _, address = sock.recvmsg(1, 512, socket.MSG_ERRQUEUE)
        except OSError:  # BlockingIOError: nothing (more) reported
            break
        refused = any(
            len(data) >= 4 and struct.unpack_from("=I", data)[0] == errno.ECONNREFUSED for _, _, data in ancillary
        )
        if refused and isinstance(address, tuple):
            peers.append((address[0], address[1]))
    return peers
