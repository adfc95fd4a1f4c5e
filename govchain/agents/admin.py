"""A typed async client for the ACA-Py admin API calls govchain uses.

Each method is one admin call with pydantic models in and out; transport problems
become ``AgentUnavailableError``, error answers ``AgentRequestError`` (``AgentAuthError``
for a refused key or token). The admin API key is sent as ``X-API-KEY`` and is never
logged; a sub-wallet client also sends its bearer token.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import SecretStr

from govchain.agents.errors import (
    AgentAuthError,
    AgentRequestError,
    AgentTimeoutError,
    AgentUnavailableError,
)
from govchain.agents.schemas import (
    AgentStatus,
    ConnectionRecord,
    ConnectionState,
    CredentialExchange,
    DidInfo,
    DidKeyType,
    InvitationRecord,
    OobRecord,
    PresentationExchange,
    SubWallet,
)

__all__ = ["DIDEXCHANGE_1_1", "AgentAdminClient"]

log = logging.getLogger(__name__)

DIDEXCHANGE_1_1 = "https://didcomm.org/didexchange/1.1"
_POLL_SECONDS = 0.2


class AgentAdminClient:
    """One agent's admin API (or one sub-wallet of the multitenant holder).

    Args:
        base_url: e.g. ``http://127.0.0.1:8031``.
        api_key: the agent's admin API key.
        token: a sub-wallet's bearer token (multitenant holder), else ``None``.
        name: what the agent is called in messages (``issuer``, ``holder``, ...).
    """

    def __init__(
        self,
        base_url: str,
        api_key: SecretStr,
        *,
        token: SecretStr | None = None,
        timeout: float = 30.0,
        name: str = "ACA-Py",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self._api_key = api_key
        self._token = token
        self._timeout = timeout
        headers = {"X-API-KEY": api_key.get_secret_value()}
        if token is not None:
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=timeout)

    def for_subwallet(self, wallet: SubWallet) -> AgentAdminClient:
        """A client acting in one sub-wallet (same agent, the sub-wallet's token)."""
        return AgentAdminClient(
            self.base_url, self._api_key, token=wallet.token, timeout=self._timeout, name=self.name
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        try:
            response = await self._http.request(method, path, json=json, params=params)
        except httpx.TransportError as err:
            raise AgentUnavailableError(self.base_url, type(err).__name__, self.name) from err
        if response.status_code in {401, 403}:
            raise AgentAuthError(method, path, response.status_code, response.text[:300])
        if response.is_error:
            raise AgentRequestError(method, path, response.status_code, response.text[:300])
        log.debug("%s %s%s -> %s", method, self.base_url, path, response.status_code)
        return response.json()

    # --- status -----------------------------------------------------------------------
    async def status(self) -> AgentStatus:
        """``GET /status``: label and ACA-Py version."""
        return AgentStatus.model_validate(await self._call("GET", "/status"))

    async def ready(self) -> bool:
        """``GET /status/ready``: whether the agent accepts work."""
        return bool((await self._call("GET", "/status/ready")).get("ready"))

    # --- out-of-band and connections --------------------------------------------------
    async def create_invitation(self, alias: str | None = None) -> InvitationRecord:
        """Create an out-of-band invitation offering a DID exchange 1.1 connection."""
        body: dict[str, Any] = {"handshake_protocols": [DIDEXCHANGE_1_1]}
        if alias:
            body["alias"] = alias
        data = await self._call("POST", "/out-of-band/create-invitation", json=body)
        return InvitationRecord.model_validate(data)

    async def receive_invitation(
        self, invitation: dict[str, Any], alias: str | None = None
    ) -> OobRecord:
        """Receive an out-of-band invitation and accept it (start the DID exchange)."""
        params = {"auto_accept": "true"}
        if alias:
            params["alias"] = alias
        data = await self._call(
            "POST", "/out-of-band/receive-invitation", json=invitation, params=params
        )
        return OobRecord.model_validate(data)

    async def delete_invitation(self, invi_msg_id: str) -> None:
        """Withdraw an out-of-band invitation: its OOB and unused connection records go."""
        await self._call("DELETE", f"/out-of-band/invitations/{invi_msg_id}")

    async def delete_connection(self, connection_id: str) -> None:
        """Remove a connection record."""
        await self._call("DELETE", f"/connections/{connection_id}")

    async def connections(
        self, state: ConnectionState | None = None, *, invitation_msg_id: str | None = None
    ) -> list[ConnectionRecord]:
        """The agent's (or sub-wallet's) connections, optionally in one state or only those
        made from one out-of-band invitation (ACA-Py filters by an indexed tag, so this is
        one cheap lookup, and not cut off by the listing's page size of 100)."""
        params: dict[str, str] = {}
        if state:
            params["state"] = state.value
        if invitation_msg_id is not None:
            params["invitation_msg_id"] = invitation_msg_id
        data = await self._call("GET", "/connections", params=params or None)
        return [ConnectionRecord.model_validate(r) for r in data["results"]]

    async def connection(self, connection_id: str) -> ConnectionRecord:
        """One connection by id."""
        data = await self._call("GET", f"/connections/{connection_id}")
        return ConnectionRecord.model_validate(data)

    async def wait_for_connection(
        self, connection_id: str, timeout: float = 30.0
    ) -> ConnectionRecord:
        """Poll until a connection is active; AgentTimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            record = await self.connection(connection_id)
            if record.is_active:
                return record
            if time.monotonic() >= deadline:
                raise AgentTimeoutError("connection", connection_id, record.state, timeout)
            await asyncio.sleep(_POLL_SECONDS)

    # --- DIDs ---------------------------------------------------------------------------
    async def create_did(self, key_type: DidKeyType) -> DidInfo:
        """Create a did:key with a fresh key of `key_type` in the wallet."""
        body = {"method": "key", "options": {"key_type": key_type.value}}
        data = await self._call("POST", "/wallet/did/create", json=body)
        return DidInfo.model_validate(data["result"])

    async def dids(self) -> list[DidInfo]:
        """``GET /wallet/did``: the DIDs whose keys the wallet (or sub-wallet) holds."""
        data = await self._call("GET", "/wallet/did")
        return [DidInfo.model_validate(r) for r in data["results"]]

    # --- settings -----------------------------------------------------------------------
    async def settings(self) -> dict[str, Any]:
        """``GET /settings``: the settings in effect, for a sub-wallet the agent's merged
        with the sub-wallet's own (e.g. ``debug.auto_respond_presentation_request``)."""
        data = await self._call("GET", "/settings")
        settings = data.get("settings", {}) if isinstance(data, dict) else {}
        return dict(settings) if isinstance(settings, dict) else {}

    # --- multitenancy -------------------------------------------------------------------
    async def create_subwallet(
        self,
        label: str,
        wallet_name: str,
        *,
        wallet_key: SecretStr | None = None,
        extra_settings: Mapping[str, Any] | None = None,
    ) -> SubWallet:
        """Create a managed askar sub-wallet (one per citizen) and return its token.

        The sub-wallet's store is encrypted with `wallet_key`, by default a fresh random
        key that the holder agent keeps (managed mode), so govchain never has to hold
        per-citizen wallet keys; pass one to be able to ``remove_subwallet`` it later.
        `extra_settings` are ACA-Py's per-wallet flags (``ACAPY_AUTO_RESPOND_…``) that
        override the agent's for this sub-wallet.
        """
        key = secrets.token_urlsafe(32) if wallet_key is None else wallet_key.get_secret_value()
        body: dict[str, Any] = {
            "label": label,
            "wallet_name": wallet_name,
            "wallet_key": key,
            "wallet_type": "askar",
            "key_management_mode": "managed",
        }
        if extra_settings:
            body["extra_settings"] = dict(extra_settings)
        data = await self._call("POST", "/multitenancy/wallet", json=body)
        return SubWallet(wallet_id=data["wallet_id"], token=SecretStr(data["token"]), label=label)

    async def subwallet_token(self, wallet_id: str) -> SubWallet:
        """A fresh bearer token for an existing managed sub-wallet."""
        data = await self._call("POST", f"/multitenancy/wallet/{wallet_id}/token", json={})
        return SubWallet(wallet_id=wallet_id, token=SecretStr(data["token"]))

    async def remove_subwallet(self, wallet_id: str, wallet_key: SecretStr) -> None:
        """Remove a sub-wallet and everything in it (`wallet_key` as created with)."""
        await self._call(
            "POST",
            f"/multitenancy/wallet/{wallet_id}/remove",
            json={"wallet_key": wallet_key.get_secret_value()},
        )

    # --- issue-credential 2.0 (ld_proof) --------------------------------------------------
    async def send_ld_credential_offer(
        self,
        connection_id: str,
        credential: dict[str, Any],
        proof_type: str = "Ed25519Signature2020",
    ) -> CredentialExchange:
        """Offer a W3C VC (JSON-LD, signed with `proof_type`) over a connection."""
        options: dict[str, Any] = {"proofType": proof_type}
        status = credential.get("credentialStatus")
        if isinstance(status, dict):
            # ACA-Py's holder refuses a credential with a status its request did not name
            options["credentialStatus"] = {"type": status.get("type")}
        body = {
            "connection_id": connection_id,
            "auto_issue": True,
            "auto_remove": False,
            "filter": {"ld_proof": {"credential": credential, "options": options}},
        }
        data = await self._call("POST", "/issue-credential-2.0/send-offer", json=body)
        return CredentialExchange.model_validate(data)

    async def wait_for_credential_exchange(
        self, cred_ex_id: str, states: frozenset[str], timeout: float = 30.0
    ) -> CredentialExchange:
        """Poll until an issue-credential exchange reaches one of `states`."""
        deadline = time.monotonic() + timeout
        while True:
            record = await self.credential_exchange(cred_ex_id)
            if record.state in states:
                return record
            if time.monotonic() >= deadline:
                raise AgentTimeoutError("credential exchange", cred_ex_id, record.state, timeout)
            await asyncio.sleep(_POLL_SECONDS)

    async def credential_exchanges(self) -> list[CredentialExchange]:
        """All issue-credential 2.0 exchanges of this agent or sub-wallet."""
        data = await self._call("GET", "/issue-credential-2.0/records")
        return [CredentialExchange.model_validate(r["cred_ex_record"]) for r in data["results"]]

    async def credential_exchange(self, cred_ex_id: str) -> CredentialExchange:
        """One issue-credential 2.0 exchange by id."""
        data = await self._call("GET", f"/issue-credential-2.0/records/{cred_ex_id}")
        return CredentialExchange.model_validate(data["cred_ex_record"])

    async def credential_exchange_details(self, state: str | None = None) -> list[dict[str, Any]]:
        """The issue-credential 2.0 exchanges as ACA-Py gives them (``cred_ex_record``
        with ``by_format``, plus the ``ld_proof`` details), optionally only in `state`."""
        params = {"state": state} if state else None
        data = await self._call("GET", "/issue-credential-2.0/records", params=params)
        return [dict(r) for r in data["results"]]

    async def credential_exchange_detail(self, cred_ex_id: str) -> dict[str, Any]:
        """One issue-credential 2.0 exchange as ACA-Py gives it (``cred_ex_record``
        with ``by_format``, plus the ``ld_proof`` details)."""
        return dict(await self._call("GET", f"/issue-credential-2.0/records/{cred_ex_id}"))

    async def send_credential_request(
        self, cred_ex_id: str, holder_did: str | None = None
    ) -> CredentialExchange:
        """Accept a received offer (holder): request the credential, bound to
        `holder_did` when the offer leaves ``credentialSubject.id`` open. The exchange
        record is kept after the exchange ends."""
        body: dict[str, Any] = {"auto_remove": False}
        if holder_did is not None:
            body["holder_did"] = holder_did
        data = await self._call(
            "POST", f"/issue-credential-2.0/records/{cred_ex_id}/send-request", json=body
        )
        return CredentialExchange.model_validate(data)

    async def abandon_credential_exchange(self, cred_ex_id: str, description: str) -> None:
        """End an issue-credential exchange: state ``abandoned``, a problem report to the
        other side (queued if it is down, so it learns the thread is over)."""
        await self._call(
            "POST",
            f"/issue-credential-2.0/records/{cred_ex_id}/problem-report",
            json={"description": description},
        )

    async def w3c_credentials(self, given_id: str | None = None) -> list[dict[str, Any]]:
        """The W3C credentials stored in this wallet (as ACA-Py's records), optionally
        only the one whose credential ``id`` is `given_id`."""
        body = {"given_id": given_id} if given_id else {}
        data = await self._call("POST", "/credentials/w3c", json=body)
        return list(data["results"])

    async def delete_w3c_credential(self, record_id: str) -> None:
        """Remove a stored W3C credential (by its ``record_id``)."""
        await self._call("DELETE", f"/credential/w3c/{record_id}")

    async def issue_ld_credential(
        self, credential: dict[str, Any], proof_type: str = "Ed25519Signature2020"
    ) -> dict[str, Any]:
        """Sign a JSON-LD credential with the issuer DID's key (vc-api, no DIDComm)."""
        body = {"credential": credential, "options": {"proofType": proof_type}}
        data = await self._call("POST", "/vc/credentials/issue", json=body)
        return dict(data["verifiableCredential"])

    async def verify_ld_credential(self, credential: dict[str, Any]) -> dict[str, Any]:
        """Check a JSON-LD credential's proofs (vc-api); ``{"verified": bool, ...}``."""
        data = await self._call(
            "POST", "/vc/credentials/verify", json={"verifiableCredential": credential}
        )
        return dict(data)

    # --- present-proof 2.0 (DIF presentation exchange) --------------------------------------
    async def send_presentation_request(
        self,
        connection_id: str,
        presentation_definition: dict[str, Any],
        *,
        challenge: str,
        domain: str | None = None,
    ) -> PresentationExchange:
        """Ask for a presentation matching a DIF presentation definition."""
        options: dict[str, Any] = {"challenge": challenge}
        if domain:
            options["domain"] = domain
        body = {
            "connection_id": connection_id,
            "auto_verify": True,
            "auto_remove": False,
            "presentation_request": {
                "dif": {"presentation_definition": presentation_definition, "options": options}
            },
        }
        data = await self._call("POST", "/present-proof-2.0/send-request", json=body)
        return PresentationExchange.model_validate(data)

    async def wait_for_presentation_exchange(
        self, pres_ex_id: str, states: frozenset[str], timeout: float = 30.0
    ) -> PresentationExchange:
        """Poll until a present-proof exchange reaches one of `states`."""
        deadline = time.monotonic() + timeout
        while True:
            record = await self.presentation_exchange(pres_ex_id)
            if record.state in states:
                return record
            if time.monotonic() >= deadline:
                raise AgentTimeoutError("presentation exchange", pres_ex_id, record.state, timeout)
            await asyncio.sleep(_POLL_SECONDS)

    async def abandon_presentation_exchange(self, pres_ex_id: str, description: str) -> None:
        """End a present-proof exchange: state ``abandoned`` plus a problem report."""
        await self._call(
            "POST",
            f"/present-proof-2.0/records/{pres_ex_id}/problem-report",
            json={"description": description},
        )

    async def presentation_exchanges(self, state: str | None = None) -> list[PresentationExchange]:
        """All present-proof 2.0 exchanges of this agent or sub-wallet, optionally only
        those in `state`."""
        params = {"state": state} if state else None
        data = await self._call("GET", "/present-proof-2.0/records", params=params)
        return [PresentationExchange.model_validate(r) for r in data["results"]]

    async def presentation_exchange(self, pres_ex_id: str) -> PresentationExchange:
        """One present-proof 2.0 exchange by id."""
        data = await self._call("GET", f"/present-proof-2.0/records/{pres_ex_id}")
        return PresentationExchange.model_validate(data)

    async def credentials_for_presentation_request(self, pres_ex_id: str) -> list[dict[str, Any]]:
        """The stored W3C credentials that fit a received presentation request (prover)."""
        data = await self._call("GET", f"/present-proof-2.0/records/{pres_ex_id}/credentials")
        return [dict(r) for r in data] if isinstance(data, list) else []

    async def send_dif_presentation(
        self, pres_ex_id: str, record_ids: Mapping[str, list[str]]
    ) -> PresentationExchange:
        """Answer a DIF presentation request (prover) with exactly the given stored
        credentials: input descriptor id -> W3C credential ``record_id``s. The exchange
        record is kept after the exchange ends."""
        data = await self._call(
            "POST",
            f"/present-proof-2.0/records/{pres_ex_id}/send-presentation",
            json={"dif": {"record_ids": dict(record_ids)}, "auto_remove": False},
        )
        return PresentationExchange.model_validate(data)
