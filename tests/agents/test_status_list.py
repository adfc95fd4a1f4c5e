"""The W3C Bitstring Status List credential served from chain state and signed by the
issuer agent: revoke on chain -> the served list shows it, and the proof verifies."""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from govchain.agents import AgentFleet, AgentRole, DidKeyType
from govchain.agents.status_list import StatusListPublisher
from govchain.chain.types import CredentialStatus, Role
from govchain.credentials.status import StatusListUri, entry_of, read_bitstring_status_list
from tests.agents.conftest import run
from tests.credentials.conftest import CredWorld


@pytest.fixture(scope="module")
def publisher(fleet: AgentFleet, chain: CredWorld) -> Iterator[StatusListPublisher]:
    async def issuer_did() -> str:
        async with fleet.client(AgentRole.ISSUER) as issuer:
            return (await issuer.create_did(DidKeyType.ED25519)).did

    published = StatusListPublisher(
        chain.status,
        lambda: fleet.client(AgentRole.ISSUER),
        run(issuer_did()),
        owner=chain.world.office_admin.address,
        clock=chain.now,
    )
    fleet.contexts.serve_status(published.serve)
    yield published
    fleet.contexts.serve_status(None)


def _fetch(fleet: AgentFleet, url: str) -> tuple[int, dict[str, Any]]:
    """GET the loopback stand-in of a https://status.govchain.de/ URL."""
    path = "/status/" + url.removeprefix("https://status.govchain.de/")
    try:
        with urllib.request.urlopen(fleet.contexts.url.rstrip("/") + path, timeout=30) as r:
            assert r.headers["Content-Type"] == "application/vc"
            return r.status, json.load(r)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def _verified(fleet: AgentFleet, document: dict[str, Any]) -> bool:
    async def body() -> bool:
        async with fleet.client(AgentRole.VERIFIER) as verifier:
            return bool((await verifier.verify_ld_credential(document))["verified"])

    return run(body())


def test_served_list_is_signed_by_the_issuer_and_follows_the_chain(
    fleet: AgentFleet, chain: CredWorld, publisher: StatusListPublisher
) -> None:
    allocation = chain.issuer.status_list
    assert allocation is not None
    reference = allocation.allocate()
    entry = reference.bitstring_entry()
    code, before = _fetch(fleet, entry["statusListCredential"])
    assert code == 200, before
    assert before["id"] == entry["statusListCredential"]
    assert before["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert before["issuer"] == publisher.issuer_did
    assert before["proof"]["type"] == "Ed25519Signature2020"
    assert before["credentialSubject"]["encodedList"].startswith("u")
    assert _verified(fleet, before)
    assert entry_of(read_bitstring_status_list(before), reference.index) is CredentialStatus.VALID

    chain.world.d.status.set_status(
        chain.world.office_admin, chain.list_id, reference.index, CredentialStatus.REVOKED
    )
    code, after = _fetch(fleet, entry["statusListCredential"])
    assert code == 200
    assert _verified(fleet, after)
    assert entry_of(read_bitstring_status_list(after), reference.index) is CredentialStatus.REVOKED
    assert before["proof"]["proofValue"] != after["proof"]["proofValue"]  # signed anew

    forged = copy.deepcopy(after)
    forged["credentialSubject"]["encodedList"] = before["credentialSubject"]["encodedList"]
    assert not _verified(fleet, forged)  # an old list under a new proof does not verify


def test_unknown_list_is_404_with_a_reason(
    fleet: AgentFleet, chain: CredWorld, publisher: StatusListPublisher
) -> None:
    known = StatusListUri.parse(chain.status.list_uri(chain.list_id))
    unknown = StatusListUri(known.chain_id, known.registry, 999_999)
    code, answer = _fetch(fleet, unknown.w3c)
    assert code == 404
    assert answer["error"] and answer["error_de"]
    code, _ = _fetch(fleet, "https://status.govchain.de/v1/not-a-list/w3c")
    assert code == 404


def test_another_issuers_list_is_not_signed(
    fleet: AgentFleet, chain: CredWorld, publisher: StatusListPublisher
) -> None:
    """A list another office created on chain is 404: the issuer's key never vouches for
    a list whose entries it does not control."""
    world = chain.world
    world.grant(Role.STATUS_ISSUER, world.other_office)
    foreign_id, _ = world.d.status.create_list(world.other_office)
    code, answer = _fetch(fleet, StatusListUri.parse(chain.status.list_uri(foreign_id)).w3c)
    assert code == 404, answer
    assert "another issuer" in answer["error"]
    assert "anderen ausstellenden Stelle" in answer["error_de"]


def test_signed_lists_are_kept_least_recently_used_and_bounded(
    fleet: AgentFleet, chain: CredWorld, publisher: StatusListPublisher
) -> None:
    """The URL chooses the list, so the cache of signed lists is bounded: with room for
    one, a second list evicts the first, which is then signed again."""
    signed: list[str] = []

    def signer() -> Any:
        signed.append("x")
        return fleet.client(AgentRole.ISSUER)

    small = StatusListPublisher(
        chain.status,
        signer,
        publisher.issuer_did,
        owner=chain.world.office_admin.address,
        clock=chain.now,
        max_lists=1,
    )
    second_id, _ = chain.world.d.status.create_list(chain.world.office_admin)
    first, second = chain.status.list_uri(chain.list_id), chain.status.list_uri(second_id)
    run(small.credential(first))
    run(small.credential(first))
    assert len(signed) == 1  # unchanged on chain: re-used
    run(small.credential(second))
    run(small.credential(first))
    assert len(signed) == 3  # evicted by the second list, signed anew
