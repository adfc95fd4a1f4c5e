"""DIDComm exchanges between govchain's agents: connect, issue, request a proof.

This is the layer govchain's services build their DIDComm paths on (the issuer's DIDComm
channel, the verifier service, the citizen wallet's Aries path). It drives the ACA-Py
admin API of both sides of an exchange and hides what ACA-Py 1.7 needs to get right
(see docs/agents.md)::

    async with fleet.client(AgentRole.ISSUER) as issuer, fleet.client(AgentRole.HOLDER) as holder:
        citizen = holder.for_subwallet(await holder.create_subwallet("Max", "citizen-42"))
        to_citizen = await connect(issuer, citizen)
        issued = await issue(
            to_citizen, claims, vct=StreetMusicPermit.vct, issuer_did=did,
            status=reference, issued_at=now,
        )
        to_verifier = await connect(verifier, citizen)
        outcome = await request_proof(
            to_verifier, ProofRequest(StreetMusicPermit(), issuers=(did,)), verifier=checks
        )
        outcome.result.valid

* ``connect``: an out-of-band invitation (DID exchange 1.1) from an issuer or verifier
  agent, received by a holder sub-wallet; returns when both sides are active.
* ``issue``: a canonical record of one of the four types as a VCDM 2.0 JSON-LD
  credential (``to_jsonld_credential``) over issue-credential 2.0 with ``ld_proof``;
  returns when the holder has stored it (``IssuedCredential.credential_id``).
* ``request_proof``: present-proof 2.0 with a DIF presentation definition built from a
  ``ProofRequest``; ACA-Py checks the proofs, then ``JsonLdVerifier`` checks holder
  binding, validity, status and trust on the chain and the type's policy.

An agent that is down mid-exchange never leaves the exchange dangling: govchain ends it
on every agent it can still reach (``problem-report``: state ``abandoned``, the other
side is told) or withdraws the invitation, then raises ``ExchangeAbandonedError`` with
one sentence in English and German. A timeout abandons the same way before
``AgentTimeoutError`` is raised.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel

from govchain.agents.admin import AgentAdminClient
from govchain.agents.errors import (
    AgentError,
    AgentTimeoutError,
    AgentUnavailableError,
    DidKeyTypeError,
    ExchangeAbandonedError,
    ExchangeFailedError,
)
from govchain.agents.jsonld import VOCAB, to_jsonld_credential, type_name
from govchain.agents.schemas import CredentialExchange, DidKeyType, PresentationExchange
from govchain.agents.verification import (
    JsonLdVerifier,
    bbs_status_entry,
    presented_credentials,
)
from govchain.credentials.dids import resolve_did
from govchain.credentials.errors import DidError
from govchain.credentials.keys import KeyKind
from govchain.credentials.status import StatusReference
from govchain.credentials.types import (
    CredentialClaims,
    CredentialType,
    PolicyContext,
    credential_type,
)
from govchain.credentials.verification import VerificationRequest, VerificationResult

__all__ = [
    "CREDENTIAL_TERMINAL_STATES",
    "PRESENTATION_TERMINAL_STATES",
    "Connection",
    "IssuedCredential",
    "ProofOutcome",
    "ProofRequest",
    "ProofType",
    "check_did_key_type",
    "connect",
    "issue",
    "request_proof",
]

log = logging.getLogger(__name__)

# ACA-Py's states after which nothing more happens in an exchange
CREDENTIAL_TERMINAL_STATES: Final = frozenset({"done", "abandoned", "credential-revoked"})
PRESENTATION_TERMINAL_STATES: Final = frozenset({"done", "abandoned"})
_VC_SCHEMA: Final = "https://www.w3.org/2018/credentials#VerifiableCredential"
_LIVENESS_SECONDS: Final = 1.0  # how often the other side is checked while waiting


class ProofType(StrEnum):
    """Data Integrity suites govchain issues with."""

    ED25519_2020 = "Ed25519Signature2020"
    BBS_BLS_2020 = "BbsBlsSignature2020"

    @property
    def key_type(self) -> DidKeyType:
        """The did:key type the issuer and the subject need for this suite."""
        return DidKeyType.BLS12381G2 if self is ProofType.BBS_BLS_2020 else DidKeyType.ED25519

    @property
    def key_kind(self) -> KeyKind:
        """The same as a govchain key kind (what ``resolve_did`` gives)."""
        return KeyKind.BLS12381G2 if self is ProofType.BBS_BLS_2020 else KeyKind.ED25519


def check_did_key_type(did: str, proof_type: ProofType, role: str = "subject") -> None:
    """Refuse a DID that cannot sign or be the subject of `proof_type` proofs.

    ACA-Py signs and derives proofs with the did:key of the issuer and of the
    credential's subject. With the wrong key type it still issues, and the proofs fail
    later without a word (the issue's warning for BBS+: the holder cannot derive a proof
    unless the subject is a bls12381g2 did:key). So govchain checks first.

    Args:
        did: the issuer's DID or the credential subject's.
        proof_type: the suite the credential is to be signed with.
        role: "issuer" or "subject", for the message.

    Raises:
        DidKeyTypeError: not a did:key of ``proof_type.key_type``.
    """
    role_de = "Der Aussteller" if role == "issuer" else "Das Subjekt des Credentials"
    role_en = "issuer" if role == "issuer" else "credential subject"
    found: str | None = None
    if not did.startswith("did:key:"):
        found = "not a did:key"
    else:
        try:
            kind = resolve_did(did).key.kind
        except DidError as err:
            found = err.message
        else:
            if kind is not proof_type.key_kind:
                found = f"its key is {kind.value}"
    if found is not None:
        raise DidKeyTypeError(
            role_en, role_de, did, proof_type.value, proof_type.key_type.value, found
        )


@dataclass(frozen=True)
class Connection:
    """An active DIDComm connection between an issuer or verifier agent and a holder
    (sub-wallet), with both admin clients so govchain can follow and clean up both sides.
    """

    agent: AgentAdminClient
    holder: AgentAdminClient
    agent_connection_id: str
    holder_connection_id: str


@dataclass(frozen=True)
class IssuedCredential:
    """A credential issued over DIDComm and stored in the holder's wallet."""

    credential_id: str  # the credential's ``id`` (urn:uuid:...), also its wallet key
    record_id: str  # the holder wallet's W3C record id
    cred_ex_id: str  # the issuer's issue-credential 2.0 exchange (kept, state done)
    holder_did: str
    credential: dict[str, Any]  # as signed and stored


