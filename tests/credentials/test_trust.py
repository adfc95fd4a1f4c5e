"""Trust decisions rest on the TrustRegistry: the verifier's evaluation of the cached
registry state answers exactly as the contract's trustAt does."""

from __future__ import annotations

from govchain.chain.types import Did, LevelOfAssurance, OfficeStatus, TrustReason
from govchain.credentials import ChainTrustSource, TrustOutcome
from govchain.credentials.types import DangerousDogPermit, StreetMusicPermit
from tests.conftest import advance_time
from tests.credentials.conftest import CredWorld

DOG, MUSIC = DangerousDogPermit.vct, StreetMusicPermit.vct
SAME = {
    TrustReason.UNKNOWN_DID: {TrustOutcome.UNKNOWN_DID},
    TrustReason.DID_NOT_VALID_AT_TIME: {TrustOutcome.DID_NOT_VALID_AT_TIME},
    TrustReason.OFFICE_NOT_ACTIVE: {TrustOutcome.OFFICE_NOT_ACTIVE},
    TrustReason.NOT_ACCREDITED: {TrustOutcome.NOT_ACCREDITED, TrustOutcome.ACCREDITATION_ENDED},
    TrustReason.TRUSTED: {TrustOutcome.TRUSTED},
}


def assert_agrees(cw: CredWorld, did: Did, vct: str, times: list[int]) -> list[TrustOutcome]:
    source = ChainTrustSource(cw.world.d.trust, max_age=0)
    seen = []
    for at in times:
        chain = cw.world.d.trust.trust_at(did, vct, at)
        local = source.trust_at(did, vct, at)
        assert local.outcome in SAME[chain.reason], (at, chain, local)
        assert local.level_of_assurance == chain.level_of_assurance
        seen.append(local.outcome)
    return seen


def test_local_evaluation_matches_trust_at_through_an_offices_life(cw: CredWorld) -> None:
    d, admin = cw.world.d, cw.world.aachen
    office, issuer = cw.new_office({DOG: LevelOfAssurance.SUBSTANTIAL})
    registered = cw.now()
    advance_time(cw.gateway, 100)
    d.trust.accredit(admin, office, DOG, LevelOfAssurance.HIGH, cw.now(), cw.now() + 50)
    upgraded = cw.now()
    advance_time(cw.gateway, 100)
    d.trust.end_accreditation(admin, office, DOG, 0)
    ended = cw.now()
    times = [registered - 500, registered, upgraded + 10, upgraded + 60, ended + 5]
    outcomes = assert_agrees(cw, issuer.did, DOG, times)
    assert outcomes == [
        TrustOutcome.DID_NOT_VALID_AT_TIME,
        TrustOutcome.TRUSTED,
        TrustOutcome.TRUSTED,
        TrustOutcome.TRUSTED,
        TrustOutcome.ACCREDITATION_ENDED,
    ]
    source = ChainTrustSource(d.trust, max_age=0)
    assert (
        source.trust_at(issuer.did, DOG, upgraded + 10).level_of_assurance is LevelOfAssurance.HIGH
    )
    assert assert_agrees(cw, issuer.did, MUSIC, [upgraded]) == [TrustOutcome.NOT_ACCREDITED]
    assert assert_agrees(cw, Did("did:key:z6Mkunknown"), DOG, [upgraded]) == [
        TrustOutcome.UNKNOWN_DID
    ]

    d.trust.set_office_status(admin, office, OfficeStatus.SUSPENDED)
    assert assert_agrees(cw, issuer.did, DOG, [registered]) == [TrustOutcome.OFFICE_NOT_ACTIVE]


def test_the_trust_cache_sees_a_change_after_one_block_period(cw: CredWorld) -> None:
    office, issuer = cw.new_office({DOG: LevelOfAssurance.SUBSTANTIAL})
    ticks = [0.0]
    source = ChainTrustSource(cw.world.d.trust, max_age=2.0, clock=lambda: ticks[0])
    at = cw.now()
    assert source.trust_at(issuer.did, DOG, at).trusted
    cw.world.d.trust.set_office_status(cw.world.aachen, office, OfficeStatus.SUSPENDED)
    ticks[0] += 2.0
    assert source.trust_at(issuer.did, DOG, at).outcome is TrustOutcome.OFFICE_NOT_ACTIVE
    assert source.trust_at(issuer.did, DOG, at).key_thumbprint == issuer.key.public_key.thumbprint()


def test_trust_caches_are_bounded_and_never_keyed_by_unknown_types(cw: CredWorld) -> None:
    """Presentations choose DIDs and vcts; the cache must only ever evict, not grow."""
    source = ChainTrustSource(cw.world.d.trust, max_age=3600, max_entries=2)
    issuers = [cw.issuer.did] + [cw.new_office({DOG: LevelOfAssurance.HIGH})[1].did for _ in "ab"]
    at = cw.now()
    for did in issuers:
        assert source.trust_at(did, DOG, at).trusted
    assert len(source._cache) == 2
    unknown = "https://vct.attacker.example/" + "x" * 1000
    verdict = source.trust_at(cw.issuer.did, unknown, at)
    assert verdict.outcome is TrustOutcome.NOT_ACCREDITED
    assert len(source._cache) == 2 and all(vct == DOG for _, vct in source._cache._entries)
    assert source.office_admin(cw.office) == cw.world.office_admin.address
