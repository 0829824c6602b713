"""Wake-on-LAN: the magic packet, sent with the `wakeonlan` package.

Only ever sent to the node's configured broadcast address and port (the
caller checks there is one); the packet gets no answer, so a wake is
confirmed by the node's agent answering its health check afterwards.
"""

import wakeonlan


def magic_packet(mac_address: str) -> bytes:
    """6 x 0xFF then the MAC 16 times: what a sleeping NIC listens for."""
    mac = bytes.fromhex(mac_address.replace(":", "").replace("-", ""))
    if len(mac) != 6:
        raise ValueError(f"not a MAC address: {mac_address}")
    return b"\xff" * 6 + mac * 16


def wake(mac_address: str, broadcast_address: str, port: int) -> None:
    """Send one magic packet for `mac_address` to `broadcast_address:port` over UDP."""
    magic_packet(mac_address)  # validates before anything is sent
    wakeonlan.wake(mac_address, host=broadcast_address, port=port)
