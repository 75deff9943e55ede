"""The app process switches Nagle's algorithm off on the connections it accepts, even though Streamlit binds its
listening socket without naming the protocol (so asyncio would leave it on, and every click's reply would wait for
the browser's delayed acknowledgement)."""

from __future__ import annotations

import asyncio
import socket
from asyncio import base_events

from app.network import answer_without_delay


def _accepted_nodelay() -> int:
    async def main() -> int:
        listening = socket.socket(family=socket.AF_INET)  # as Streamlit binds it: protocol 0
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        listening.setblocking(False)
        seen: dict[str, int] = {}

        class Server(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                accepted = transport.get_extra_info("socket")
                seen["nodelay"] = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

        server = await asyncio.get_running_loop().create_server(Server, sock=listening)
        _reader, writer = await asyncio.open_connection(*listening.getsockname())
        for _ in range(100):
            if "nodelay" in seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()
        return seen["nodelay"]

    return asyncio.run(main())


def test_connections_accepted_on_a_socket_bound_as_streamlit_binds_it_send_at_once():
    original = base_events._set_nodelay  # type: ignore[attr-defined]
    try:
        assert _accepted_nodelay() == 0  # asyncio alone leaves Nagle on here: the defect this works around
        answer_without_delay()
        answer_without_delay()  # once is enough; twice changes nothing
        assert _accepted_nodelay() != 0
    finally:
        base_events._set_nodelay = original  # type: ignore[attr-defined]
