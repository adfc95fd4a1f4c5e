"""A consortium with an accredited office, an issuer, a holder and a verifier, on the
real embedded chain (and on Ganache where a test asks for ``cred_backend``)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.chain.backends import ChainBackend, EmbeddedBackend, GanacheBackend
from govchain.chain.deployment import Founder, deploy_consortium
from govchain.chain.ganache import GanacheProcess
from govchain.chain.gateway import ChainGateway
from govchain.chain.types import LevelOfAssurance, OfficeId, Role, office_id
from govchain.credentials import (
    ChainStatusSource,
    ChainTrustSource,
    Issuer,
    KeyKind,
    PolicyContext,
    RandomIndexAllocator,
    SigningKey,
    StatusListAllocation,
    VerificationRequest,
    VerificationResult,
    Verifier,
    create_did,
    credential_types,
    present_credential,
)
from govchain.credentials.sd_jwt import ClaimPath
from govchain.credentials.types import LOCAL_TIMEZONE
from tests.conftest import World

AUDIENCE = "https://pruefung.ordnungsamt.aachen.example"


def funded(gateway: ChainGateway) -> LocalAccount:
    account: LocalAccount = Account.create()
    gateway.fund(account.address, 10**21)
    return account


@dataclass
class CredWorld:
    """A deployed consortium, an office accredited for all four types, its issuer, a
    holder's wallet key, and a verifier reading status and trust from the chain."""

    world: World
    office: OfficeId
    issuer: Issuer
    holder: SigningKey
    list_id: int
    status: ChainStatusSource
    trust: ChainTrustSource
    verifier: Verifier
    offices: int = field(default=0)

    @property
    def gateway(self) -> ChainGateway:
        return self.world.gateway

    def now(self) -> int:
        return self.gateway.block_timestamp()

    def today(self) -> date:
        return datetime.fromtimestamp(self.now(), LOCAL_TIMEZONE).date()

    def new_office(
        self,
        accreditations: dict[str, LevelOfAssurance] | None = None,
        *,
        register_did: bool = True,
        kind: KeyKind = KeyKind.P256,
        did_method: str = "jwk",
        admin: LocalAccount | None = None,
    ) -> tuple[OfficeId, Issuer]:
        """Another office (own id, own key) with the given accreditations; its admin is
        the first office's unless ``admin`` is given."""
        self.offices += 1
        w, d = self.world, self.world.d
        admin = admin or w.office_admin
        office = office_id("NRW", "Aachen", f"Amt {self.offices}")
        d.consortium.decide(
            w.aachen,
            w.cities[1:],
            d.trust.register_office_call(
                office, "NRW", "Aachen", f"Amt {self.offices}", admin.address
            ),
        )
        now = self.now()
        for vct, level in (accreditations or {}).items():
            d.trust.accredit(w.aachen, office, vct, level, now)
        key = SigningKey.generate(kind)
        did = create_did(key.public_key, did_method)
        if register_did:
            d.trust.register_did(admin, office, did, key.public_key.thumbprint())
        issuer = Issuer(key, did=did, status_list=self.issuer.status_list, clock=self.now)
        return office, issuer

    def present(
        self,
        credential: str,
        disclose: Sequence[ClaimPath],
        *,
        nonce: str | None = None,
        holder: SigningKey | None = None,
        audience: str = AUDIENCE,
        issued_at: int | None = None,
    ) -> tuple[str, str]:
        nonce = nonce or secrets.token_urlsafe(16)
        presentation = present_credential(
            credential,
            disclose=disclose,
            holder_key=holder or self.holder,
            nonce=nonce,
            audience=audience,
            issued_at=self.now() if issued_at is None else issued_at,
        )
        return presentation, nonce

    def verify(
        self,
        presentation: str,
        nonce: str,
        *,
        context: PolicyContext | None = None,
        at: int | None = None,
        verifier: Verifier | None = None,
        expected_vct: str | None = None,
    ) -> VerificationResult:
        return (verifier or self.verifier).verify(
            presentation,
            VerificationRequest(
                nonce=nonce,
                audience=AUDIENCE,
                at=self.now() if at is None else at,
                context=context or PolicyContext(),
                expected_vct=expected_vct,
            ),
        )


def build_cred_world(gateway: ChainGateway) -> CredWorld:
    actors = [funded(gateway) for _ in range(8)]
    deployer, aachen, gelsenkirchen, soest, office_admin, other_office, anchorer, outsider = actors
    d = deploy_consortium(
        gateway,
        deployer,
        [
            Founder(name="Aachen", address=aachen.address),
            Founder(name="Gelsenkirchen", address=gelsenkirchen.address),
            Founder(name="Soest", address=soest.address),
        ],
        2,
    )
    world = World(
        gateway, d, aachen, gelsenkirchen, soest, office_admin, other_office, anchorer, outsider
    )
    office = office_id("NRW", "Aachen", "Ordnungsamt")
    d.consortium.decide(
        aachen,
        world.cities[1:],
        d.trust.register_office_call(office, "NRW", "Aachen", "Ordnungsamt", office_admin.address),
    )
    world.grant(Role.TRUST_ADMIN, aachen)
    world.grant(Role.STATUS_ISSUER, office_admin)
    now = gateway.block_timestamp()
    for ctype in credential_types():
        d.trust.accredit(aachen, office, ctype.vct, LevelOfAssurance.HIGH, now)
    key = SigningKey.generate()
    did = create_did(key.public_key)
    d.trust.register_did(office_admin, office, did, key.public_key.thumbprint())
    list_id, _ = d.status.create_list(office_admin)
    status = ChainStatusSource(d.status, max_age=0)
    trust = ChainTrustSource(d.trust, max_age=0)
    uri = status.list_uri(list_id)
    allocation = StatusListAllocation(uri, RandomIndexAllocator(uri, 131_072))
    issuer = Issuer(key, did=did, status_list=allocation, clock=gateway.block_timestamp)
    verifier = Verifier(status=status, trust=trust, clock=gateway.block_timestamp)
    return CredWorld(world, office, issuer, SigningKey.generate(), list_id, status, trust, verifier)


@pytest.fixture(scope="session")
def cw() -> CredWorld:
    """One embedded chain for the credentials tests; each test uses its own status
    entries, and its own offices when it changes trust."""
    return build_cred_world(ChainGateway(EmbeddedBackend()))


@pytest.fixture(
    scope="session", params=["embedded", pytest.param("ganache", marks=pytest.mark.ganache)]
)
def cred_backend(request: pytest.FixtureRequest) -> Iterator[ChainBackend]:
    """The behaviour suite's two chains, for the tests that run on both."""
    if request.param == "embedded":
        yield EmbeddedBackend()
        return
    node: GanacheProcess = request.getfixturevalue("ganache")
    yield GanacheBackend(node.url, timeout=10)


@pytest.fixture(scope="session")
def cw_any(cred_backend: ChainBackend) -> CredWorld:
    return build_cred_world(ChainGateway(cred_backend))
