"""Field checks over DIDComm: an Aries wallet answers through the verifier's ACA-Py agent.

The same check definition (``checks.py``) as the OID4VP path, the same result model and
the same store; only the transport differs::

    official ── POST /verifier/v1/didcomm/requests ──▶ DidcommChannel.create_request
        the verifier agent creates an out-of-band invitation (DID exchange 1.1);
        the page shows it as QR code and link
    citizen's wallet ── receives the invitation ──▶ connection active on the agent
    DidcommChannel (a background task per request, woken by the agent's webhooks where
    they are set up, reading the agent's admin API; polling is the fallback)
        ── present-proof 2.0 request (DIF presentation definition from the check) ──▶
        ◀── the wallet's presentation, checked by ACA-Py (Data Integrity proofs) ──
        ── VerifierService.receive_presentation: JsonLdVerifier (holder binding, time,
           status and trust on chain, the type policy), minimised to the check's claims,
           stored like an OID4VP answer

Nothing is left dangling: when the agent cannot be reached the request is marked failed
(the page says so in German); when the time runs out, the wallet refuses (a problem
report on the exchange's thread, which ACA-Py 1.7's verifier agent only passes on as a
webhook), the service stops or anything fails, the exchange is abandoned on the agent
(a problem report tells the wallet) and the invitation or connection is removed. The
admin API key stays in this process; the browser only ever sees the invitation.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from govchain.agents.admin import AgentAdminClient
from govchain.agents.errors import AgentError, AgentRequestError, AgentUnavailableError
from govchain.agents.exchange import PRESENTATION_TERMINAL_STATES, ProofRequest
from govchain.agents.schemas import PresentationExchange
from govchain.agents.verification import presented_credentials
from govchain.verifier._store import Failure
from govchain.verifier.checks import CheckParams, FieldCheck
from govchain.verifier.errors import TooManyDidcommChecksError, VerifierAgentUnavailableError
from govchain.verifier.service import VerifierService

__all__ = [
    "FALLBACK_MAX_POLL_SECONDS",
    "FALLBACK_POLL_SECONDS",
    "WEBHOOK_TOPICS",
    "CreatedDidcommRequest",
    "DidcommChannel",
    "proof_request",
]

log = logging.getLogger(__name__)

_CLEAN_UP_SECONDS: Final = 5.0  # how long clean-up may take when the service stops

FALLBACK_POLL_SECONDS: Final = 2.0
"""With the agent's webhooks, polling only catches lost ones: the first wait ..."""
FALLBACK_MAX_POLL_SECONDS: Final = 15.0
"""... growing to this (a lost webhook delays a check by at most this much)."""

WEBHOOK_TOPICS: Final = frozenset({"connections", "present_proof_v2_0", "problem_report"})
"""The verifier agent's webhook topics a check acts on (all others are accepted, unused)."""

_REPORT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


@dataclass(frozen=True)
class CreatedDidcommRequest:
    """A new DIDComm check: the official keeps ``request_id``; the wallet scans
    ``invitation_url`` (an out-of-band invitation, ``?oob=``)."""

    request_id: str
    check: str
    title_de: str
    invitation_url: str
    invitation: dict[str, Any]
    expires_at: int


def proof_request(check: FieldCheck, params: CheckParams) -> ProofRequest:
    """The present-proof request of a check: its credential type, exactly the claims the
    check needs (the DCQL query's paths below ``credentialSubject``) and its policy
    context. Any accredited issuer is accepted: trust is decided on chain."""
    fields: list[str] = []
    for path in check.claims(params):
        dotted = ".".join(str(key) for key in path if key is not None)
        if dotted not in fields:
            fields.append(dotted)
    return ProofRequest(check.ctype(), fields=tuple(fields), context=check.context(params))


def _failure(err: AgentError, url: str) -> Failure:
    """Why the agent ended a check: unreachable (also while it shuts down: ACA-Py answers
    503 then), or a refused call."""
    reason: str | None = None
    if isinstance(err, AgentUnavailableError):
        reason = err.reason
    elif isinstance(err, AgentRequestError) and err.status_code in {502, 503, 504}:
        reason = f"HTTP {err.status_code}"
    if reason is not None:
        return Failure(
            "agent-unavailable",
            f"the verifier agent at {url} cannot be reached ({reason}).",
            f"Der Prüf-Agent unter {url} ist nicht erreichbar ({reason}).",
        )
    return Failure("agent-error", f"{err.message}.", f"{err.message_de}.")


_DECLINED: Final = Failure(
    "wallet-declined",
    "the wallet declined the request or holds no matching credential.",
    "Die Wallet hat die Anfrage abgelehnt oder hat keinen passenden Nachweis.",
)


