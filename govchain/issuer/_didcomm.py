"""The issuer's side of the DIDComm channel: its own ACA-Py agent, nothing else.

A citizen's Aries wallet is another party: the issuer cannot drive it, so it does not
use ``govchain.agents.exchange.connect``/``issue`` (both need the holder's admin API).
It splits the flow instead: an out-of-band invitation now (shown as a QR code), and,
once the wallet has connected (``Console.didcomm_step`` polls the agent), the credential
offer over issue-credential 2.0 with ``ld_proof``; the issuer agent issues when the
wallet's request comes back. Only the public methods of ``AgentAdminClient`` are used.
The agent's admin URL and API key come from ``AgentSettings`` and never reach a browser;
errors name the agent by role only.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from govchain.agents.admin import AgentAdminClient
from govchain.agents.errors import AgentError, AgentTimeoutError, AgentUnavailableError
from govchain.agents.jsonld import to_jsonld_credential
from govchain.agents.schemas import ConnectionRecord, CredentialExchange, InvitationRecord
from govchain.agents.settings import AgentRole, AgentSettings
from govchain.credentials._encoding import b64url_encode
from govchain.credentials.dids import resolve_did
from govchain.credentials.errors import DidError
from govchain.credentials.status import StatusReference
from govchain.credentials.types import credential_type
from govchain.issuer._models import (
    ApplicationRow,
    ApplicationState,
    AuditEvent,
    CredentialChannel,
    CredentialRow,
    DidcommRow,
    DidcommState,
    MessageRow,
    OfferRow,
    OfferState,
)
from govchain.issuer.errors import (
    ConsoleError,
    DidcommFailedError,
    FormInputError,
    TransitionRefusedError,
)

if TYPE_CHECKING:
    from govchain.issuer.console import Console, Person

__all__ = ["DIDCOMM_TRANSITIONS", "DidcommChannel", "IssuerAgent", "agent_refusal"]

DIDCOMM_TRANSITIONS: Final[dict[DidcommState, frozenset[DidcommState]]] = {
    DidcommState.INVITED: frozenset({DidcommState.ISSUING, DidcommState.FAILED}),
    DidcommState.ISSUING: frozenset({DidcommState.ISSUED, DidcommState.FAILED}),
    DidcommState.ISSUED: frozenset(),
    DidcommState.FAILED: frozenset(),
}

log = logging.getLogger(__name__)

SIGNED_STATES: Final = frozenset({"credential-issued", "done"})
"""The issuer agent's exchange states once it has signed and sent the credential: with
``auto_issue`` it signs when the wallet's request arrives (``credential-issued``), and
only the wallet's ack makes it ``done``. A wallet that withholds the ack still has the
credential, so govchain records it at ``credential-issued``."""
_ENDED_STATES: Final = frozenset({"abandoned", "credential-revoked", "deleted"})


def agent_refusal(err: AgentError, doing: str, doing_de: str) -> DidcommFailedError:
    """The citizen's sentence for an agent error (details only in the log)."""
    log.warning("issuer agent: %s failed: %s", doing, err)
    if isinstance(err, AgentUnavailableError):
        return DidcommFailedError(
            f"The issuer's Aries agent cannot be reached ({doing}); nothing was issued and "
            "the application stays approved. Please try again later.",
            f"Der Aries-Agent des Amtes ist nicht erreichbar ({doing_de}); es wurde nichts "
            "ausgestellt, der Antrag bleibt genehmigt. Bitte versuchen Sie es später erneut.",
        )
    if isinstance(err, AgentTimeoutError):
        return DidcommFailedError(
            f"The Aries wallet did not answer in time ({doing}); nothing was issued and the "
            "application stays approved. Please try again.",
            f"Die Aries-Wallet hat nicht rechtzeitig geantwortet ({doing_de}); es wurde nichts "
            "ausgestellt, der Antrag bleibt genehmigt. Bitte erneut versuchen.",
        )
    return DidcommFailedError(
        f"The issuer's Aries agent refused ({doing}); nothing was issued and the "
        "application stays approved.",
        f"Der Aries-Agent des Amtes hat abgelehnt ({doing_de}); es wurde nichts "
        "ausgestellt, der Antrag bleibt genehmigt.",
    )