@dataclass(frozen=True)
class ProofRequest:
    """What a verifier asks for: one credential of a govchain type.

    Args:
        ctype: the credential type (one of the four).
        issuers: accepted issuer DIDs (empty: any; trust is checked on chain anyway).
        fields: claims to ask for, as dotted paths below ``credentialSubject``
            (``"address.city"``); None asks for every required claim of the type.
        limit_disclosure: only the named fields are disclosed (needs
            ``proof_type=ProofType.BBS_BLS_2020``; the validity period and the status
            entry are always disclosed too, so govchain can check them).
        proof_type: the suite the credential must be signed with.
        context: what the type policy needs on the spot (zone, chip number, ...).
    """

    ctype: CredentialType
    issuers: tuple[str, ...] = ()
    fields: tuple[str, ...] | None = None
    limit_disclosure: bool = False
    proof_type: ProofType = ProofType.ED25519_2020
    context: PolicyContext = field(default_factory=PolicyContext)

    def __post_init__(self) -> None:
        if self.limit_disclosure and self.proof_type is not ProofType.BBS_BLS_2020:
            raise ValueError(
                "limit_disclosure needs proof_type=ProofType.BBS_BLS_2020: "
                f"{self.proof_type.value} signs all claims together"
            )

    def claim_paths(self) -> tuple[str, ...]:
        """The requested claim paths (the type's required top-level claims by default)."""
        if self.fields is not None:
            return self.fields
        model: type[BaseModel] = self.ctype.model
        return tuple(name for name, info in model.model_fields.items() if info.is_required())

    def definition(self) -> dict[str, Any]:
        """The DIF presentation definition (the shape ACA-Py 1.7 can match).

        ``schema`` is matched against the credential's *expanded* types, where a VCDM 2.0
        credential's base type is the v1 IRI; the govchain type is a string filter on
        ``$.type[*]`` because ACA-Py 1.7 has no array filters (``contains``); every
        descriptor needs ``constraints`` (ACA-Py's holder crashes without).
        """
        schema = _VC_SCHEMA
        fields: list[dict[str, Any]] = []
        if self.limit_disclosure:
            # ACA-Py builds the BBS reveal frame from the field paths: "$.type[*]" turns
            # into "type": [{}], which pyld refuses; the type's IRI as schema selects
            schema = f"{VOCAB}{type_name(self.ctype)}"
        else:
            fields.append(
                {
                    "path": ["$.type[*]"],
                    "filter": {"type": "string", "const": type_name(self.ctype)},
                }
            )
        if len(self.issuers) == 1:
            fields.append({"path": ["$.issuer"], "filter": {"const": self.issuers[0]}})
        elif self.issuers:
            fields.append({"path": ["$.issuer"], "filter": {"enum": list(self.issuers)}})
        fields += [{"path": [f"$.credentialSubject.{p}"]} for p in self.claim_paths()]
        constraints: dict[str, Any] = {"fields": fields}
        if self.limit_disclosure:
            constraints["limit_disclosure"] = "required"
            # ACA-Py reveals every path of a field that matches: validFrom always does
            # (the field is satisfied), validUntil too when the credential has one, so
            # an expiry cannot be withheld; and the status entry (bbs_status_entry).
            # Without these JsonLdVerifier could not check validity and status.
            fields += [
                {"path": ["$.validFrom", "$.validUntil"]},
                {"path": ["$.credentialStatus"]},
            ]
        return {
            "id": str(uuid.uuid4()),
            "format": {"ldp_vp": {"proof_type": [self.proof_type.value]}},
            "input_descriptors": [
                {
                    "id": type_name(self.ctype),
                    "schema": [{"uri": schema}],
                    "constraints": constraints,
                }
            ],
        }


