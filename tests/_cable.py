"""A network cable the tests can pull: a loopback TCP relay in front of a real server.

A service is pointed at the relay's URL; :meth:`Cable.pull` then closes every open
connection and stops listening, so the service meets exactly what a vanished node looks
like (connection reset, then connection refused), with no change to the service itself.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Self

__all__ = ["Cable"]

_CHUNK = 65_536


class Cable:
    """Relays 127.0.0.1:<port> to ``target_host:target_port`` until pulled."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._pulled = False
        threading.Thread(target=self._accept, name="cable-accept", daemon=True).start()

    @property
    def url(self) -> str:
        """Where clients connect instead of the target."""
        return f"http://127.0.0.1:{self.port}"

    def _keep(self, *sockets: socket.socket) -> bool:
        with self._lock:
            if self._pulled:
                return False
            self._sockets.update(sockets)
            return True

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # pulled
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            if not self._keep(client, upstream):
                client.close()
                upstream.close()
                return
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(_CHUNK):
                sink.sendall(data)
        except OSError:
            pass  # the other direction or pull() closed the sockets
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):  # already closed
                    s.shutdown(socket.SHUT_RDWR)

    def pull(self) -> None:
        """Cut every connection and refuse new ones."""
        with self._lock:
            self._pulled = True
            sockets, self._sockets = self._sockets, set()
        self._listener.close()
        for s in sockets:
            with contextlib.suppress(OSError):  # already gone
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.pull()
