"""The wallet's side of DIDComm (Aries): its own sub-wallet in the multitenant holder
agent, out-of-band invitations, and the admin calls a consenting holder needs.

The holder agent (``govchain.agents``) answers much on its own so that govchain's
flows run without a controller. A citizen's wallet must not: its sub-wallet is created
with ``ACAPY_AUTO_RESPOND_CREDENTIAL_OFFER`` off, so an offer waits for consent;
the wallet then sends the credential request (binding a fresh did:key of the
sub-wallet late, as ``credentialSubject.id``) or a problem report. Presentation
requests wait likewise: ``ACAPY_AUTO_RESPOND_PRESENTATION_REQUEST`` is off for the
sub-wallet (a per-wallet flag that govchain's ACA-Py plugin adds; ACA-Py 1.7 alone
knows it only for the whole agent).

``WalletAgentClient`` adds the calls ``AgentAdminClient`` does not have yet; they
belong in ``govchain.agents.admin`` and are kept here until that package takes them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import json
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from pydantic import SecretStr

from govchain.agents.admin import DIDEXCHANGE_1_1, AgentAdminClient
from govchain.agents.schemas import CredentialExchange, PresentationExchange, SubWallet
from govchain.citizen_wallet._links import DIDCOMM_SCHEME, INVITATION_PARAMS
from govchain.citizen_wallet.errors import InvitationError

__all__ = [
    "MAX_INVITATION_CHARS",
    "HolderAgent",
    "Invitation",
    "WalletAgentClient",
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


class WalletAgentClient(AgentAdminClient):
    """``AgentAdminClient`` plus the calls a consenting holder sub-wallet needs.

    To move into ``govchain.agents.admin`` (read-only for the wallet while it is built).
    """

    async def create_consenting_subwallet(
        self, label: str, wallet_name: str, wallet_key: SecretStr
    ) -> SubWallet:
        """A managed askar sub-wallet whose credential offers wait for the holder."""
        body = {
            "label": label,
            "wallet_name": wallet_name,
            "wallet_key": wallet_key.get_secret_value(),
            "wallet_type": "askar",
            "key_management_mode": "managed",
            "extra_settings": {
                "ACAPY_AUTO_RESPOND_CREDENTIAL_OFFER": False,
                # added to ACA-Py's per-wallet flags by govchain's plugin
                "ACAPY_AUTO_RESPOND_PRESENTATION_REQUEST": False,
            },
        }
        data = await self._call("POST", "/multitenancy/wallet", json=body)
        return SubWallet(wallet_id=data["wallet_id"], token=SecretStr(data["token"]), label=label)

    async def remove_subwallet(self, wallet_id: str, wallet_key: SecretStr) -> None:
        """Remove a sub-wallet and everything in it."""
        await self._call(
            "POST",
            f"/multitenancy/wallet/{wallet_id}/remove",
            json={"wallet_key": wallet_key.get_secret_value()},
        )

    async def answers_requests_itself(self) -> bool:
        """Whether this sub-wallet presents on its own: the agent's
        ``--auto-respond-presentation-request`` unless the sub-wallet switched it off
        (``GET /settings`` shows the agent's and the sub-wallet's settings merged)."""
        data = await self._call("GET", "/settings")
        settings = data.get("settings", {}) if isinstance(data, dict) else {}
        return bool(settings.get("debug.auto_respond_presentation_request"))

    async def credential_records(self, state: str | None = None) -> list[dict[str, Any]]:
        """The sub-wallet's issue-credential 2.0 records with their ld_proof details."""
        params = {"state": state} if state else None
        data = await self._call("GET", "/issue-credential-2.0/records", params=params)
        return [dict(r) for r in data["results"]]

    async def credential_record(self, cred_ex_id: str) -> dict[str, Any]:
        """One issue-credential 2.0 record (``cred_ex_record`` and format details)."""
        return dict(await self._call("GET", f"/issue-credential-2.0/records/{cred_ex_id}"))

    async def send_credential_request(self, cred_ex_id: str, holder_did: str) -> CredentialExchange:
        """Accept an offer: request the credential, bound to ``holder_did`` when the offer
        leaves ``credentialSubject.id`` open."""
        data = await self._call(
            "POST",
            f"/issue-credential-2.0/records/{cred_ex_id}/send-request",
            json={"holder_did": holder_did, "auto_remove": False},
        )
        return CredentialExchange.model_validate(data)

    async def own_dids(self) -> set[str]:
        """The DIDs whose keys the sub-wallet holds."""
        data = await self._call("GET", "/wallet/did")
        return {str(r["did"]) for r in data["results"]}

    async def presentation_records(self, state: str | None = None) -> list[PresentationExchange]:
        """The sub-wallet's present-proof 2.0 records, optionally in one state."""
        params = {"state": state} if state else None
        data = await self._call("GET", "/present-proof-2.0/records", params=params)
        return [PresentationExchange.model_validate(r) for r in data["results"]]

    async def matching_credentials(self, pres_ex_id: str) -> list[dict[str, Any]]:
        """The stored W3C credentials that fit a presentation request."""
        data = await self._call("GET", f"/present-proof-2.0/records/{pres_ex_id}/credentials")
        return [dict(r) for r in data] if isinstance(data, list) else []

    async def send_dif_presentation(
        self, pres_ex_id: str, record_ids: Mapping[str, list[str]]
    ) -> PresentationExchange:
        """Answer a DIF presentation request with exactly the given stored credentials."""
        data = await self._call(
            "POST",
            f"/present-proof-2.0/records/{pres_ex_id}/send-presentation",
            json={"dif": {"record_ids": dict(record_ids)}, "auto_remove": False},
        )
        return PresentationExchange.model_validate(data)

    async def delete_w3c_credential(self, record_id: str) -> None:
        """Remove a stored W3C credential."""
        await self._call("DELETE", f"/credential/w3c/{record_id}")


def run_sync[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from the wallet's synchronous code (FastAPI's worker threads, the
    CLI); in a thread that already runs an event loop, on a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