@dataclass(frozen=True)
class ProofOutcome:
    """The answer to a proof request: govchain's verdict and what was presented."""

    result: VerificationResult
    exchange: PresentationExchange
    presentation: dict[str, Any] | None
    credential: dict[str, Any] | None


def _name(client: AgentAdminClient) -> str:
    return client.name


# --- connect ---------------------------------------------------------------------------


async def connect(
    agent: AgentAdminClient,
    holder: AgentAdminClient,
    *,
    alias: str | None = None,
    timeout: float = 30.0,
) -> Connection:
    """Connect an issuer or verifier agent with a holder (sub-wallet) out of band.

    The agent creates a DID exchange 1.1 invitation, the holder receives and accepts it;
    returns once both sides are active. If either side is down or it does not finish in
    time, the invitation is withdrawn (its records deleted) on the agent that made it.
    """
    invitation = await agent.create_invitation(alias=alias)
    holder_connection_id: str | None = None
    try:
        oob = await holder.receive_invitation(invitation.invitation, alias=alias)
        holder_connection_id = oob.connection_id
        if holder_connection_id is None:
            raise ExchangeFailedError("connection", invitation.invi_msg_id, "no connection")
        deadline = time.monotonic() + timeout
        await holder.wait_for_connection(holder_connection_id, timeout=timeout)
        while True:
            mine = [
                c
                for c in await agent.connections()
                if c.invitation_msg_id == invitation.invi_msg_id
            ]
            if mine and mine[0].is_active:
                return Connection(agent, holder, mine[0].connection_id, holder_connection_id)
            if time.monotonic() >= deadline:
                state = mine[0].state.value if mine else "invitation"
                raise AgentTimeoutError("connection", invitation.invi_msg_id, state, timeout)
            await asyncio.sleep(0.05)
    except (AgentError, asyncio.CancelledError) as err:
        await _quietly(agent.delete_invitation(invitation.invi_msg_id))
        if holder_connection_id is not None:
            await _quietly(holder.delete_connection(holder_connection_id))
        if isinstance(err, AgentUnavailableError):
            down = holder if err.url == holder.base_url else agent
            raise ExchangeAbandonedError(
                f"connection invitation {invitation.invi_msg_id}",
                f"die Verbindungseinladung {invitation.invi_msg_id}",
                _name(down),
                down.base_url,
            ) from err
        raise


