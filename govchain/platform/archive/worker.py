"""The archive worker: a thread that runs the archive's schedule (time stamps, releases,
evidence renewal, fixity checks) every ``interval`` seconds."""

from __future__ import annotations

import logging
import threading

from govchain.errors import GovchainError
from govchain.platform.archive.service import ArchiveService

__all__ = ["ArchiveWorker"]

log = logging.getLogger(__name__)


class ArchiveWorker:
    """Runs ``service.run_due`` every ``interval`` seconds until stopped."""

    def __init__(self, service: ArchiveService, *, interval: float) -> None:
        self.service = service
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="archive-worker", daemon=True)
        self.last_error: str | None = None

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after the round in progress, if any."""
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.service.run_due()
                self.last_error = None
            except GovchainError as err:
                # The chain may be away or refuse; the next round tries again.
                self.last_error = err.message
                log.warning("archive round failed, will retry: %s", err.message)
            except Exception as err:
                # A bug must not silently end the schedule (fixity checks, releases).
                self.last_error = repr(err)
                log.exception("archive round failed unexpectedly, will retry")
            self._stop.wait(self._interval)
