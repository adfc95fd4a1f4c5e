"""Serving an app for real: uvicorn on a loopback port in a thread, with an httpx client."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn
from fastapi import FastAPI


class ServedApp:
    """``with ServedApp(app, port) as client:`` serves ``app`` until the block ends.

    The app's lifespan runs (startup before the first request, shutdown at the end), so
    services, workers and databases behave as in production.
    """

    def __init__(self, app: FastAPI, port: int, *, timeout: float = 60) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"
        self._timeout = timeout

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the app did not start on {self.url}")
            time.sleep(0.05)
        self.client = httpx.Client(base_url=self.url, timeout=self._timeout)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)