def _refused(description: object) -> Failure:
    """A wallet's problem report on the presentation request's thread: it did not present.
    Only a short token of the wallet's report is kept (its ``code``, e.g. ``abandoned``);
    its free text is the wallet's and never reaches the page."""
    code = description.get("code") if isinstance(description, dict) else None
    known = isinstance(code, str) and _REPORT_CODE.match(code) is not None
    return Failure(
        "wallet-refused",
        "the wallet did not show the credential: it holds no matching one or declined "
        f"(its problem report: {code if known else 'no code'}).",
        "Die Wallet hat den Nachweis nicht gezeigt: sie hat keinen passenden Nachweis oder "
        f"hat abgelehnt (Meldung der Wallet: {code if known else 'ohne Code'}).",
    )


_STOPPED: Final = Failure(
    "service-stopped",
    "the verifier service was stopped during the check.",
    "Der Prüfdienst wurde während der Prüfung beendet.",
)
_INTERNAL: Final = Failure(
    "internal-error",
    "an unexpected error ended the check (see the verifier's log).",
    "Ein unerwarteter Fehler hat die Prüfung beendet (siehe Protokoll des Prüfdienstes).",
)


@dataclass
class _Progress:
    """How far one request got on the agent (what has to be cleaned up), and what the
    agent's webhooks said about it."""

    request_id: str
    invi_msg_id: str
    connection_id: str | None = None
    exchange: PresentationExchange | None = None
    refused: Failure | None = None  # the wallet's problem report on the exchange's thread
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # a webhook concerns it


