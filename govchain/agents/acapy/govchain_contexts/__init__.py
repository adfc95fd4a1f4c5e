"""ACA-Py plugin (loaded inside ``aca-py`` from ``.venv-agents``; imports nothing of
govchain): resolve ``https://contexts.govchain.de/`` from govchain's loopback server.

ACA-Py 1.7's JSON-LD ``DocumentLoader`` answers a fixed set of contexts from its static
cache and fetches every other http(s) URL live; it has no setting to map URLs. The
agents have no internet, so this plugin wraps ``StaticCacheJsonLdDownloader.load``:
URLs under the govchain prefix are fetched from ``GOVCHAIN_CONTEXTS_URL`` (the
``ContextServer``), everything else goes on as before. Started with
``--plugin govchain_contexts`` and this folder on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
from typing import Any

PREFIX = "https://contexts.govchain.de/"
_PATCHED = "_govchain_contexts_patched"


def _install() -> None:
    from acapy_agent.vc.ld_proofs import document_downloader  # type: ignore[import-not-found]  # noqa: PLC0415

    downloader = document_downloader.StaticCacheJsonLdDownloader
    if getattr(downloader, _PATCHED, False):
        return
    original = downloader.load
    base = os.environ.get("GOVCHAIN_CONTEXTS_URL", "").rstrip("/") + "/"

    def load(self: Any, url: str, options: dict[str, Any] | None = None) -> Any:
        if url.startswith(PREFIX) and base != "/":
            cached = self.cache.get(url)
            if cached is None:
                document = self._live_load(base + url[len(PREFIX) :], options)
                document["documentUrl"] = url
                self.cache[url] = document
                cached = document
            return cached
        return original(self, url, options)

    downloader.load = load
    setattr(downloader, _PATCHED, True)


async def setup(context: Any) -> None:
    """ACA-Py plugin entry point."""
    del context
    _install()
