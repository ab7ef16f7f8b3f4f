"""Who may talk to the bridge: loopback only, unless the config opens it to an allow-list."""

from __future__ import annotations

import ipaddress
import logging

from soundalike.engine.config import BridgeSettings
from soundalike.engine.errors import UserError

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    try:
        return _address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address, with IPv4 clients of an IPv6 socket ("::ffff:127.0.0.1") read as the IPv4 they are."""
    address = ipaddress.ip_address(host.split("%")[0])
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


class AccessPolicy:
    """Loopback senders are always answered; others only when the server is opened and allowed."""

    def __init__(self, settings: BridgeSettings):
        self.opened = not is_loopback(settings.osc_host)
        try:
            self.networks = [ipaddress.ip_network(entry, strict=False) for entry in settings.allow]
        except ValueError as e:
            raise UserError(f'[bridge] allow: {e}; use addresses like "192.168.1.20" or "192.168.1.0/24"') from e
        if self.opened:
            shown = ", ".join(settings.allow) or "nobody beyond this machine"
            log.warning("OSC server open on %s: answering %s", settings.osc_host, shown)

    def allows(self, host: str) -> bool:
        try:
            address = _address(host)
        except ValueError:
            return False
        if address.is_loopback:
            return True
        return self.opened and any(address in network for network in self.networks)
