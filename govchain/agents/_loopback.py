"""The small HTTP servers govchain runs next to the agents on loopback (the JSON-LD
contexts and status lists, the webhook receiver): threads of this process."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["serve_in_thread", "shut_down"]


def serve_in_thread(
    host: str, port: int, handler: type[BaseHTTPRequestHandler], name: str
) -> ThreadingHTTPServer:
    """Listen on ``host:port`` and answer with ``handler`` in daemon threads."""
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server


def shut_down(server: ThreadingHTTPServer | None) -> None:
    """Stop serving and close the socket (nothing to do for None)."""
    if server is not None:
        server.shutdown()
        server.server_close()
