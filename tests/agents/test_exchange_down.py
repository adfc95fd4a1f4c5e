"""An agent that is down gives one clear sentence (English and German) and leaves no
exchange dangling: govchain abandons what it started on every agent it can reach.

These tests stop agents, so they run on their own fleet (module scope), in order:
set-up with everything up, then the holder down, then the verifier down."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from govchain.agents import (
    AgentAdminClient,
    AgentFleet,
    AgentRole,
    AgentUnavailableError,
    Connection,
    DidKeyType,
    ExchangeAbandonedError,
    ProofRequest,
    SubWallet,
    connect,
    issue,
    request_proof,
)
from govchain.agents.exchange import CREDENTIAL_TERMINAL_STATES, PRESENTATION_TERMINAL_STATES
from govchain.agents.verification import JsonLdVerifier
from govchain.chain.types import Did
from govchain.credentials import _samples
from govchain.credentials.dids import resolve_did
from govchain.credentials.types import StreetMusicPermit
from tests.agents.conftest import ACAPY, agent_settings, run
from tests.credentials.conftest import CredWorld


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentFleet]:
    """A fleet of its own: these tests stop agents."""
    if not ACAPY.is_file():
        pytest.skip(f"ACA-Py is not installed ({ACAPY} missing); run scripts/bootstrap-agents.sh")
    agents = AgentFleet(agent_settings(Path(tmp_path_factory.mktemp("agents-down"))))
    agents.start()
    yield agents
    agents.stop()


@dataclass(frozen=True)
class Citizen:
    wallet: SubWallet
    issuer_did: str
    holder_did: str
    to_issuer: str  # the issuer's connection id
    to_verifier: str  # the verifier's connection id
    holder_to_issuer: str
    holder_to_verifier: str


@pytest.fixture(scope="module")
def citizen(fleet: AgentFleet, chain: CredWorld) -> Citizen:
    """Everything up: a citizen connected to the issuer and the verifier, one permit."""

    async def body() -> Citizen:
        async with (
            fleet.client(AgentRole.ISSUER) as issuer,
            fleet.client(AgentRole.HOLDER) as holder,
            fleet.client(AgentRole.VERIFIER) as verifier,
        ):
            issuer_did = (await issuer.create_did(DidKeyType.ED25519)).did
            key = resolve_did(issuer_did).verification_methods[0].public_key
            chain.world.d.trust.register_did(
                chain.world.office_admin, chain.office, Did(issuer_did), key.thumbprint()
            )
            wallet = await holder.create_subwallet("Max", f"citizen-{uuid.uuid4()}")
            async with holder.for_subwallet(wallet) as me:
                to_issuer = await connect(issuer, me)
                to_verifier = await connect(verifier, me)
                allocation = chain.issuer.status_list
                assert allocation is not None
                issued = await issue(
                    to_issuer,
                    _samples.street_music_permit(chain.today()),
                    vct=StreetMusicPermit.vct,
                    issuer_did=issuer_did,
                    status=allocation.allocate(),
                    issued_at=chain.now(),
                )
                return Citizen(
                    wallet,
                    issuer_did,
                    issued.holder_did,
                    to_issuer.agent_connection_id,
                    to_verifier.agent_connection_id,
                    to_issuer.holder_connection_id,
                    to_verifier.holder_connection_id,
                )

    return run(body())


async def _open_exchanges(agent: AgentAdminClient) -> list[str]:
    """Every exchange record of the agent that is not in a terminal state."""
    credentials = [
        f"{r.cred_ex_id}:{r.state}"
        for r in await agent.credential_exchanges()
        if r.state not in CREDENTIAL_TERMINAL_STATES
    ]
    presentations = [
        f"{r.pres_ex_id}:{r.state}"
        for r in await agent.presentation_exchanges()
        if r.state not in PRESENTATION_TERMINAL_STATES
    ]
    return credentials + presentations


def _checks(chain: CredWorld) -> JsonLdVerifier:
    return JsonLdVerifier(status=chain.status, trust=chain.trust, clock=chain.now)


def test_holder_down_during_a_proof_request_abandons_it_on_the_verifier(
    fleet: AgentFleet, chain: CredWorld, citizen: Citizen
) -> None:
    fleet[AgentRole.HOLDER].stop()
    holder_url = fleet.settings.admin_url(AgentRole.HOLDER)

    async def body() -> list[str]:
        async with (
            fleet.client(AgentRole.HOLDER) as holder,
            fleet.client(AgentRole.VERIFIER) as verifier,
        ):
            connection = Connection(
                verifier,
                holder.for_subwallet(citizen.wallet),
                citizen.to_verifier,
                citizen.holder_to_verifier,
            )
            with pytest.raises(ExchangeAbandonedError) as info:
                await request_proof(
                    connection,
                    ProofRequest(StreetMusicPermit(), issuers=(citizen.issuer_did,)),
                    verifier=_checks(chain),
                )
            assert str(info.value) == (
                f"The holder agent at {holder_url} is down, so the presentation request "
                f"{info.value.what.split()[-1]} was abandoned; start the agent and try again."
            )
            assert info.value.message_de.startswith(f"Der Agent holder unter {holder_url}")
            # the request was sent and is now ended on the verifier, not left waiting
            records = await verifier.presentation_exchanges()
            assert [r.state for r in records if r.pres_ex_id in info.value.what] == ["abandoned"]
            return await _open_exchanges(verifier)

    assert run(body()) == []


def test_holder_down_during_issuance_abandons_the_offer_on_the_issuer(
    fleet: AgentFleet, chain: CredWorld, citizen: Citizen
) -> None:
    assert not fleet[AgentRole.HOLDER].is_running()

    async def body() -> list[str]:
        async with (
            fleet.client(AgentRole.HOLDER) as holder,
            fleet.client(AgentRole.ISSUER) as issuer,
        ):
            connection = Connection(
                issuer, holder.for_subwallet(citizen.wallet), citizen.to_issuer, ""
            )
            allocation = chain.issuer.status_list
            assert allocation is not None
            claims = _samples.street_music_permit(chain.today())
            # without a holder DID govchain must ask the holder first: nothing is sent
            before = len(await issuer.credential_exchanges())
            with pytest.raises(AgentUnavailableError, match=r"The holder agent at .* cannot be"):
                await issue(
                    connection,
                    claims,
                    vct=StreetMusicPermit.vct,
                    issuer_did=citizen.issuer_did,
                    status=allocation.allocate(),
                    issued_at=chain.now(),
                )
            assert len(await issuer.credential_exchanges()) == before
            # with it, the offer goes out and is abandoned when the holder is found down
            with pytest.raises(ExchangeAbandonedError, match=r"so the credential offer .* was"):
                await issue(
                    connection,
                    claims,
                    vct=StreetMusicPermit.vct,
                    issuer_did=citizen.issuer_did,
                    status=allocation.allocate(),
                    issued_at=chain.now(),
                    holder_did=citizen.holder_did,
                )
            assert len(await issuer.credential_exchanges()) == before + 1
            return await _open_exchanges(issuer)

    assert run(body()) == []


def test_connecting_to_a_holder_that_is_down_withdraws_the_invitation(
    fleet: AgentFleet, citizen: Citizen
) -> None:
    assert not fleet[AgentRole.HOLDER].is_running()

    async def body() -> None:
        async with (
            fleet.client(AgentRole.HOLDER) as holder,
            fleet.client(AgentRole.VERIFIER) as verifier,
        ):
            before = {c.connection_id for c in await verifier.connections()}
            with pytest.raises(ExchangeAbandonedError, match="so the connection invitation"):
                await connect(verifier, holder.for_subwallet(citizen.wallet))
            assert {c.connection_id for c in await verifier.connections()} == before

    run(body())


def test_verifier_down_gives_one_clear_sentence(
    fleet: AgentFleet, chain: CredWorld, citizen: Citizen
) -> None:
    fleet[AgentRole.VERIFIER].stop()
    url = fleet.settings.admin_url(AgentRole.VERIFIER)

    async def body() -> None:
        async with (
            fleet.client(AgentRole.HOLDER) as holder,
            fleet.client(AgentRole.VERIFIER) as verifier,
        ):
            connection = Connection(
                verifier,
                holder.for_subwallet(citizen.wallet),
                citizen.to_verifier,
                citizen.holder_to_verifier,
            )
            with pytest.raises(AgentUnavailableError) as info:
                await request_proof(
                    connection, ProofRequest(StreetMusicPermit()), verifier=_checks(chain)
                )
            assert str(info.value) == (
                f"The verifier agent at {url} cannot be reached (ConnectError); is it running?"
            )
            assert "nicht erreichbar" in info.value.message_de

    run(body())