async def _quietly(call: Awaitable[None]) -> None:
    """Clean-up on a best-effort basis: an agent that is down cannot be cleaned up."""
    try:
        await call
    except AgentError as err:
        log.info("clean-up call not possible: %s", err)


# --- waiting with the other side in view ---------------------------------------------------


async def _settle[R: (CredentialExchange, PresentationExchange)](
    connection: Connection,
    fetch: Callable[[], Awaitable[R]],
    terminal: frozenset[str],
    abandon: Callable[[str], Awaitable[None]],
    abandon_holder_side: Callable[[], Awaitable[None]],
    what: tuple[str, str],
    record_id: str,
    timeout: float,
) -> R:
    """Poll the agent's record until it is terminal, keeping an eye on the holder.

    If the holder is down, the agent's record is abandoned; if the agent itself is
    down, the holder's record of the same thread is. Then ExchangeAbandonedError.
    """
    deadline = time.monotonic() + timeout
    next_liveness = time.monotonic() + _LIVENESS_SECONDS
    delay = 0.02
    while True:
        try:
            record = await fetch()
        except AgentUnavailableError as err:
            await abandon_holder_side()
            raise ExchangeAbandonedError(
                *what, _name(connection.agent), connection.agent.base_url
            ) from err
        if record.state in terminal:
            return record
        now = time.monotonic()
        if now >= next_liveness:
            next_liveness = now + _LIVENESS_SECONDS
            try:
                await connection.holder.ready()
            except AgentUnavailableError as err:
                await _quietly(abandon("the holder agent is down"))
                raise ExchangeAbandonedError(
                    *what, _name(connection.holder), connection.holder.base_url
                ) from err
        if now >= deadline:
            await _quietly(abandon(f"no answer within {timeout:.0f} s"))
            raise AgentTimeoutError(what[0], record_id, record.state, timeout)
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.2)


# --- issue-credential 2.0 ----------------------------------------------------------------


async def issue(
    connection: Connection,
    claims: CredentialClaims,
    *,
    vct: str,
    issuer_did: str,
    status: StatusReference,
    issued_at: int,
    holder_did: str | None = None,
    valid_until: int | None = None,
    proof_type: ProofType = ProofType.ED25519_2020,
    timeout: float = 30.0,
) -> IssuedCredential:
    """Issue a canonical record as a VCDM 2.0 JSON-LD credential over the connection.

    The credential gets a fresh ``urn:uuid`` id, the holder's did:key as subject (a
    fresh one of the key type `proof_type` needs unless `holder_did` is given) and the
    ``BitstringStatusListEntry`` of `status` (the same entry as the record's SD-JWT VC).
    Returns once the holder has stored it. ExchangeFailedError if the holder refused it;
    DidKeyTypeError, before anything is sent, if `issuer_did` or `holder_did` is not a
    did:key of the type `proof_type` needs (BBS+: bls12381g2).
    """
    ctype = credential_type(vct)
    record = ctype.parse(claims)
    check_did_key_type(issuer_did, proof_type, "issuer")
    if holder_did is not None:
        check_did_key_type(holder_did, proof_type, "subject")
    else:
        holder_did = (await connection.holder.create_did(proof_type.key_type)).did
    credential = to_jsonld_credential(
        record,
        vct=vct,
        issuer=issuer_did,
        holder=holder_did,
        issued_at=issued_at,
        status=status,
        valid_until=valid_until,
    )
    if proof_type is ProofType.BBS_BLS_2020:
        credential["credentialStatus"] = bbs_status_entry(credential["credentialStatus"])
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    credential = {"id": credential_id, **credential}
    agent = connection.agent
    offer = await agent.send_ld_credential_offer(
        connection.agent_connection_id, credential, proof_type.value
    )
    what = (f"credential offer {offer.cred_ex_id}", f"das Credential-Angebot {offer.cred_ex_id}")

    async def abandon_holder_side() -> None:
        holder_side = [
            r
            for r in await _or_empty(connection.holder.credential_exchanges())
            if r.thread_id == offer.thread_id and r.state not in CREDENTIAL_TERMINAL_STATES
        ]
        for r in holder_side:
            await _quietly(
                connection.holder.abandon_credential_exchange(r.cred_ex_id, "issuer down")
            )

    done = await _settle(
        connection,
        lambda: agent.credential_exchange(offer.cred_ex_id),
        CREDENTIAL_TERMINAL_STATES,
        lambda reason: agent.abandon_credential_exchange(offer.cred_ex_id, reason),
        abandon_holder_side,
        what,
        offer.cred_ex_id,
        timeout,
    )
    if done.state != "done":
        raise ExchangeFailedError("credential exchange", done.cred_ex_id, done.error_msg or "")
    stored = await connection.holder.w3c_credentials(given_id=credential_id)
    if not stored:
        raise ExchangeFailedError("credential exchange", done.cred_ex_id, "not stored")
    return IssuedCredential(
        credential_id=credential_id,
        record_id=str(stored[0]["record_id"]),
        cred_ex_id=done.cred_ex_id,
        holder_did=holder_did,
        credential=dict(stored[0]["cred_value"]),
    )


