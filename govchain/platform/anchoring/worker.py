"""The anchoring worker: a thread that anchors every backlog periodically, or at once when
a namespace's backlog fills a batch, and keeps trying while the chain is away."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from govchain.chain.errors import ChainError
from govchain.platform.anchoring.service import AnchorChain, AnchoringService

__all__ = ["AnchoringWorker"]

log = logging.getLogger(__name__)


class AnchoringWorker:
    """Runs ``service.anchor_all`` every ``interval`` seconds (or sooner, when nudged)."""

    def __init__(
        self,
        service: AnchoringService,
        connect: Callable[[], AnchorChain],
        *,
        interval: float,
        batch_size: int,
    ) -> None:
        self.service = service
        self._connect = connect
        self._interval = interval
        self._batch_size = batch_size
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="anchoring-worker", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after the anchor in progress, if any."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=60)

    def nudge(self) -> None:
        """Anchor soon if a namespace's backlog fills a batch."""
        if any(s.backlog >= self._batch_size for s in self.service.status()):
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.service.chain is None:
                try:
                    self.service.attach(self._connect())
                except ChainError as err:
                    self.service.last_error = err.message
            if self.service.chain is not None:
                self.service.anchor_all()
            self._wake.wait(self._interval)
            self._wake.clear()