class DidcommChannel:
    """Starts DIDComm checks on the verifier agent and follows each to its end.

    Args:
        service: the verifier service (store, clock, verification, minimisation).
        agent: the verifier agent's admin client (owned by the caller; closed by it).
        poll_seconds: the first wait before the agent's records are read again.
        max_poll_seconds: the longest wait: each wait is 1.5 times the one before, up to
            this (a check nobody answers costs about one read every 2 s, not 5 a second).
        webhooks: whether the agent's webhooks reach ``notify`` (then a webhook ends a
            wait at once, and polling is only the fallback for lost ones: the caller
            passes slow ``poll_seconds``/``max_poll_seconds``, and the presentation is
            not read from 20 ms on but after ``poll_seconds`` too).
        linger_seconds: how long the connection is kept after a result, so ACA-Py can
            send its ``ack`` to the wallet before the connection is removed.
        max_open: how many checks may be open at once (each holds an invitation on the
            agent and a task); beyond it TooManyDidcommChecksError, nothing started.
    """

    def __init__(
        self,
        service: VerifierService,
        agent: AgentAdminClient,
        *,
        poll_seconds: float = 0.2,
        max_poll_seconds: float = 2.0,
        linger_seconds: float = 2.0,
        max_open: int = 200,
        webhooks: bool = False,
    ) -> None:
        if max_open < 1:
            raise ValueError("max_open must be at least 1")
        self.service = service
        self.agent = agent
        self.poll_seconds = poll_seconds
        self.max_poll_seconds = max(poll_seconds, max_poll_seconds)
        self.linger_seconds = linger_seconds
        self.max_open = max_open
        self.webhooks = webhooks
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._progress: dict[str, _Progress] = {}  # the open checks, for the webhooks
        # problem reports whose thread no open check knows yet (the report can overtake
        # the agent's answer to send-request); bounded, oldest dropped first
        self._early_reports: OrderedDict[str, Failure] = OrderedDict()
        self._starting = 0  # checks past the cap test that are still making their invitation

    @property
    def open_requests(self) -> list[str]:
        """Ids of the requests this process is still following."""
        return list(self._tasks)

    async def create_request(
        self, check_name: str, params: Mapping[str, Any]
    ) -> CreatedDidcommRequest:
        """Start a check over DIDComm: a fresh invitation on the verifier agent, stored
        with the request; a background task waits for the wallet and verifies.

        Nothing is stored when the agent cannot make the invitation
        (VerifierAgentUnavailableError) or ``max_open`` checks are open
        (TooManyDidcommChecksError); a bad check or parameters are refused first.
        """
        check, params_, row = self.service.new_row(check_name, params)
        if len(self._tasks) + self._starting >= self.max_open:
            log.warning("DIDComm check refused: %d checks are open", self.max_open)
            raise TooManyDidcommChecksError(self.max_open)
        self._starting += 1  # the slot is ours while the agent makes the invitation
        try:
            invitation = await self.agent.create_invitation()
        except AgentUnavailableError as err:
            raise VerifierAgentUnavailableError(self.agent.base_url, err.reason) from err
        except AgentError as err:
            raise VerifierAgentUnavailableError(
                self.agent.base_url, err.message, err.message_de
            ) from err
        finally:
            self._starting -= 1
        try:
            self.service.store.add_didcomm(row, invitation.invi_msg_id, invitation.invitation_url)
        except BaseException:
            await self._quietly(self.agent.delete_invitation(invitation.invi_msg_id))
            raise
        progress = _Progress(row.id, invitation.invi_msg_id)
        task = asyncio.create_task(
            self._follow(progress, check, params_, row.expires_at),
            name=f"didcomm-check-{row.id[:8]}",
        )
        self._tasks[row.id] = task
        self._progress[row.id] = progress

        def _done(_: asyncio.Task[None]) -> None:
            self._tasks.pop(row.id, None)
            self._progress.pop(row.id, None)

        task.add_done_callback(_done)
        log.info("DIDComm request %s created for check %s", row.id[:8], check.name)
        return CreatedDidcommRequest(
            request_id=row.id,
            check=check.name,
            title_de=check.title_de(params_),
            invitation_url=invitation.invitation_url,
            invitation=dict(invitation.invitation),
            expires_at=row.expires_at,
        )

    async def aclose(self) -> None:
        """Stop following: every open request is marked failed and cleaned up on the
        agent (as far as it answers within a few seconds)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # --- the agent's webhooks ------------------------------------------------------------

    def notify(self, topic: str, payload: Mapping[str, Any]) -> None:
        """A webhook of the verifier agent (authenticated by the route): wake the open
        check it concerns, so it reads the agent now instead of at its next poll.

        ``connections`` is matched by the invitation, ``present_proof_v2_0`` by the
        connection or exchange, ``problem_report`` (ACA-Py's generic report, which the
        agent does not apply to the exchange) by the exchange's thread: that check then
        ends at once as refused. Anything else, or a check of another worker, is ignored
        (polling still finds it).
        """
        if topic == "connections":
            invitation = payload.get("invitation_msg_id")
            for progress in self._progress.values():
                if invitation is not None and progress.invi_msg_id == invitation:
                    progress.wake.set()
        elif topic == "present_proof_v2_0":
            connection, exchange_id = payload.get("connection_id"), payload.get("pres_ex_id")
            for progress in self._progress.values():
                mine = progress.exchange is not None and progress.exchange.pres_ex_id == exchange_id
                if mine or (connection is not None and progress.connection_id == connection):
                    progress.wake.set()
        elif topic == "problem_report":
            thread = payload.get("~thread")
            thid = thread.get("thid") if isinstance(thread, dict) else None
            if not isinstance(thid, str) or not thid:
                return
            refused = _refused(payload.get("description"))
            for progress in self._progress.values():
                if progress.exchange is not None and progress.exchange.thread_id == thid:
                    log.info(
                        "DIDComm request %s: the wallet sent a problem report",
                        progress.request_id[:8],
                    )
                    progress.refused = refused
                    progress.wake.set()
                    return
            self._early_reports[thid] = refused
            while len(self._early_reports) > 2 * self.max_open:
                self._early_reports.popitem(last=False)

    # --- following one request -----------------------------------------------------------

    async def _follow(
        self,
        progress: _Progress,
        check: FieldCheck,
        params: CheckParams,
        expires_at: int,
    ) -> None:
        """Follow one request to its end, then clean up on the agent whatever the end was
        (answered, failed, refused, expired, or the service stopping)."""
        request_id = progress.request_id
        try:
            await self._steps(progress, check, params, expires_at)
        except AgentError as err:
            self.service.fail(request_id, _failure(err, self.agent.base_url))
        except asyncio.CancelledError:
            self.service.fail(request_id, _STOPPED)
            await self._clean_up_within(progress)
            raise
        except Exception:
            log.exception("DIDComm request %s failed unexpectedly", request_id[:8])
            self.service.fail(request_id, _INTERNAL)
        await self._clean_up(progress)

    async def _steps(
        self, progress: _Progress, check: FieldCheck, params: CheckParams, expires_at: int
    ) -> None:
        """invitation → connection → presentation request → presentation → result."""
        request_id = progress.request_id
        deadline = time.monotonic() + max(0, expires_at - self.service.now())
        progress.connection_id = await self._connection(progress, deadline)
        if progress.connection_id is None:
            log.info("DIDComm request %s expired before a wallet connected", request_id[:8])
            return
        request = proof_request(check, params)
        challenge = str(uuid.uuid4())  # ACA-Py insists on a UUID4
        progress.exchange = await self.agent.send_presentation_request(
            progress.connection_id, request.definition(), challenge=challenge
        )
        self.service.store.didcomm_requested(
            request_id, progress.connection_id, progress.exchange.pres_ex_id, challenge
        )
        if progress.exchange.thread_id is not None:
            progress.refused = self._early_reports.pop(progress.exchange.thread_id, None)
        progress.exchange = await self._presentation(progress, deadline)
        if progress.refused is not None:
            log.info("DIDComm request %s: the wallet refused", request_id[:8])
            self.service.fail(request_id, progress.refused)
            return  # the clean-up abandons the exchange and removes the connection
        if progress.exchange.state not in PRESENTATION_TERMINAL_STATES:
            log.info("DIDComm request %s expired before the wallet answered", request_id[:8])
            return
        self._conclude(request_id, progress.exchange, challenge, progress.connection_id)
        await asyncio.sleep(self.linger_seconds)  # ACA-Py's ack to the wallet goes out

    async def _pause(self, progress: _Progress, delay: float, deadline: float) -> float:
        """Wait ``delay`` (never past the deadline) or until a webhook concerns this
        check; the next, longer delay."""
        try:
            async with asyncio.timeout(max(0.0, min(delay, deadline - time.monotonic()))):
                await progress.wake.wait()
        except TimeoutError:
            pass
        progress.wake.clear()  # a webhook from now on wakes the next wait
        return min(delay * 1.5, self.max_poll_seconds)

    async def _connection(self, progress: _Progress, deadline: float) -> str | None:
        """The agent's connection made from this invitation, once active; None in time.
        Asks the agent for this invitation's connection only (an indexed filter), never
        for the list of all its connections."""
        delay = self.poll_seconds
        while time.monotonic() < deadline:
            for record in await self.agent.connections(invitation_msg_id=progress.invi_msg_id):
                if record.is_active:
                    return record.connection_id
            delay = await self._pause(progress, delay, deadline)
        return None

    async def _presentation(self, progress: _Progress, deadline: float) -> PresentationExchange:
        """The exchange once terminal (done or abandoned) or refused by the wallet's problem
        report, or as it stands at the deadline."""
        exchange = progress.exchange
        assert exchange is not None
        # without webhooks: a wallet usually answers within a second, so look early
        delay = self.poll_seconds if self.webhooks else min(0.02, self.poll_seconds)
        while (
            exchange.state not in PRESENTATION_TERMINAL_STATES
            and progress.refused is None
            and time.monotonic() < deadline
        ):
            delay = await self._pause(progress, delay, deadline)
            if progress.refused is not None:
                break
            exchange = await self.agent.presentation_exchange(exchange.pres_ex_id)
        return exchange

    def _conclude(
        self,
        request_id: str,
        exchange: PresentationExchange,
        challenge: str,
        connection_id: str,
    ) -> None:
        """Verify and store what the wallet presented; a refusal marks the request failed."""
        try:
            presentation, credentials = presented_credentials(exchange.model_dump())
        except (KeyError, TypeError):
            # nothing was presented: the wallet declined or had no matching credential
            log.info("DIDComm request %s: no presentation (%s)", request_id[:8], exchange.error_msg)
            self.service.fail(request_id, _DECLINED)
            return
        verified = exchange.is_verified
        presented = [(verified, presentation, credential) for credential in credentials]
        self.service.receive_presentation(
            request_id, presented, challenge=challenge, audience=f"didcomm:{connection_id}"
        )

    # --- clean-up --------------------------------------------------------------------------

    async def _clean_up(self, progress: _Progress) -> None:
        """End an open exchange (problem report to the wallet), remove the connection and
        the invitation; best effort: an agent that is down cannot be cleaned up."""
        exchange = progress.exchange
        if exchange is not None and exchange.state not in PRESENTATION_TERMINAL_STATES:
            await self._quietly(
                self.agent.abandon_presentation_exchange(
                    exchange.pres_ex_id, "the verifier ended the check"
                )
            )
        if progress.connection_id is not None:
            await self._quietly(self.agent.delete_connection(progress.connection_id))
        else:
            await self._quietly(self.agent.delete_invitation(progress.invi_msg_id))

    async def _clean_up_within(self, progress: _Progress) -> None:
        try:
            async with asyncio.timeout(_CLEAN_UP_SECONDS):
                await self._clean_up(progress)
        except TimeoutError:
            log.warning("clean-up of DIDComm request %s timed out", progress.request_id[:8])

    @staticmethod
    async def _quietly(call: Awaitable[None]) -> None:
        try:
            await call
        except AgentRequestError as err:
            log.info("clean-up call refused (already gone?): %s", err)
        except AgentError as err:
            log.info("clean-up call not possible: %s", err)
