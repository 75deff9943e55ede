"""How the app process answers over TCP.

Streamlit binds its listening socket itself, as ``socket.socket(family)``: the connections it accepts then report
protocol 0, and asyncio switches Nagle's algorithm off (``TCP_NODELAY``) only on sockets that report
``IPPROTO_TCP``. With Nagle on, a script run's last small messages (its elements, "finished") wait for the
browser to acknowledge the first ones, and browsers delay that acknowledgement: 40 ms on Linux, up to 200 ms on
Windows, added to every click. Measured with ``bench.stclient`` against a page of one checkbox served the same
way: 44 ms a click, of which the script run was under 1 ms; 6 ms once accepted connections have ``TCP_NODELAY``."""

from __future__ import annotations

import logging
import socket
from typing import Any

log = logging.getLogger(__name__)


def is_tcp_stream(sock: socket.socket) -> bool:
    return sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM


def answer_without_delay() -> None:
    """Every TCP connection this process's event loops accept or open gets ``TCP_NODELAY``, whatever protocol
    number its socket reports. Called once, in the server process, before it accepts anyone."""
    from asyncio import base_events

    original = getattr(base_events, "_set_nodelay", None)
    if original is None or getattr(original, "answers_without_delay", False):
        if original is None:
            log.warning("asyncio has no _set_nodelay: connections keep the operating system's default")
        return

    def set_nodelay(sock: Any) -> None:
        if is_tcp_stream(sock):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            original(sock)

    set_nodelay.answers_without_delay = True  # type: ignore[attr-defined]
    base_events._set_nodelay = set_nodelay  # type: ignore[attr-defined]
