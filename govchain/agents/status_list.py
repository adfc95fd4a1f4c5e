"""The W3C Bitstring Status List credential of an on-chain status list, signed and served.

A JSON-LD credential's ``credentialStatus`` names
``https://status.govchain.de/v1/<chain id>/<registry>/<list id>/w3c`` (the same on-chain
entry as the record's SD-JWT VC). ``StatusListPublisher`` builds that credential from
chain state (``bitstring_status_list_credential``: VCDM 2.0,
``BitstringStatusListCredential``, ``statusPurpose: message``, 2-bit entries,
``encodedList`` = multibase base64url of the GZIP-compressed bitstring) and has the
issuer agent sign it with a Data Integrity proof (Ed25519Signature2020) by the issuer's
did:key, the same DID that signs the credentials and that the TrustRegistry lists, so a
verifier checks the list's proof and issuer like any credential's.

It is served by the agents' loopback server (``ContextServer``, next to the JSON-LD
contexts) at ``http://<agents_host>:<agents_contexts_port>/status/v1/...``: the loopback
stand-in for ``https://status.govchain.de/v1/...``. It sits with the agents, not in the
platform app, because signing needs the issuer agent and the platform must not hold
issuer keys. A signed list is re-used while the chain's list is unchanged and younger
than ``ttl``; a change on chain is served at the next request.

Only this issuer's own lists are signed: a list whose owner on chain (the StatusRegistry's
``owner``, the office's admin account that created it) is not the ``owner`` the publisher
was made for is answered 404, so the issuer's key never vouches for another office's
list. At most ``max_lists`` signed lists are kept (least recently used goes first): the
URL chooses the list, and a request must never be able to fill memory.

govchain's own verifiers do not fetch it: they read status from their own node
(``JsonLdVerifier``), so the issuer never learns where a credential is shown.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from govchain.agents.admin import AgentAdminClient
from govchain.agents.errors import AgentError
from govchain.chain.types import Did
from govchain.credentials.errors import StatusError, StatusReferenceError
from govchain.credentials.status import (
    STATUS_URI_PREFIX,
    StatusListUri,
    StatusSource,
    bitstring_status_list_credential,
)

__all__ = ["STATUS_PATH_PREFIX", "StatusListPublisher"]

log = logging.getLogger(__name__)

STATUS_PATH_PREFIX: Final = "/status/v1/"
"""Where the loopback server answers for ``https://status.govchain.de/v1/``."""


@dataclass(frozen=True)
class _Signed:
    digest: bytes
    document: dict[str, Any]
    signed_at: float


class StatusListPublisher:
    """Signs the Bitstring Status List credentials of one issuer's on-chain lists.

    Args:
        source: where the lists are read (the chain; ``ChainStatusSource``).
        signer: makes an admin client of the issuer agent (one per call: the server
            answers on its own threads and event loops).
        issuer_did: the issuer agent's did:key that signs (the credentials' issuer).
        owner: the account that owns this issuer's lists on chain (the office's admin
            account registered in the TrustRegistry); other lists are refused.
        valid_for: seconds from signing to ``validUntil``.
        ttl: seconds a signed list is served before it is signed again (also the list's
            ``ttl`` hint to relying parties, in milliseconds).
        clock: unix seconds (tests and the chain's time).
        max_lists: how many signed lists are kept for re-use.
    """

    def __init__(
        self,
        source: StatusSource,
        signer: Callable[[], AgentAdminClient],
        issuer_did: str,
        *,
        owner: str,
        valid_for: int = 86_400,
        ttl: int = 300,
        clock: Callable[[], float] = time.time,
        max_lists: int = 64,
    ) -> None:
        if max_lists < 1:
            raise ValueError("max_lists must be at least 1")
        self.source = source
        self.issuer_did = issuer_did
        self.owner = owner
        self._signer = signer
        self._valid_for = valid_for
        self._ttl = ttl
        self._clock = clock
        self._max_lists = max_lists
        self._signed: OrderedDict[str, _Signed] = OrderedDict()
        self._lock = threading.Lock()

    def _check_owner(self, uri: str) -> None:
        """StatusReferenceError (404) unless the list belongs to this issuer on chain."""
        record = self.source.list_record(uri)
        if str(record.owner).lower() != self.owner.lower():
            raise StatusReferenceError(
                uri,
                "the list belongs to another issuer; this service signs only its own lists",
                "die Liste gehört einer anderen ausstellenden Stelle; hier werden nur eigene "
                "Listen signiert",
            )

    async def credential(self, uri: str) -> dict[str, Any]:
        """The signed list credential of the list `uri` (its status list URI).

        StatusReferenceError for a URI that names no list or another issuer's list,
        StatusUnavailableError when the chain cannot be read, AgentError when the issuer
        agent cannot sign.
        """
        self._check_owner(uri)
        packed = self.source.packed_list(uri)
        digest = hashlib.sha256(packed).digest()
        now = self._clock()
        with self._lock:
            cached = self._signed.get(uri)
            if cached is not None:
                self._signed.move_to_end(uri)
        if cached is not None and cached.digest == digest and now - cached.signed_at < self._ttl:
            return cached.document
        unsigned = bitstring_status_list_credential(
            packed,
            uri=uri,
            issuer=Did(self.issuer_did),
            valid_from=int(now),
            valid_until=int(now) + self._valid_for,
            ttl_ms=self._ttl * 1000,
        )
        async with self._signer() as issuer:
            document = await issuer.issue_ld_credential(unsigned)
        with self._lock:
            self._signed[uri] = _Signed(digest, document, now)
            self._signed.move_to_end(uri)
            while len(self._signed) > self._max_lists:
                self._signed.popitem(last=False)
        return document

    def serve(self, path: str) -> tuple[int, bytes]:
        """Answer ``GET <path>`` for the loopback server: (HTTP status, JSON body).

        ``/status/v1/<chain>/<registry>/<list>/w3c`` gives the signed credential.
        """
        if not path.startswith(STATUS_PATH_PREFIX) or not path.endswith("/w3c"):
            return 404, b'{"error": "not a status list"}'
        uri = STATUS_URI_PREFIX + path[len(STATUS_PATH_PREFIX) :].removesuffix("/w3c")
        try:
            StatusListUri.parse(uri)
            document = asyncio.run(self.credential(uri))
        except StatusError as err:
            code = 404 if isinstance(err, StatusReferenceError) else 503
            return code, json.dumps({"error": err.message, "error_de": err.message_de}).encode()
        except AgentError as err:
            log.warning("cannot sign the status list %s: %s", uri, err)
            return 503, json.dumps({"error": err.message, "error_de": err.message_de}).encode()
        return 200, json.dumps(document).encode()