class IssuerAgent:
    """The issuer ACA-Py agent, as the DIDComm channel needs it.

    Args:
        agents: the agents' settings (admin URL and API key of the issuer agent).
        did: the agent's did:key that signs (registered in the TrustRegistry).
        timeout: how long one credential exchange may take once offered.
    """

    def __init__(self, agents: AgentSettings, did: str, *, timeout: float = 30.0) -> None:
        self.agents = agents
        self.did = did
        self.timeout = timeout

    def _client(self) -> AgentAdminClient:
        return AgentAdminClient(
            self.agents.admin_url(AgentRole.ISSUER),
            self.agents.admin_api_key(AgentRole.ISSUER),
            timeout=min(self.timeout, 30.0),
            name="issuer",
        )

    async def invite(self, alias: str) -> InvitationRecord:
        """A fresh out-of-band invitation (DID exchange 1.1)."""
        async with self._client() as agent:
            return await agent.create_invitation(alias=alias)

    async def withdraw(self, invi_msg_id: str) -> None:
        """Withdraw an invitation nobody used (best effort)."""
        try:
            async with self._client() as agent:
                await agent.delete_invitation(invi_msg_id)
        except AgentError as err:
            log.info("invitation %s not withdrawn: %s", invi_msg_id, err)

    async def connection(self, invi_msg_id: str) -> ConnectionRecord | None:
        """The active connection made from an invitation, or None (not yet)."""
        async with self._client() as agent:
            for record in await agent.connections():
                if record.invitation_msg_id == invi_msg_id and record.is_active:
                    return record
        return None

    async def issue(self, connection_id: str, credential: dict[str, Any]) -> CredentialExchange:
        """Offer the credential and wait until the agent has signed and sent it
        (``SIGNED_STATES``: the wallet's ack is not awaited) or the exchange ended.
        A timeout abandons the exchange (problem report) before AgentTimeoutError, unless
        the agent signed meanwhile: then that record is returned (the credential is out)."""
        async with self._client() as agent:
            offer = await agent.send_ld_credential_offer(connection_id, credential)
            try:
                return await agent.wait_for_credential_exchange(
                    offer.cred_ex_id, SIGNED_STATES | _ENDED_STATES, timeout=self.timeout
                )
            except AgentTimeoutError:
                try:
                    await agent.abandon_credential_exchange(offer.cred_ex_id, "no answer")
                except AgentError as err:
                    log.info("exchange %s not abandoned: %s", offer.cred_ex_id, err)
                try:
                    last = await agent.credential_exchange(offer.cred_ex_id)
                except AgentError:
                    last = None
                if last is not None and last.state in SIGNED_STATES:
                    return last  # the request came just in time: it was signed and sent
                raise


# --- the channel: invitation now, issuance once the wallet has connected -------------------


@dataclass(frozen=True)
class _Prepared:
    """What one issuance needs after its database step (the status entry is taken)."""

    didcomm_id: str
    application_id: str
    offer_id: str
    vct: str
    holder_did: str
    holder_thumbprint: str
    connection_id: str
    status: StatusReference
    issued_at: int
    valid_until: int | None
    credential: dict[str, Any]


