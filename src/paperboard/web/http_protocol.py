"""uvicorn's HTTP/1.1 protocol (h11) with a deadline for every request's line and headers.

uvicorn 0.54 closes idle keep-alive connections (``timeout_keep_alive``) but gives a request
head that never finishes all the time in the world: a client that connects and sends
nothing, or sends a header a byte at a time (slow loris), holds its connection for ever, and
a few hundred of them hold them all. Its other knobs do not cover this: ``limit_concurrency``
refuses new clients once the slow ones are in, ``h11_max_incomplete_event_size`` bounds the
head's size, not its time. So ``serve`` runs this subclass: from a connection's start, and
from the first byte of each later request, the whole head must arrive within
``head_timeout`` seconds, or the connection is closed. Bodies are not timed here: their pace
also depends on how fast the app reads them, and their size is capped (web/session.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

DEFAULT_HEAD_TIMEOUT_S = 10.0


class HeadTimeoutProtocol(H11Protocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        head_timeout: float = DEFAULT_HEAD_TIMEOUT_S,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.head_timeout = head_timeout
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def _watch_head(self) -> None:
        """Arm the deadline while a head is awaited (h11's IDLE: no request line and headers
        yet), disarm it once they are in. Between requests the keep-alive timeout applies
        until the next request's first byte, which arms the deadline anew."""
        awaiting_head = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if not awaiting_head:
            self._cancel_head_deadline()
        elif self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.head_timeout, self._head_too_late)

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_late(self) -> None:
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            # As uvicorn closes an idle keep-alive connection: no response, just the close.
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()
