"""ACA-Py plugin (loaded inside ``aca-py`` from ``.venv-agents``; imports nothing of
govchain): resolve ``https://contexts.govchain.de/`` from govchain's loopback server.

ACA-Py 1.7's JSON-LD ``DocumentLoader`` answers a fixed set of contexts from its static
cache and fetches every other http(s) URL live; it has no setting to map URLs. The
agents have no internet, so this plugin wraps ``StaticCacheJsonLdDownloader.load``:
URLs under the govchain prefix are fetched from ``GOVCHAIN_CONTEXTS_URL`` (the
``ContextServer``), everything else goes on as before. Started with
``--plugin govchain_contexts`` and this folder on ``PYTHONPATH``.

It also makes present-proof 2.0 (DIF PE) work with VCDM 2.0 credentials: ACA-Py 1.7's
``create_presentation`` always wraps credentials in a VCDM 1.1 presentation
(``@context`` credentials/v1), and expanding a credentials/v2 credential inside it fails
("tried to redefine a protected term", both contexts are ``@protected``), so the holder
never answers. The wrapper uses credentials/v2 (plus the Ed25519Signature2020 suite
context, whose proof terms v2 lacks) for the presentation when every credential is
VCDM 2.0 (ACA-Py's presentation model accepts either).

And it lets a sub-wallet of the multitenant holder switch off answering presentation
requests on its own: ACA-Py 1.7 takes ``--auto-respond-presentation-request`` only for
the whole agent, while ``extra_settings`` of a sub-wallet may set just the flags in its
lifecycle maps. The plugin adds ``ACAPY_AUTO_RESPOND_PRESENTATION_REQUEST`` (and the
``auto-respond-presentation-request`` argument name) to those maps, so a citizen's
sub-wallet waits for consent while the agent's other sub-wallets keep answering.
"""

from __future__ import annotations

import json
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


V1 = "https://www.w3.org/2018/credentials/v1"
V2 = "https://www.w3.org/ns/credentials/v2"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"


def _ed25519_2018_terms() -> dict[str, Any]:
    """v1's ``Ed25519Signature2018`` term (with its scoped proof terms), inline."""
    from acapy_agent.vc.ld_proofs.document_downloader import (  # type: ignore[import-not-found]  # noqa: PLC0415
        StaticCacheJsonLdDownloader,
    )

    document = StaticCacheJsonLdDownloader().load(V1)["document"]
    v1 = (json.loads(document) if isinstance(document, str) else document)["@context"]
    return {"@version": 1.1, "Ed25519Signature2018": v1["Ed25519Signature2018"]}


def _install_v2_presentations() -> None:
    from acapy_agent.protocols.present_proof.dif import pres_exch_handler  # type: ignore[import-not-found]  # noqa: PLC0415
    from acapy_agent.vc.vc_ld import prove  # type: ignore[import-not-found]  # noqa: PLC0415

    original = prove.create_presentation
    if getattr(original, _PATCHED, False):
        return

    async def create_presentation(
        *, credentials: list[dict[str, Any]], presentation_id: str | None = None
    ) -> dict[str, Any]:
        presentation: dict[str, Any] = await original(
            credentials=credentials, presentation_id=presentation_id
        )
        contexts = [c.get("@context") or [None] for c in credentials]
        if credentials and all(c[0] == V2 for c in contexts if isinstance(c, list)):
            # v2 has no terms for the proof: the DIF handler signs with
            # Ed25519Signature2018 (whose terms v1 defines) unless asked otherwise
            presentation["@context"] = [V2, ED25519_2020, _ed25519_2018_terms()]
        return presentation

    setattr(create_presentation, _PATCHED, True)
    prove.create_presentation = create_presentation
    pres_exch_handler.create_presentation = create_presentation


PRESENTATION_FLAG = "debug.auto_respond_presentation_request"


def _install_presentation_consent() -> None:
    from acapy_agent.multitenant.admin import routes  # type: ignore[import-not-found]  # noqa: PLC0415

    routes.ACAPY_LIFECYCLE_CONFIG_FLAG_MAP["ACAPY_AUTO_RESPOND_PRESENTATION_REQUEST"] = (
        PRESENTATION_FLAG
    )
    routes.ACAPY_LIFECYCLE_CONFIG_FLAG_ARGS_MAP["auto-respond-presentation-request"] = (
        PRESENTATION_FLAG
    )


async def setup(context: Any) -> None:
    """ACA-Py plugin entry point."""
    del context
    _install()
    _install_v2_presentations()
    _install_presentation_consent()