class DidcommChannel:
    """DIDComm issuance of approved applications (state machine ``DIDCOMM_TRANSITIONS``;
    every step is written by ``_move``)::

        invited ──(wallet connected)──▶ issuing ──(agent signed and sent it)──▶ issued
           └──(lapsed, superseded)──▶ failed ◀──(agent down, refused, timeout)──┘

    ``start`` makes the invitation (agent down: DidcommFailedError, nothing stored).
    ``step`` (the app runs it every ``GOVCHAIN_ISSUER_DIDCOMM_POLL_SECONDS``) finds
    connected wallets and issues. The database step before the offer takes a status
    entry from the SD-JWT path's allocator and withdraws the application's OID4VCI
    offer (so one record has one credential, and suspending it in the console acts on
    that one entry). The credential is recorded (row, audit entry, application
    ``issued``) as soon as the agent's exchange is ``credential-issued``: the wallet's
    ack (``done``) is not awaited, since a wallet that withholds it has the credential
    all the same. Only a failure before the agent signed leaves the application
    ``approved``: a new DIDComm invitation or a new OID4VCI offer can follow.
    """

    def __init__(self, console: Console, agent: IssuerAgent) -> None:
        self.console = console
        self.agent = agent
        self._sessions = sessionmaker(console.issuer.engine, expire_on_commit=False)

    @staticmethod
    def _move(row: DidcommRow, to: DidcommState, now: int) -> None:
        current = DidcommState(row.state)
        if to not in DIDCOMM_TRANSITIONS[current]:
            raise RuntimeError(f"DIDComm issuance {row.id}: {current} -> {to} is no transition")
        row.state = to.value
        row.updated_at = now

    # --- the citizen's request ---------------------------------------------------------

    @staticmethod
    def holder_key(holder_did: str) -> str:
        """The RFC 7638 thumbprint of the wallet's did:key (Ed25519), or FormInputError."""
        value = holder_did.strip()
        try:
            if not value.startswith("did:key:z6Mk"):
                raise DidError(value[:80], "not an Ed25519 did:key", "kein Ed25519-did:key")
            key = resolve_did(value).verification_methods[0].public_key
        except DidError as err:
            raise FormInputError(
                "The wallet's DID must be an Ed25519 did:key (did:key:z6Mk...).",
                "Die DID Ihrer Wallet muss ein Ed25519-did:key sein (did:key:z6Mk…).",
                ["DID Ihrer Wallet: ein did:key mit Ed25519-Schlüssel (beginnt mit did:key:z6Mk)"],
            ) from err
        return b64url_encode(key.thumbprint())

    async def start(self, person: Person, application_id: str, holder_did: str) -> DidcommRow:
        """The citizen chose "Aries-Wallet (DIDComm)": a fresh invitation at the issuer
        agent for this approved application, bound to the wallet's did:key."""
        console = self.console
        app = await asyncio.to_thread(console.my_application, person, application_id)
        if app.state != ApplicationState.APPROVED.value or app.offer_id is None:
            raise TransitionRefusedError(
                "Only an approved application can be issued to an Aries wallet.",
                "Nur ein genehmigter Antrag kann in eine Aries-Wallet ausgestellt werden.",
            )
        self.holder_key(holder_did)
        await asyncio.to_thread(self._check_offer, app.offer_id)
        try:
            invitation = await self.agent.invite(f"Antrag {app.id}")
        except AgentError as err:
            raise agent_refusal(
                err, "creating the invitation", "beim Erstellen der Einladung"
            ) from err
        now = console.now()
        row = DidcommRow(
            id=secrets.token_hex(8),
            application_id=app.id,
            state=DidcommState.INVITED.value,
            invitation_msg_id=invitation.invi_msg_id,
            invitation_url=invitation.invitation_url,
            holder_did=holder_did.strip(),
            created_at=now,
            updated_at=now,
            expires_at=now + console.settings.issuer_didcomm_invitation_ttl_seconds,
        )
        superseded = await asyncio.to_thread(self._store_invitation, row)
        for invi_msg_id in superseded:
            await self.agent.withdraw(invi_msg_id)
        log.info("DIDComm invitation %s for application %s", row.id, app.id)
        return row

    def _check_offer(self, offer_id: str) -> None:
        with self._sessions() as session:
            offer = session.get(OfferRow, offer_id)
        if offer is None or offer.claims is None or offer.state not in _TAKEABLE:
            raise TransitionRefusedError(
                "The credential is already being taken by a wallet with the QR code.",
                "Der Nachweis wird bereits über den QR-Code von einer Wallet abgeholt.",
            )

    def _store_invitation(self, row: DidcommRow) -> list[str]:
        """Store the new invitation; earlier open ones of the application lapse."""
        with self._sessions.begin() as session:
            earlier = list(
                session.scalars(
                    select(DidcommRow).where(
                        DidcommRow.application_id == row.application_id,
                        DidcommRow.state == DidcommState.INVITED.value,
                    )
                )
            )
            for old in earlier:
                self._move(old, DidcommState.FAILED, row.created_at)
                old.error = "superseded by a new invitation"
                old.error_de = "durch eine neue Einladung ersetzt"
            session.add(row)
        return [old.invitation_msg_id for old in earlier]

    def issuances(self, application_id: str) -> list[DidcommRow]:
        """The application's DIDComm issuances, newest first."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(DidcommRow)
                    .where(DidcommRow.application_id == application_id)
                    .order_by(DidcommRow.created_at.desc(), DidcommRow.updated_at.desc())
                )
            )

    # --- the poller ------------------------------------------------------------------------

    def _open(self, state: DidcommState) -> list[DidcommRow]:
        with self._sessions() as session:
            return list(session.scalars(select(DidcommRow).where(DidcommRow.state == state.value)))

    def fail_interrupted(self) -> int:
        """At start: issuances a stopped process left ``issuing`` are failed (the
        citizen can try again); returns how many."""
        rows = self._open(DidcommState.ISSUING)
        for row in rows:
            self._fail(
                row.id,
                DidcommFailedError(
                    "The issuance was interrupted by a restart.",
                    "Die Ausstellung wurde durch einen Neustart unterbrochen; bitte erneut "
                    "versuchen.",
                ),
            )
        return len(rows)

    async def step(self) -> int:
        """One pass: lapse old invitations, issue to wallets that have connected.
        Returns how many credentials were issued. An agent that is down is logged and
        asked again on the next pass (the invitation stays open until it lapses)."""
        issued = 0
        now = self.console.now()
        for row in await asyncio.to_thread(self._open, DidcommState.INVITED):
            if row.expires_at <= now:
                await asyncio.to_thread(
                    self._fail,
                    row.id,
                    DidcommFailedError("The invitation lapsed.", "Die Einladung ist abgelaufen."),
                    DidcommState.INVITED,
                )
                await self.agent.withdraw(row.invitation_msg_id)
                continue
            try:
                connection = await self.agent.connection(row.invitation_msg_id)
            except AgentError as err:
                log.warning("issuer agent not asked about invitation %s: %s", row.id, err)
                break
            if connection is not None and await self.issue(row.id, connection.connection_id):
                issued += 1
        return issued

    async def issue(self, didcomm_id: str, connection_id: str) -> bool:
        """Issue the application's credential over the connection; True once done.
        Any failure is recorded on the row (German sentence for the citizen)."""
        try:
            prepared = await asyncio.to_thread(self._prepare, didcomm_id, connection_id)
        except ConsoleError as err:
            await asyncio.to_thread(self._fail, didcomm_id, err, DidcommState.INVITED)
            return False
        if prepared is None:
            return False
        try:
            done = await self.agent.issue(connection_id, prepared.credential)
        except AgentError as err:
            await asyncio.to_thread(
                self._fail,
                didcomm_id,
                agent_refusal(err, "issuing", "bei der Ausstellung"),
            )
            return False
        if done.state not in SIGNED_STATES:
            log.warning(
                "DIDComm exchange %s ended %s: %s", done.cred_ex_id, done.state, done.error_msg
            )
            await asyncio.to_thread(
                self._fail,
                didcomm_id,
                DidcommFailedError(
                    f"The Aries wallet did not take the credential ({done.state}).",
                    "Die Aries-Wallet hat den Nachweis nicht angenommen; es wurde nichts "
                    "ausgestellt, der Antrag bleibt genehmigt.",
                ),
            )
            return False
        await asyncio.to_thread(self._record, prepared, done.cred_ex_id)
        return True

    def _prepare(self, didcomm_id: str, connection_id: str) -> _Prepared | None:
        """In one transaction: the application is still approved and its offer not taken
        by OID4VCI; take a status entry, withdraw the offer, mark the row ``issuing``."""
        console = self.console
        service = console.issuer
        now = console.now()
        with service.write_lock, self._sessions.begin() as session:
            row = session.get(DidcommRow, didcomm_id)
            if row is None or row.state != DidcommState.INVITED.value:
                return None  # another pass took it
            app = session.get(ApplicationRow, row.application_id)
            offer = session.get(OfferRow, app.offer_id) if app and app.offer_id else None
            if app is None or app.state != ApplicationState.APPROVED.value or offer is None:
                raise TransitionRefusedError(
                    "The application is no longer approved.",
                    "Der Antrag ist nicht mehr genehmigt.",
                )
            if (
                offer.claims is None
                or offer.state not in _TAKEABLE
                or self._has_credential(session, app.id)
            ):
                raise TransitionRefusedError(
                    "The credential was taken with the QR code meanwhile.",
                    "Der Nachweis wurde inzwischen über den QR-Code abgeholt.",
                )
            if offer.state == OfferState.OFFERED.value:
                service.move_offer(offer, OfferState.WITHDRAWN)
            status = service.allocate_status()
            claims = json.loads(offer.claims)
            credential = to_jsonld_credential(
                claims,
                vct=offer.vct,
                issuer=self.agent.did,
                holder=row.holder_did,
                issued_at=now,
                status=status,
            )
            credential = {"id": f"urn:uuid:{uuid.uuid4()}", **credential}
            ctype = credential_type(offer.vct)
            _, valid_until = ctype.validity(ctype.parse(claims))
            self._move(row, DidcommState.ISSUING, now)
            row.connection_id = connection_id
            return _Prepared(
                didcomm_id=row.id,
                application_id=app.id,
                offer_id=offer.id,
                vct=offer.vct,
                holder_did=row.holder_did,
                holder_thumbprint=self.holder_key(row.holder_did),
                connection_id=connection_id,
                status=status,
                issued_at=now,
                valid_until=valid_until,
                credential=credential,
            )

    @staticmethod
    def _has_credential(session: Session, application_id: str) -> bool:
        """Whether any offer of the application (the first, renewals) has a credential."""
        return (
            session.scalars(
                select(CredentialRow.id)
                .join(OfferRow, OfferRow.id == CredentialRow.offer_id)
                .where(OfferRow.application_id == application_id)
            ).first()
            is not None
        )

    def _record(self, prepared: _Prepared, cred_ex_id: str) -> None:
        """The agent signed and sent it: credential row (channel didcomm), audit entry,
        the application ``issued``, the offer's claims erased, the code message replaced.
        The credential is out, so it is always recorded (and thus revocable); should the
        application have got a credential another way meanwhile (``_prepare`` rules that
        out), it is recorded all the same and the conflict logged as an error."""
        console = self.console
        service = console.issuer
        now = console.now()
        with service.write_lock, self._sessions.begin() as session:
            row = session.get(DidcommRow, prepared.didcomm_id)
            app = session.get(ApplicationRow, prepared.application_id)
            offer = session.get(OfferRow, prepared.offer_id)
            assert row is not None and app is not None and offer is not None
            duplicate = app.state != ApplicationState.APPROVED.value or self._has_credential(
                session, app.id
            )
            credential = CredentialRow(
                id=secrets.token_hex(16),
                offer_id=offer.id,
                vct=prepared.vct,
                status_list_uri=prepared.status.uri,
                status_index=prepared.status.index,
                holder_thumbprint=prepared.holder_thumbprint,
                issued_at=prepared.issued_at,
                valid_until=prepared.valid_until,
                channel=CredentialChannel.DIDCOMM.value,
            )
            session.add(credential)
            service._audit(
                session,
                AuditEvent.CREDENTIAL_ISSUED,
                credential.id,
                {
                    "credential_id": credential.id,
                    "channel": CredentialChannel.DIDCOMM.value,
                    "format": "ldp_vc",
                    "jsonld_id": prepared.credential["id"],
                    "application_id": app.id,
                    "offer_id": offer.id,
                    "offered_by": offer.created_by,
                    "vct": prepared.vct,
                    "issuer": self.agent.did,
                    "holder_did": prepared.holder_did,
                    "status_list_uri": credential.status_list_uri,
                    "status_index": credential.status_index,
                    "holder_thumbprint": credential.holder_thumbprint,
                    "credential_sha256": hashlib.sha256(
                        _canonical(prepared.credential).encode()
                    ).hexdigest(),
                    "cred_ex_id": cred_ex_id,
                    "issued_at": credential.issued_at,
                    "valid_until": credential.valid_until,
                },
                now,
            )
            offer.claims = None  # the personal data is no longer needed here
            offer.issued_at = now
            if duplicate:
                log.error(
                    "application %s already had a credential; DIDComm credential %s recorded "
                    "for revocation",
                    app.id,
                    credential.id,
                )
            else:
                console._move(app, ApplicationState.ISSUED)
            app.offer_uri = None
            self._move(row, DidcommState.ISSUED, now)
            row.cred_ex_id = cred_ex_id
            row.credential_id = credential.id
            session.execute(
                update(MessageRow)
                .where(MessageRow.offer_id == offer.id)
                .values(
                    body="Der Nachweis wurde über DIDComm in Ihre Aries-Wallet ausgestellt; "
                    "der Code wird nicht mehr benötigt."
                )
            )
        service.anchor_pending()
        log.info("credential %s issued over DIDComm (%s)", credential.id, cred_ex_id)

    def _fail(
        self, didcomm_id: str, err: ConsoleError, expected: DidcommState | None = None
    ) -> None:
        now = self.console.now()
        with self._sessions.begin() as session:
            row = session.get(DidcommRow, didcomm_id)
            if row is None or (expected is not None and row.state != expected.value):
                return
            if DidcommState.FAILED not in DIDCOMM_TRANSITIONS[DidcommState(row.state)]:
                return
            self._move(row, DidcommState.FAILED, now)
            row.error = err.message
            row.error_de = err.message_de
        log.warning("DIDComm issuance %s failed: %s", didcomm_id, err.message)


_TAKEABLE: Final = frozenset({OfferState.OFFERED.value, OfferState.WITHDRAWN.value})


def _canonical(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
