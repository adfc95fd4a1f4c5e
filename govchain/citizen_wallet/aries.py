"""The wallet's Aries path: DIDComm credentials in its own sub-wallet of the holder agent.

``wallet.didcomm`` (a ``DidcommPath``) accepts out-of-band connection invitations,
lists what connected agents ask (credential offers, issue-credential 2.0 with
``ld_proof``; proof requests, present-proof 2.0 with DIF presentation exchange) and
answers only with the citizen's consent. The wallet polls the holder agent's admin API
for its sub-wallet's records; no webhook is needed.

The sub-wallet is created on first use; its id, key and bearer token live in the
encrypted vault like everything else. A DIDComm credential is kept in the sub-wallet
(so the agent can present it) and its copy in the vault makes the card, its live status
(``credentialStatus`` names the same on-chain entry as the SD-JWT VC's) and its history
readable without the agent.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from pydantic import SecretStr

from govchain.agents.admin import AgentAdminClient
from govchain.agents.errors import (
    AgentAuthError,
    AgentError,
    AgentRequestError,
    AgentUnavailableError,
)
from govchain.agents.exchange import CREDENTIAL_TERMINAL_STATES
from govchain.agents.jsonld import type_of_credential
from govchain.agents.schemas import ConnectionRecord, DidKeyType, PresentationExchange
from govchain.agents.verification import status_claim
from govchain.citizen_wallet._aries import (
    AUTO_PRESENTS_SETTING,
    CONSENTING_SETTINGS,
    OFFER_RECEIVED,
    REQUEST_RECEIVED,
    HolderAgent,
    Invitation,
    parse_invitation,
    run_sync,
)
from govchain.citizen_wallet._links import LinkKind
from govchain.citizen_wallet._scan import read_link
from govchain.citizen_wallet.errors import (
    DidcommError,
    HolderAgentDownError,
    NoMatchingCredentialError,
    PendingNotFoundError,
    WalletError,
    WarningsNotAcknowledgedError,
)
from govchain.citizen_wallet.service import (
    LDP_VC_FORMAT,
    DisclosedClaim,
    LogOutcome,
    StoredCredential,
)
from govchain.credentials.display import claim_label_de, format_claim_value_de
from govchain.credentials.errors import StatusReferenceError

if TYPE_CHECKING:
    from govchain.citizen_wallet.service import CitizenWallet

__all__ = [
    "ConnectionInfo",
    "DidcommInbox",
    "DidcommOffer",
    "DidcommPath",
    "DidcommRequest",
    "InvitationPreview",
]

logger = logging.getLogger(__name__)

_ANSWERED: Final = frozenset({"presentation-sent", "done", "abandoned"})
_UNKNOWN_PARTY_DE: Final = (
    "Unbekannte Gegenstelle: dieser Agent steht nicht auf Ihrer Liste bekannter Stellen; "
    "sein Name ist selbst gewählt und nicht geprüft."
)
_SUBJECT_KEYS: Final = frozenset({"id", "type"})


@dataclass(frozen=True)
class InvitationPreview:
    """A connection invitation as the citizen sees it before connecting."""

    id: str
    label: str | None
    name_de: str
    known: bool
    parties: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ConnectionInfo:
    """A DIDComm connection of the sub-wallet, as the wallet names it."""

    connection_id: str
    name_de: str
    known: bool


@dataclass(frozen=True)
class DidcommOffer:
    """A credential offer waiting for the citizen (nothing requested yet)."""

    id: str  # the sub-wallet's issue-credential exchange id
    party: ConnectionInfo
    vct: str
    name_de: str
    description_de: str
    issuer_did: str
    claims: tuple[tuple[str, str], ...]  # German label, value
    warnings: tuple[str, ...]
    acceptable: bool  # False: the wallet could never present it (see warnings)


@dataclass(frozen=True)
class DidcommRequest:
    """A proof request waiting for the citizen: exactly what would go to whom."""

    id: str  # the sub-wallet's present-proof exchange id
    party: ConnectionInfo
    credential: StoredCredential | None
    requested_de: tuple[str, ...]
    disclosed: tuple[DisclosedClaim, ...]  # the whole credential: Data Integrity signs all
    warnings: tuple[str, ...]
    record_ids: dict[str, list[str]]


@dataclass(frozen=True)
class DidcommInbox:
    """What the connected agents ask for now."""

    offers: tuple[DidcommOffer, ...]
    requests: tuple[DidcommRequest, ...]
    agent_answers_itself: bool  # the holder agent presents without asking (see docs)


def _unix(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _issuer_of(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    return str(issuer.get("id") if isinstance(issuer, Mapping) else issuer)


def _subject_of(credential: Mapping[str, Any]) -> dict[str, Any]:
    subject = credential.get("credentialSubject")
    return dict(subject) if isinstance(subject, Mapping) else {}


def _status_claim(credential: Mapping[str, Any]) -> dict[str, Any] | None:
    """The SD-JWT ``status`` claim of the credential's on-chain entry, if it names one
    the way govchain writes it (read as the verifier reads it, ``status_claim``)."""
    try:
        return status_claim(credential.get("credentialStatus"))
    except StatusReferenceError:
        return None


def _flat_claims(vct: str, claims: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str, str]]:
    """Every claim down to its leaves, with German label and value (the dog's chip
    number, not just the dog's name), so a preview shows all that would be shared."""
    rows: list[tuple[tuple[str, ...], str, str]] = []

    def walk(path: tuple[str, ...], value: Any) -> None:
        if isinstance(value, Mapping) and value:
            for key, member in value.items():
                walk((*path, str(key)), member)
            return
        rows.append((path, claim_label_de(vct, path), format_claim_value_de(vct, path, value)))

    for name, value in claims.items():
        if name not in _SUBJECT_KEYS:
            walk((name,), value)
    return rows


def _claim_path(path: object) -> tuple[str, ...] | None:
    """``$.credentialSubject.dog.chip_number`` -> ("dog", "chip_number")."""
    prefix = "$.credentialSubject."
    if isinstance(path, list) and path and isinstance(path[0], str):
        text = path[0]
        if text.startswith(prefix):
            return tuple(text[len(prefix) :].split("."))
    return None


class DidcommPath:
    """The Aries path of one ``CitizenWallet`` (``wallet.didcomm``)."""

    def __init__(
        self,
        wallet: CitizenWallet,
        agent: HolderAgent | None,
        known_agents: Mapping[str, str],
    ) -> None:
        self._wallet = wallet
        self.agent = agent
        self.known_agents = {k.rstrip("/"): v for k, v in known_agents.items()}
        self._invitations: dict[str, tuple[Invitation, InvitationPreview]] = {}

    def forget(self) -> None:
        """Drop open previews (the wallet was locked)."""
        self._invitations.clear()

    # --- the sub-wallet -------------------------------------------------------------------

    def _agent(self) -> HolderAgent:
        if self.agent is None:
            raise DidcommError(
                "The DIDComm path is not set up: the holder agent's settings "
                "(GOVCHAIN_AGENTS_*) are missing or invalid.",
                "Der DIDComm-Weg ist nicht eingerichtet: die Einstellungen des "
                "Holder-Agenten (GOVCHAIN_AGENTS_*) fehlen oder sind ungültig.",
            )
        return self.agent

    def _admin(self, agent: HolderAgent) -> AgentAdminClient:
        return AgentAdminClient(
            agent.admin_url, agent.api_key, timeout=agent.timeout, name="holder"
        )

    @property
    def wallet_id(self) -> str | None:
        """The sub-wallet's id in the holder agent (None before first use)."""
        aries = self._wallet._document().get("aries")
        return str(aries["wallet_id"]) if isinstance(aries, dict) else None

    async def _subwallet(self, agent: HolderAgent) -> dict[str, Any]:
        """The vault's sub-wallet record, created in the agent on first use."""
        document = self._wallet._document()
        aries = document.get("aries")
        if isinstance(aries, dict):
            return aries
        key = SecretStr(secrets.token_urlsafe(32))
        async with self._admin(agent) as admin:
            sub = await admin.create_subwallet(
                "Bürger-Wallet",
                f"citizen-{secrets.token_hex(8)}",
                wallet_key=key,
                extra_settings=CONSENTING_SETTINGS,
            )
            record = {
                "wallet_id": sub.wallet_id,
                "wallet_key": key.get_secret_value(),
                "token": sub.token.get_secret_value(),
            }
            document["aries"] = record
            try:
                self._wallet._save()
            except BaseException:
                del document["aries"]
                await admin.remove_subwallet(sub.wallet_id, key)
                raise
        return record

    async def _session[T](
        self, agent: HolderAgent, action: Callable[[AgentAdminClient], Awaitable[T]]
    ) -> T:
        record = await self._subwallet(agent)
        for attempt in (1, 2):
            client = AgentAdminClient(
                agent.admin_url,
                agent.api_key,
                token=SecretStr(record["token"]),
                timeout=agent.timeout,
                name="holder",
            )
            try:
                async with client:
                    return await action(client)
            except AgentAuthError:
                if attempt == 2:
                    raise
                # an expired or revoked token: nothing happened; ask for a fresh one
                async with self._admin(agent) as admin:
                    fresh = await admin.subwallet_token(record["wallet_id"])
                record["token"] = fresh.token.get_secret_value()
                self._wallet._save()
        raise AssertionError("unreachable")

    def _run[T](self, action: Callable[[AgentAdminClient], Awaitable[T]]) -> T:
        """One piece of work in the sub-wallet; agent errors as one clear sentence."""
        self._wallet._document()
        agent = self._agent()
        try:
            return run_sync(self._session(agent, action))
        except AgentUnavailableError as err:
            raise HolderAgentDownError(agent.admin_url) from err
        except AgentError as err:
            raise DidcommError(err.message, err.message_de) from err

    # --- connections -------------------------------------------------------------------

    def preview_invitation(self, text: str) -> InvitationPreview:
        """Read an out-of-band invitation and say who invites, with a warning when the
        agent is not known; nothing is sent to anyone."""
        self._wallet._document()
        invitation = parse_invitation(text)
        known = next(
            (self.known_agents[p] for p in invitation.parties if p in self.known_agents), None
        )
        warnings: list[str] = []
        if known is None:
            warnings.append(_UNKNOWN_PARTY_DE)
        preview = InvitationPreview(
            id=secrets.token_urlsafe(16),
            label=invitation.label,
            name_de=known
            or (f"„{invitation.label}“ (nicht geprüft)" if invitation.label else "Ohne Namen"),
            known=known is not None,
            parties=invitation.parties,
            warnings=tuple(warnings),
        )
        self._invitations[preview.id] = (invitation, preview)
        return preview

    def preview_invitation_photo(self, photo: bytes) -> InvitationPreview:
        """Read the invitation from a photo of its QR code, then as ``preview_invitation``."""
        self._wallet._document()
        return self.preview_invitation(read_link(photo, LinkKind.INVITATION))

    def connect(
        self, preview_id: str, *, acknowledge_warnings: bool = False, timeout: float = 30.0
    ) -> ConnectionInfo:
        """Accept a previewed invitation (DID exchange 1.1) and wait until the connection
        is active; a connection that does not get there is removed again."""
        self._wallet._document()
        pending = self._invitations.get(preview_id)
        if pending is None:
            raise PendingNotFoundError(preview_id)
        invitation, preview = pending
        if preview.warnings and not acknowledge_warnings:
            raise WarningsNotAcknowledgedError(list(preview.warnings))

        async def act(client: AgentAdminClient) -> ConnectionRecord:
            oob = await client.receive_invitation(invitation.message)
            if oob.connection_id is None:
                raise DidcommError(
                    "The agent made no connection from the invitation.",
                    "Der Agent hat aus der Einladung keine Verbindung hergestellt.",
                )
            try:
                return await client.wait_for_connection(oob.connection_id, timeout=timeout)
            except AgentError:
                try:
                    await client.delete_connection(oob.connection_id)
                except AgentError:
                    logger.info("connection %s not removed", oob.connection_id)
                raise

        record = self._run(act)
        del self._invitations[preview_id]
        document = self._wallet._document()
        document.setdefault("connections", {})[record.connection_id] = {
            "name_de": preview.name_de,
            "known": preview.known,
            "label": invitation.label,
            "parties": list(invitation.parties),
            "at": int(self._wallet.clock()),
        }
        self._wallet._save()
        return ConnectionInfo(record.connection_id, preview.name_de, preview.known)

    def connections(self) -> list[ConnectionInfo]:
        """The connections made through the wallet (from the vault)."""
        stored = self._wallet._document().get("connections", {})
        return [ConnectionInfo(cid, c["name_de"], bool(c["known"])) for cid, c in stored.items()]

    def _party(
        self, connection_id: str | None, live: Mapping[str, ConnectionRecord]
    ) -> ConnectionInfo:
        stored = self._wallet._document().get("connections", {}).get(connection_id or "")
        if stored is not None:
            return ConnectionInfo(str(connection_id), stored["name_de"], bool(stored["known"]))
        found = live.get(connection_id or "")
        label = found.their_label if found is not None else None
        return ConnectionInfo(
            str(connection_id), f"„{label}“ (nicht geprüft)" if label else "Unbekannt", False
        )

    # --- what the agents ask -----------------------------------------------------------

    def inbox(self) -> DidcommInbox:
        """The pending credential offers and proof requests of the sub-wallet (polled
        from the holder agent). Requests the agent answered on its own are logged."""

        async def act(
            client: AgentAdminClient,
        ) -> tuple[list[DidcommOffer], list[DidcommRequest], list[PresentationExchange], bool]:
            live = {c.connection_id: c for c in await client.connections()}
            own = {d.did for d in await client.dids()}
            offers = [
                self._offer(r, live, own)
                for r in await client.credential_exchange_details(OFFER_RECEIVED)
            ]
            records = await client.presentation_exchanges()
            requests = [
                await self._request(client, r, live) for r in records if r.state == REQUEST_RECEIVED
            ]
            itself = bool((await client.settings()).get(AUTO_PRESENTS_SETTING))
            return offers, requests, records, itself

        offers, requests, records, itself = self._run(act)
        self._log_unasked(records)
        return DidcommInbox(tuple(offers), tuple(requests), itself)

    def _offer(
        self, raw: Mapping[str, Any], live: Mapping[str, ConnectionRecord], own: Collection[str]
    ) -> DidcommOffer:
        record = raw.get("cred_ex_record", raw)
        try:
            credential = dict(record["by_format"]["cred_offer"]["ld_proof"]["credential"])
        except (KeyError, TypeError) as err:
            raise DidcommError(
                "The offer is not a JSON-LD (ld_proof) credential the wallet can show.",
                "Das Angebot ist kein JSON-LD-Nachweis (ld_proof), den die Brieftasche "
                "anzeigen kann.",
            ) from err
        party = self._party(record.get("connection_id"), live)
        ctype = type_of_credential(credential)
        vct = ctype.vct if ctype else ""
        issuer = _issuer_of(credential)
        subject = _subject_of(credential)
        warnings: list[str] = [] if party.known else [_UNKNOWN_PARTY_DE]
        acceptable = True
        if ctype is None:
            warnings.append("Unbekannter Nachweistyp: die Brieftasche kann ihn nicht einordnen.")
        else:
            trust = self._wallet._trust_warning(
                issuer, vct, {"iat": _unix(credential.get("validFrom"))}
            )
            if trust is not None:
                warnings.append(trust)
        bound = subject.get("id")
        if isinstance(bound, str) and bound not in own:
            acceptable = False
            warnings.append(
                "Der Nachweis ist an eine fremde Kennung gebunden; Sie könnten ihn nie "
                "vorzeigen. Bitte ablehnen."
            )
        claims = tuple((label, value) for _, label, value in _flat_claims(vct, subject))
        return DidcommOffer(
            id=str(record["cred_ex_id"]),
            party=party,
            vct=vct,
            name_de=ctype.name_de if ctype else "Unbekannter Nachweis",
            description_de=ctype.description_de if ctype else "",
            issuer_did=issuer,
            claims=claims,
            warnings=tuple(warnings),
            acceptable=acceptable,
        )

    async def _request(
        self,
        client: AgentAdminClient,
        record: PresentationExchange,
        live: Mapping[str, ConnectionRecord],
    ) -> DidcommRequest:
        party = self._party(record.connection_id, live)
        warnings: list[str] = [] if party.known else [_UNKNOWN_PARTY_DE]
        try:
            definition = (record.by_format or {})["pres_request"]["dif"]["presentation_definition"]
            descriptors = list(definition["input_descriptors"])
        except (KeyError, TypeError):
            descriptors = []
        if len(descriptors) != 1:
            warnings.append(
                "Die Anfrage ist keine DIF-Anfrage nach genau einem Nachweis; die Brieftasche "
                "kann sie nur ablehnen."
            )
            return DidcommRequest(record.pres_ex_id, party, None, (), (), tuple(warnings), {})
        descriptor = descriptors[0]
        fields = descriptor.get("constraints", {}).get("fields", [])
        paths = [p for p in (_claim_path(f.get("path")) for f in fields) if p is not None]
        matching = {
            str(r.get("record_id"))
            for r in await client.credentials_for_presentation_request(record.pres_ex_id)
        }
        entries = [
            e
            for e in self._wallet._document()["credentials"].values()
            if e.get("format") == LDP_VC_FORMAT and e.get("record_id") in matching
        ]
        if not entries:
            warnings.append("Kein passender Nachweis in der Brieftasche.")
            return DidcommRequest(record.pres_ex_id, party, None, (), (), tuple(warnings), {})
        entry = max(entries, key=lambda e: e["received_at"])
        stored = self._wallet._stored(entry)
        vct = stored.vct
        requested = tuple(claim_label_de(vct, p) for p in paths)
        asked = set(paths)
        disclosed = tuple(
            DisclosedClaim(
                path,
                label + ("" if any(path[: len(a)] == a for a in asked) else " (nicht angefragt)"),
                value,
            )
            for path, label, value in _flat_claims(vct, stored.claims)
        )
        warnings += [f"Zum Nachweis: {w}" for w in stored.warnings]
        return DidcommRequest(
            id=record.pres_ex_id,
            party=party,
            credential=stored,
            requested_de=requested,
            disclosed=disclosed,
            warnings=tuple(warnings),
            record_ids={str(descriptor.get("id")): [str(entry["record_id"])]},
        )

    # --- answering offers ---------------------------------------------------------------

    def accept_offer(
        self, offer_id: str, *, acknowledge_warnings: bool = False, timeout: float = 30.0
    ) -> StoredCredential:
        """Request the offered credential, bound to a fresh did:key of the sub-wallet,
        wait until the agent stored it and keep its card; refused while warnings are not
        acknowledged. An exchange that fails stores nothing."""

        async def act(client: AgentAdminClient) -> tuple[DidcommOffer, dict[str, Any], str]:
            raw = await client.credential_exchange_detail(offer_id)
            state = raw.get("cred_ex_record", {}).get("state")
            if state != OFFER_RECEIVED:
                raise PendingNotFoundError(offer_id)
            live = {c.connection_id: c for c in await client.connections()}
            offer = self._offer(raw, live, {d.did for d in await client.dids()})
            if not offer.acceptable:
                raise WalletError(
                    "This credential is bound to someone else's identifier; refuse it.",
                    "Dieser Nachweis ist an eine fremde Kennung gebunden; bitte ablehnen.",
                )
            if offer.warnings and not acknowledge_warnings:
                raise WarningsNotAcknowledgedError(list(offer.warnings))
            credential = raw["cred_ex_record"]["by_format"]["cred_offer"]["ld_proof"]["credential"]
            bound = _subject_of(credential).get("id")
            holder = str(bound) if bound else (await client.create_did(DidKeyType.ED25519)).did
            await client.send_credential_request(offer_id, holder)
            done = await client.wait_for_credential_exchange(
                offer_id, CREDENTIAL_TERMINAL_STATES, timeout
            )
            if done.state != "done":
                raise DidcommError(
                    f"The issuer ended the exchange without a credential ({done.error_msg}).",
                    f"Die Ausstellerin beendete den Austausch ohne Nachweis ({done.error_msg}).",
                )
            issued = await client.credential_exchange_detail(offer_id)
            stored = await self._stored_copy(client, issued, credential)
            return offer, stored, holder

        offer, record, holder = self._run(act)
        credential = dict(record["cred_value"])
        if (
            _issuer_of(credential) != offer.issuer_did
            or _subject_of(credential).get("id") != holder
        ):
            raise DidcommError(
                "The issued credential differs from the offer (issuer or holder).",
                "Der ausgestellte Nachweis weicht vom Angebot ab (Ausstellerin oder Inhaber).",
            )
        status = _status_claim(credential)
        entry = {
            "id": secrets.token_urlsafe(12),
            "format": LDP_VC_FORMAT,
            "credential": credential,
            "record_id": str(record["record_id"]),
            "connection_id": offer.party.connection_id,
            "holder_did": holder,
            "claims": {k: v for k, v in _subject_of(credential).items() if k not in _SUBJECT_KEYS},
            "vct": offer.vct,
            "name_de": offer.name_de,
            "issuer_url": f"didcomm:{offer.party.connection_id}",
            "issuer_name_de": offer.party.name_de,
            "issuer_did": offer.issuer_did,
            "received_at": int(self._wallet.clock()),
            "payload": {
                k: v
                for k, v in {
                    "status": status,
                    "iat": _unix(credential.get("validFrom")),
                    "exp": _unix(credential.get("validUntil")),
                }.items()
                if v is not None
            },
            "warnings": list(offer.warnings),
        }
        return self._wallet._keep([entry])[0]

    async def _stored_copy(
        self, client: AgentAdminClient, issued: Mapping[str, Any], offered: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The sub-wallet's W3C record of the credential just issued."""
        given = offered.get("id")
        records = await client.w3c_credentials(given_id=str(given) if given else None)
        try:
            proof = issued["cred_ex_record"]["by_format"]["cred_issue"]["ld_proof"]["proof"]
        except (KeyError, TypeError):
            proof = None
        for record in records:
            value = record.get("cred_value", {})
            if proof is None or value.get("proof") == proof:
                return dict(record)
        raise DidcommError(
            "The agent did not store the issued credential.",
            "Der Agent hat den ausgestellten Nachweis nicht gespeichert.",
        )

    def refuse_offer(self, offer_id: str) -> None:
        """Decline an offer: the issuer is told (problem report), nothing is stored."""

        async def act(client: AgentAdminClient) -> None:
            raw = await client.credential_exchange_detail(offer_id)
            if raw.get("cred_ex_record", {}).get("state") != OFFER_RECEIVED:
                raise PendingNotFoundError(offer_id)
            await client.abandon_credential_exchange(offer_id, "declined by the holder")

        self._run(act)

    # --- answering proof requests -----------------------------------------------------------

    def answer_request(
        self,
        request_id: str,
        *,
        consent: bool,
        acknowledge_warnings: bool = False,
        timeout: float = 30.0,
    ) -> tuple[LogOutcome, str]:
        """Present exactly the previewed credential (consent) or refuse (a problem report,
        nothing presented); either way logged. Returns the outcome and a German sentence."""

        async def act(client: AgentAdminClient) -> tuple[DidcommRequest, str]:
            record = await client.presentation_exchange(request_id)
            if record.state != REQUEST_RECEIVED:
                raise PendingNotFoundError(request_id)
            live = {c.connection_id: c for c in await client.connections()}
            request = await self._request(client, record, live)
            if not consent:
                await client.abandon_presentation_exchange(request_id, "declined by the holder")
                return request, "abandoned"
            if request.credential is None:
                raise NoMatchingCredentialError([])
            if request.warnings and not acknowledge_warnings:
                raise WarningsNotAcknowledgedError(list(request.warnings))
            await client.send_dif_presentation(request_id, request.record_ids)
            sent = await client.wait_for_presentation_exchange(request_id, _ANSWERED, timeout)
            return request, sent.state

        request, state = self._run(act)
        if not consent:
            self._log(request, LogOutcome.REFUSED)
            return LogOutcome.REFUSED, "Sie haben abgelehnt; nichts wurde gezeigt."
        if state == "abandoned":
            self._log(request, LogOutcome.FAILED)
            return LogOutcome.FAILED, "Die Prüfstelle hat den Austausch abgebrochen."
        self._log(request, LogOutcome.SHARED)
        return LogOutcome.SHARED, f"Vorgezeigt bei {request.party.name_de}."

    def _log(self, request: DidcommRequest, outcome: LogOutcome) -> None:
        credential = request.credential
        self._wallet._document()["log"].append(
            {
                "at": int(self._wallet.clock()),
                "client_id": f"didcomm:{request.party.connection_id}",
                "verifier_name_de": request.party.name_de,
                "credential_id": credential.id if credential else "",
                "vct": credential.vct if credential else "",
                "claims_de": [c.label_de for c in request.disclosed]
                if outcome is not LogOutcome.REFUSED
                else list(request.requested_de),
                "outcome": outcome.value,
                "channel": "didcomm",
                "exchange_id": request.id,
            }
        )
        self._wallet._save()

    def _log_unasked(self, records: list[PresentationExchange]) -> None:
        """Log presentations the agent made without the wallet (auto-respond on)."""
        document = self._wallet._document()
        logged = {e.get("exchange_id") for e in document["log"]}
        unasked = [
            r
            for r in records
            if r.role == "prover"
            and r.state in {"presentation-sent", "done"}
            and r.pres_ex_id not in logged
        ]
        for record in unasked:
            party = self._party(record.connection_id, {})
            document["log"].append(
                {
                    "at": int(self._wallet.clock()),
                    "client_id": f"didcomm:{record.connection_id}",
                    "verifier_name_de": party.name_de,
                    "credential_id": "",
                    "vct": "",
                    "claims_de": ["unbekannt: vom Agenten ohne Rückfrage gezeigt"],
                    "outcome": LogOutcome.AUTO.value,
                    "channel": "didcomm",
                    "exchange_id": record.pres_ex_id,
                }
            )
        if unasked:
            self._wallet._save()

    # --- stored credentials ---------------------------------------------------------------

    def remove_stored(self, entry: Mapping[str, Any]) -> None:
        """Remove a DIDComm credential from the sub-wallet (before the vault forgets it)."""

        async def act(client: AgentAdminClient) -> None:
            try:
                await client.delete_w3c_credential(str(entry["record_id"]))
            except AgentRequestError as err:
                if err.status_code != 404:
                    raise

        self._run(act)