async def _or_empty[T](call: Awaitable[Sequence[T]]) -> Sequence[T]:
    try:
        return await call
    except AgentError:
        return []


# --- present-proof 2.0 --------------------------------------------------------------------


async def request_proof(
    connection: Connection,
    request: ProofRequest,
    *,
    verifier: JsonLdVerifier,
    domain: str | None = None,
    at: int | None = None,
    timeout: float = 30.0,
) -> ProofOutcome:
    """Ask the holder for a presentation and verify it: ACA-Py's proof check, then
    govchain's chain checks (holder binding, validity, status, trust, type policy).

    A holder that has no matching credential (or declines) ends the exchange as
    ``abandoned``: the result is refused with the signature check failed, and
    ``outcome.exchange.error_msg`` says why.
    """
    agent = connection.agent
    challenge = str(uuid.uuid4())  # ACA-Py insists on a UUID4 (122 random bits)
    sent = await agent.send_presentation_request(
        connection.agent_connection_id, request.definition(), challenge=challenge, domain=domain
    )
    what = (
        f"presentation request {sent.pres_ex_id}",
        f"die Nachweisanfrage {sent.pres_ex_id}",
    )

    async def abandon_holder_side() -> None:
        holder_side = [
            r
            for r in await _or_empty(connection.holder.presentation_exchanges())
            if r.thread_id == sent.thread_id and r.state not in PRESENTATION_TERMINAL_STATES
        ]
        for r in holder_side:
            await _quietly(
                connection.holder.abandon_presentation_exchange(r.pres_ex_id, "verifier down")
            )

    exchange = await _settle(
        connection,
        lambda: agent.presentation_exchange(sent.pres_ex_id),
        PRESENTATION_TERMINAL_STATES,
        lambda reason: agent.abandon_presentation_exchange(sent.pres_ex_id, reason),
        abandon_holder_side,
        what,
        sent.pres_ex_id,
        timeout,
    )
    presentation: dict[str, Any] | None = None
    credential: dict[str, Any] | None = None
    try:
        presentation, credentials = presented_credentials(exchange.model_dump())
        credential = credentials[0] if credentials else None
    except (KeyError, TypeError):
        pass  # nothing was presented (abandoned by the holder)
    checks = VerificationRequest(
        nonce=challenge,
        # ACA-Py checked the challenge (and domain) in the presentation's proof
        audience=domain or f"didcomm:{connection.agent_connection_id}",
        at=at,
        context=request.context,
        expected_vct=request.ctype.vct,
    )
    result = verifier.verify_presented(
        exchange.is_verified and credential is not None,
        presentation or {},
        credential or {},
        checks,
    )
    return ProofOutcome(result, exchange, presentation, credential)
