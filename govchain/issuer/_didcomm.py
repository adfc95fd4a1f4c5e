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
from govchain.agents.errors import (
    AgentError,
    AgentRequestError,
    AgentTimeoutError,
    AgentUnavailableError,
)
from govchain.agents.jsonld import to_jsonld_credential
from govchain.agents.schemas import ConnectionRecord, CredentialExchange, InvitationRecord
from govchain.agents.settings import AgentRole, AgentSettings
from govchain.credentials._encoding import b64url_encode
from govchain.credentials.dids import resolve_did
from govchain.credentials.errors import DidError
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
    DidcommState.INVITED: frozenset({DidcommState.SENDING, DidcommState.FAILED}),
    DidcommState.SENDING: frozenset({DidcommState.ISSUING, DidcommState.FAILED}),
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
_AGENT_PAGE: Final = 100
"""ACA-Py's default page size of ``GET /issue-credential-2.0/records``."""
_NOT_DELIVERED: Final = frozenset({"ConnectError", "ConnectTimeout"})
"""Transport errors that mean the request never reached the agent (so no offer exists)."""
_GRACE_SECONDS: Final = 30
"""How long past the exchange timeout another worker may still be sending or waiting
before ``recover`` acts on an issuance in ``sending``/``issuing``."""


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

    async def offer(self, connection_id: str, credential: dict[str, Any]) -> str:
        """Offer the credential over issue-credential 2.0 (``auto_issue``); the agent's
        ``cred_ex_id``."""
        async with self._client() as agent:
            return (await agent.send_ld_credential_offer(connection_id, credential)).cred_ex_id

    async def signed(self, cred_ex_id: str) -> CredentialExchange:
        """Wait until the agent has signed and sent the credential (``SIGNED_STATES``:
        the wallet's ack is not awaited) or the exchange ended. A timeout abandons the
        exchange (problem report) before AgentTimeoutError, unless the agent signed
        meanwhile: then that record is returned (the credential is out). Any other
        AgentError means the outcome is not known."""
        async with self._client() as agent:
            try:
                return await agent.wait_for_credential_exchange(
                    cred_ex_id, SIGNED_STATES | _ENDED_STATES, timeout=self.timeout
                )
            except AgentTimeoutError:
                last = await self._end(agent, cred_ex_id)
                if last is not None and last.state in SIGNED_STATES:
                    return last  # the request came just in time: it was signed and sent
                raise

    async def exchange(self, cred_ex_id: str) -> CredentialExchange | None:
        """The agent's exchange record, or None if it has none (HTTP 404)."""
        async with self._client() as agent:
            return await self._read(agent, cred_ex_id)

    async def end(self, cred_ex_id: str) -> CredentialExchange | None:
        """Abandon an exchange that took too long; its last record (it may have been
        signed just in time), or None if the agent has none."""
        async with self._client() as agent:
            return await self._end(agent, cred_ex_id)

    async def exchanges_on(self, connection_id: str) -> list[CredentialExchange] | None:
        """The issuer-side exchanges on a connection (each connection is one DIDComm
        issuance's, made from its invitation), or None when that cannot be told: the
        agent lists at most ``_AGENT_PAGE`` records and the list is full."""
        async with self._client() as agent:
            records = await agent.credential_exchanges()
        mine = [r for r in records if r.connection_id == connection_id and r.role != "holder"]
        if not mine and len(records) >= _AGENT_PAGE:
            return None
        return mine

    @staticmethod
    async def _read(agent: AgentAdminClient, cred_ex_id: str) -> CredentialExchange | None:
        try:
            return await agent.credential_exchange(cred_ex_id)
        except AgentRequestError as err:
            if err.status_code == 404:
                return None
            raise

    @classmethod
    async def _end(cls, agent: AgentAdminClient, cred_ex_id: str) -> CredentialExchange | None:
        try:
            await agent.abandon_credential_exchange(cred_ex_id, "no answer")
        except AgentRequestError as err:  # already over, or unknown: the record says which
            log.info("exchange %s not abandoned: %s", cred_ex_id, err)
        return await cls._read(agent, cred_ex_id)


# --- the channel: invitation now, issuance once the wallet has connected -------------------


