"""The wallet's side of DIDComm (Aries): its own sub-wallet in the multitenant holder
agent and out-of-band invitations.

The holder agent (``govchain.agents``) answers much on its own so that govchain's
flows run without a controller. A citizen's wallet must not: its sub-wallet is created
with ``ACAPY_AUTO_RESPOND_CREDENTIAL_OFFER`` off, so an offer waits for consent;
the wallet then sends the credential request (binding a fresh did:key of the
sub-wallet late, as ``credentialSubject.id``) or a problem report. Presentation
requests wait likewise: ``ACAPY_AUTO_RESPOND_PRESENTATION_REQUEST`` is off for the
sub-wallet (a per-wallet flag that govchain's ACA-Py plugin adds; ACA-Py 1.7 alone
knows it only for the whole agent). The admin calls are ``AgentAdminClient``'s
(``govchain.agents.admin``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import json
from collections.abc import Coroutine
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from pydantic import SecretStr

from govchain.agents.admin import DIDEXCHANGE_1_1
from govchain.citizen_wallet._links import DIDCOMM_SCHEME, INVITATION_PARAMS
from govchain.citizen_wallet.errors import InvitationError

__all__ = [
    "AUTO_PRESENTS_SETTING",
    "CONSENTING_SETTINGS",
    "MAX_INVITATION_CHARS",
    "HolderAgent",
    "Invitation",
    "parse_invitation",
    "run_sync",
]

MAX_INVITATION_CHARS: Final = 16_000
"""A pasted or scanned invitation longer than this is refused unread."""
_OOB_TYPES: Final = frozenset(
    {
        "https://didcomm.org/out-of-band/1.0/invitation",
        "https://didcomm.org/out-of-band/1.1/invitation",
        "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/out-of-band/1.0/invitation",
        "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/out-of-band/1.1/invitation",
    }
)
_HANDSHAKES: Final = frozenset(
    {
        DIDEXCHANGE_1_1,
        "https://didcomm.org/didexchange/1.0",
        "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/didexchange/1.0",
    }
)
OFFER_RECEIVED: Final = "offer-received"
REQUEST_RECEIVED: Final = "request-received"
CONSENTING_SETTINGS: Final = MappingProxyType(
    {
        "ACAPY_AUTO_RESPOND_CREDENTIAL_OFFER": False,
        # added to ACA-Py's per-wallet flags by govchain's plugin
        "ACAPY_AUTO_RESPOND_PRESENTATION_REQUEST": False,
    }
)
"""The citizen's sub-wallet's ``extra_settings``: offers and requests wait for consent."""
AUTO_PRESENTS_SETTING: Final = "debug.auto_respond_presentation_request"
"""The setting (``GET /settings``, merged) that says the agent presents without asking."""


@dataclass(frozen=True)
class HolderAgent:
    """Where the multitenant holder agent's admin API is (from ``AgentSettings``); the
    API key never reaches a browser."""

    admin_url: str
    api_key: SecretStr
    timeout: float = 30.0


@dataclass(frozen=True)
class Invitation:
    """An out-of-band invitation as read from a link (nothing accepted yet)."""

    message: dict[str, Any]
    label: str | None
    endpoints: tuple[str, ...]
    dids: tuple[str, ...]

    @property
    def parties(self) -> tuple[str, ...]:
        """What identifies the inviting agent: its service endpoints and DIDs."""
        return self.endpoints + self.dids


def _decode_b64_json(value: str) -> Any:
    text = value.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        try:
            raw = base64.b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError) as err:
            raise InvitationError(
                "its oob parameter is not base64", "der oob-Parameter ist kein Base64"
            ) from err
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvitationError(
            "its oob parameter is not JSON", "der oob-Parameter enthält kein JSON"
        ) from err


def parse_invitation(text: str) -> Invitation:
    """Read an out-of-band invitation from ``didcomm://...?oob=``, an http(s) URL with
    ``oob=`` / ``c_i=``, or the invitation's JSON itself.

    Raises:
        InvitationError: not an invitation, a legacy (RFC 0160) one, one without DID
            exchange, or one with attached requests (which would act before consent).
    """
    stripped = text.strip()
    if not stripped:
        raise InvitationError("the text is empty", "der Text ist leer")
    if len(stripped) > MAX_INVITATION_CHARS:
        raise InvitationError(
            f"it is longer than {MAX_INVITATION_CHARS} characters",
            f"sie ist länger als {MAX_INVITATION_CHARS} Zeichen",
        )
    message: Any
    if stripped.startswith("{"):
        try:
            message = json.loads(stripped)
        except ValueError as err:
            raise InvitationError("the JSON is malformed", "das JSON ist fehlerhaft") from err
    else:
        parts = urlsplit(stripped)
        if parts.scheme not in {DIDCOMM_SCHEME, "http", "https"}:
            raise InvitationError(
                f"{stripped[:40]!r} is no didcomm:// or http(s) link",
                f"{stripped[:40]!r} ist kein didcomm://- oder http(s)-Link",
            )
        params = parse_qs(parts.query)
        values = [params[name][0] for name in INVITATION_PARAMS if params.get(name)]
        if not values:
            raise InvitationError(
                "the link carries no oob parameter", "der Link trägt keinen oob-Parameter"
            )
        message = _decode_b64_json(values[0])
    return _checked(message)


def _checked(message: Any) -> Invitation:
    if not isinstance(message, dict):
        raise InvitationError("it is no JSON object", "sie ist kein JSON-Objekt")
    kind = message.get("@type")
    if isinstance(kind, str) and kind.endswith("connections/1.0/invitation"):
        raise InvitationError(
            "it is a legacy connections/1.0 invitation; ask for an out-of-band one",
            "sie ist eine veraltete connections/1.0-Einladung; bitte um eine "
            "Out-of-Band-Einladung bitten",
        )
    if kind not in _OOB_TYPES:
        raise InvitationError(
            f"its type {str(kind)[:60]!r} is no out-of-band invitation",
            f"ihr Typ {str(kind)[:60]!r} ist keine Out-of-Band-Einladung",
        )
    if message.get("requests~attach"):
        raise InvitationError(
            "it carries attached requests, which the wallet does not accept unseen",
            "sie enthält angehängte Anfragen, die die Brieftasche nicht ungesehen annimmt",
        )
    handshakes = message.get("handshake_protocols")
    if not isinstance(handshakes, list) or not _HANDSHAKES & set(map(str, handshakes)):
        raise InvitationError(
            "it offers no DID exchange connection", "sie bietet keine DID-Exchange-Verbindung"
        )
    services = message.get("services")
    if not isinstance(services, list) or not services:
        raise InvitationError("it names no service", "sie nennt keinen Dienst")
    endpoints: list[str] = []
    dids: list[str] = []
    for service in services:
        if isinstance(service, str) and service.startswith("did:"):
            dids.append(service)
        elif isinstance(service, dict) and isinstance(service.get("serviceEndpoint"), str):
            endpoints.append(str(service["serviceEndpoint"]).rstrip("/"))
            keys = service.get("recipientKeys")
            if not isinstance(keys, list) or not keys:
                raise InvitationError(
                    "a service has no recipient key", "ein Dienst hat keinen Empfängerschlüssel"
                )
        else:
            raise InvitationError(
                "a service is neither a DID nor an endpoint",
                "ein Dienst ist weder DID noch Adresse",
            )
    label = message.get("label")
    return Invitation(
        message=message,
        label=str(label)[:120] if isinstance(label, str) and label.strip() else None,
        endpoints=tuple(endpoints),
        dids=tuple(dids),
    )


def run_sync[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from the wallet's synchronous code (FastAPI's worker threads, the
    CLI); in a thread that already runs an event loop, on a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