@dataclass(frozen=True)
class _Prepared:
    """What sending one offer needs after its database step (everything to record the
    credential later is on the row, state ``sending``)."""

    didcomm_id: str
    connection_id: str
    credential: dict[str, Any]


class DidcommChannel:
    """DIDComm issuance of approved applications (state machine ``DIDCOMM_TRANSITIONS``;
    every step is written by ``_move``)::

        invited ─(connected)─▶ sending ─(agent has the offer)─▶ issuing ─(signed)─▶ issued
           └──(lapsed, superseded)──▶ failed ◀──(refused, never sent, ended, timeout)──┘

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

    Crash safety: before the offer goes out, the row (``sending``) holds the status
    entry, the offered credential's JSON-LD id and SHA-256, issuance and expiry; the
    agent's ``cred_ex_id`` follows (``issuing``). ``recover`` (at start and on every
    pass) asks the agent about every row left ``sending``/``issuing``, records the
    credential from the row if the agent signed it, fails the row only when the agent
    says it was never sent or ended unsigned, and leaves it (with a note for the
    citizen) while the agent cannot be asked.
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
        await asyncio.to_thread(self._check_offer, app.offer_id, app.id)
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

    def _check_offer(self, offer_id: str, application_id: str) -> None:
        with self._sessions() as session:
            offer = session.get(OfferRow, offer_id)
            unsettled = self._unsettled_of(session, application_id)
        if unsettled:
            raise TransitionRefusedError(
                "The credential is being issued to an Aries wallet; that is being checked.",
                "Der Nachweis wird gerade in eine Aries-Wallet ausgestellt; das wird geprüft.",
            )
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

    def _unsettled(self) -> list[DidcommRow]:
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(DidcommRow).where(
                        DidcommRow.state.in_(
                            (DidcommState.SENDING.value, DidcommState.ISSUING.value)
                        )
                    )
                )
            )

    async def recover(self) -> int:
        """Settle the issuances a stopped process (or an agent that could not be asked)
        left ``sending``/``issuing``: ask the issuer agent about each exchange (by
        ``cred_ex_id``, else by the row's connection) and record the credential if the
        agent signed it, exactly as ``issue`` does; fail the row if the agent never got
        the offer or the exchange ended unsigned; leave it while the agent cannot be
        asked (logged, and "Ausstellung wird geprüft" on the citizen's page). An
        exchange still waiting for the wallet is left until the timeout, then abandoned.
        Returns how many credentials were recorded."""
        recorded = 0
        for row in await asyncio.to_thread(self._unsettled):
            try:
                if await self._settle(row):
                    recorded += 1
            except AgentError as err:
                await asyncio.to_thread(self._unknown, row.id, str(err))
        return recorded

    async def _settle(self, row: DidcommRow) -> bool:
        """One row of ``recover``; AgentError when the agent cannot tell."""
        overdue = row.updated_at + self.agent.timeout + _GRACE_SECONDS <= self.console.now()
        cred_ex_id = row.cred_ex_id
        if cred_ex_id is None:
            assert row.connection_id is not None  # set with ``sending``
            found = await self.agent.exchanges_on(row.connection_id)
            if found is None:
                await asyncio.to_thread(self._unknown, row.id, "exchange not in the agent's list")
                return False
            if not found:
                if overdue:
                    await asyncio.to_thread(self._fail, row.id, _NEVER_SENT, DidcommState.SENDING)
                elif row.error is not None:  # the agent answers again: drop the note
                    await asyncio.to_thread(self._unknown, row.id, None)
                return False
            signed = [r for r in found if r.state in SIGNED_STATES]
            cred_ex_id = (signed or found)[0].cred_ex_id
            await asyncio.to_thread(self._sent, row.id, cred_ex_id)
        record = await self.agent.exchange(cred_ex_id)
        if record is not None and record.state not in SIGNED_STATES | _ENDED_STATES:
            if not overdue:  # the wallet may still ask for it
                if row.error is not None:
                    await asyncio.to_thread(self._unknown, row.id, None)
                return False
            record = await self.agent.end(cred_ex_id)
        if record is None or record.state not in SIGNED_STATES:
            log.warning(
                "DIDComm issuance %s: exchange %s %s",
                row.id,
                cred_ex_id,
                record.state if record is not None else "unknown to the agent",
            )
            await asyncio.to_thread(self._fail, row.id, _NEVER_SENT if record is None else _ENDED)
            return False
        return await asyncio.to_thread(self._record, row.id, cred_ex_id)

    async def step(self) -> int:
        """One pass: settle interrupted issuances (``recover``), lapse old invitations,
        issue to wallets that have connected. Returns how many credentials were issued.
        An agent that is down is logged and asked again on the next pass (the invitation
        stays open until it lapses)."""
        issued = await self.recover()
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
        """Issue the application's credential over the connection; True once recorded.
        A known failure is recorded on the row (German sentence for the citizen); an
        unknown outcome (the agent stopped answering after the offer may have reached
        it) leaves the row to ``recover``."""
        try:
            prepared = await asyncio.to_thread(self._prepare, didcomm_id, connection_id)
        except ConsoleError as err:
            await asyncio.to_thread(self._fail, didcomm_id, err, DidcommState.INVITED)
            return False
        if prepared is None:
            return False
        try:
            cred_ex_id = await self.agent.offer(connection_id, prepared.credential)
        except AgentError as err:
            if _not_delivered(err):
                await asyncio.to_thread(
                    self._fail, didcomm_id, agent_refusal(err, "issuing", "bei der Ausstellung")
                )
            else:
                await asyncio.to_thread(self._unknown, didcomm_id, str(err))
            return False
        await asyncio.to_thread(self._sent, didcomm_id, cred_ex_id)
        try:
            done = await self.agent.signed(cred_ex_id)
        except AgentTimeoutError as err:
            await asyncio.to_thread(
                self._fail, didcomm_id, agent_refusal(err, "issuing", "bei der Ausstellung")
            )
            return False
        except AgentError as err:
            await asyncio.to_thread(self._unknown, didcomm_id, str(err))
            return False
        if done.state not in SIGNED_STATES:
            log.warning(
                "DIDComm exchange %s ended %s: %s", done.cred_ex_id, done.state, done.error_msg
            )
            await asyncio.to_thread(self._fail, didcomm_id, _ENDED)
            return False
        return await asyncio.to_thread(self._record, didcomm_id, done.cred_ex_id)

    def _prepare(self, didcomm_id: str, connection_id: str) -> _Prepared | None:
        """In one transaction: the application is still approved and its offer not taken
        by OID4VCI; take a status entry, withdraw the offer, build the credential and
        store on the row (``sending``) all that recording it later needs."""
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
                or self._unsettled_of(session, app.id)
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
            self._move(row, DidcommState.SENDING, now)
            row.connection_id = connection_id
            row.offer_id = offer.id
            row.status_list_uri = status.uri
            row.status_index = status.index
            row.jsonld_id = credential["id"]
            row.credential_sha256 = hashlib.sha256(_canonical(credential).encode()).hexdigest()
            row.issued_at = now
            row.valid_until = valid_until
            return _Prepared(row.id, connection_id, credential)

    @staticmethod
    def _unsettled_of(session: Session, application_id: str) -> bool:
        """Whether another issuance of the application is ``sending``/``issuing``."""
        return (
            session.scalars(
                select(DidcommRow.id).where(
                    DidcommRow.application_id == application_id,
                    DidcommRow.state.in_(_UNSETTLED),
                )
            ).first()
            is not None
        )

    def _sent(self, didcomm_id: str, cred_ex_id: str) -> None:
        """The agent has the offer: ``sending`` → ``issuing`` with its ``cred_ex_id``."""
        with self._sessions.begin() as session:
            row = session.get(DidcommRow, didcomm_id)
            if row is None or row.state != DidcommState.SENDING.value:
                return
            self._move(row, DidcommState.ISSUING, self.console.now())
            row.cred_ex_id = cred_ex_id

    def _unknown(self, didcomm_id: str, err: str | None) -> None:
        """The outcome is not known yet: ``err`` why the agent could not tell (a note for
        the citizen; None: it answered, the wallet has not yet), keeping ``updated_at``
        (the timeout counts from it)."""
        note = (
            None
            if err is None
            else (
                "The issuer's Aries agent could not yet tell whether the credential was sent "
                "(it may be down); the issuance is being checked.",
                "Der Aries-Agent des Amtes konnte noch nicht bestätigen, ob der Nachweis "
                "versandt wurde (er ist vielleicht gerade nicht erreichbar); die Ausstellung "
                "wird geprüft. Sie müssen nichts tun.",
            )
        )
        with self._sessions.begin() as session:
            row = session.get(DidcommRow, didcomm_id)
            if row is None or row.state not in _UNSETTLED:
                return
            before = row.error
            row.error, row.error_de = note if note is not None else (None, None)
        if err is not None and before is None:
            log.warning("DIDComm issuance %s: outcome unknown, checked again: %s", didcomm_id, err)
        elif err is not None:
            log.debug("DIDComm issuance %s still unknown: %s", didcomm_id, err)

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

    def _record(self, didcomm_id: str, cred_ex_id: str) -> bool:
        """The agent signed and sent it: credential row (channel didcomm) with the status
        entry stored on the DIDComm row, audit entry, the application ``issued``, the
        offer's claims erased, the code message replaced; False if the row is settled
        already (another pass or worker recorded it). The credential is out, so it is
        always recorded (and thus revocable); should the application have got a
        credential another way meanwhile (``_prepare`` rules that out), it is recorded
        all the same and the conflict logged as an error."""
        console = self.console
        service = console.issuer
        now = console.now()
        with service.write_lock, self._sessions.begin() as session:
            row = session.get(DidcommRow, didcomm_id)
            if row is None or row.state not in _UNSETTLED:
                return False
            app = session.get(ApplicationRow, row.application_id)
            offer = session.get(OfferRow, row.offer_id) if row.offer_id else None
            assert app is not None and offer is not None
            assert row.status_list_uri is not None and row.status_index is not None
            assert row.issued_at is not None
            duplicate = app.state != ApplicationState.APPROVED.value or self._has_credential(
                session, app.id
            )
            credential = CredentialRow(
                id=secrets.token_hex(16),
                offer_id=offer.id,
                vct=offer.vct,
                status_list_uri=row.status_list_uri,
                status_index=row.status_index,
                holder_thumbprint=self.holder_key(row.holder_did),
                issued_at=row.issued_at,
                valid_until=row.valid_until,
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
                    "jsonld_id": row.jsonld_id,
                    "application_id": app.id,
                    "offer_id": offer.id,
                    "offered_by": offer.created_by,
                    "vct": offer.vct,
                    "issuer": self.agent.did,
                    "holder_did": row.holder_did,
                    "status_list_uri": credential.status_list_uri,
                    "status_index": credential.status_index,
                    "holder_thumbprint": credential.holder_thumbprint,
                    "credential_sha256": row.credential_sha256,
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
            if row.state == DidcommState.SENDING.value:
                self._move(row, DidcommState.ISSUING, now)
            self._move(row, DidcommState.ISSUED, now)
            row.cred_ex_id = cred_ex_id
            row.credential_id = credential.id
            row.error = row.error_de = None
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
        return True

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
_UNSETTLED: Final = frozenset({DidcommState.SENDING.value, DidcommState.ISSUING.value})
_NEVER_SENT: Final = DidcommFailedError(
    "The credential offer never reached the issuer's Aries agent; nothing was issued and "
    "the application stays approved.",
    "Das Angebot hat den Aries-Agenten des Amtes nie erreicht; es wurde nichts ausgestellt, "
    "der Antrag bleibt genehmigt. Bitte erneut versuchen.",
)
_ENDED: Final = DidcommFailedError(
    "The Aries wallet did not take the credential; nothing was issued and the application "
    "stays approved.",
    "Die Aries-Wallet hat den Nachweis nicht angenommen; es wurde nichts ausgestellt, der "
    "Antrag bleibt genehmigt.",
)


def _not_delivered(err: AgentError) -> bool:
    """Whether the agent certainly has no offer: the connection was refused, or the agent
    refused the request (HTTP 4xx). Anything else (read timeout, 5xx) may have reached it."""
    if isinstance(err, AgentUnavailableError):
        return err.reason in _NOT_DELIVERED
    return isinstance(err, AgentRequestError) and err.status_code < 500


def _canonical(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
