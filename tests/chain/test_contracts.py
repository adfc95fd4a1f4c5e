"""The contract behaviour suite: runs unchanged on the embedded chain and on Ganache."""

from __future__ import annotations

import pytest

from govchain.chain.clients.permissioning import NodeEntry
from govchain.chain.errors import (
    AccessDeniedError,
    AccountRulesNotAllowed,
    AnchorRegistryNotNamespaceOwner,
    AnchorRegistryTreeNotGrowing,
    AnchorRegistryZeroRoot,
    ConsortiumAlreadyApproved,
    ConsortiumExecutionFailed,
    ConsortiumInvalidThreshold,
    ConsortiumNotAContract,
    ConsortiumNotMember,
    ConsortiumNotSelf,
    GovernedAccessMissingRole,
    GovernedAccessNotConsortium,
    NodeRulesInvalidNode,
    ProposalNotExecutedError,
    StatusRegistryIndexOutOfRange,
    StatusRegistryInvalidSize,
    StatusRegistryInvalidStatus,
    StatusRegistryNotListOwner,
    StatusRegistryRevokedIsFinal,
    TrustRegistryDidTaken,
    TrustRegistryInvalidLevel,
    TrustRegistryInvalidStatus,
    TrustRegistryInvalidWindow,
    TrustRegistryNotOfficeAdmin,
    TrustRegistryOfficeExists,
    TrustRegistryOfficeRetired,
)
from govchain.chain.gateway import EncodedCall
from govchain.chain.types import (
    CredentialStatus,
    Did,
    LevelOfAssurance,
    OfficeStatus,
    Role,
    TrustReason,
    office_id,
)
from tests.conftest import World, advance_time

VCT = "https://vct.govchain.de/gefaehrlicher-hund/v1"
OFFICE = office_id("NRW", "Aachen", "Ordnungsamt")
OTHER = office_id("NRW", "Soest", "Ordnungsamt")
ENODE = "ab" * 64


def admit_office(w: World, office: bytes = OFFICE, admin: str | None = None) -> None:
    w.d.consortium.decide(
        w.aachen,
        w.cities[1:],
        w.d.trust.register_office_call(
            office, "NRW", "Aachen", "Ordnungsamt", admin or w.office_admin.address
        ),
    )


# --- only consortium votes grant roles -----------------------------------------------


@pytest.mark.parametrize("registry", ["trust", "status", "anchors", "account_rules", "node_rules"])
def test_no_member_can_grant_or_revoke_a_role_directly(world: World, registry: str) -> None:
    client = getattr(world.d, registry)
    with pytest.raises(GovernedAccessNotConsortium) as refused:
        client.grant_role(world.aachen, Role.ANCHORER, world.outsider.address)
    assert refused.value.fields["caller"] == world.aachen.address
    with pytest.raises(GovernedAccessNotConsortium):
        world.gateway.transact(
            world.aachen,
            client.contract_name,
            client.address,
            "revokeRole",
            Role.ANCHORER.id,
            world.outsider.address,
        )
    assert not client.has_role(Role.ANCHORER, world.outsider.address)


def test_a_role_is_granted_only_when_the_threshold_is_reached(world: World) -> None:
    call = world.d.status.grant_role_call(Role.STATUS_ISSUER, world.office_admin.address)
    proposal_id, first = world.d.consortium.propose(world.aachen, call)
    assert not first.events_named("ProposalExecuted")
    assert not world.d.status.has_role(Role.STATUS_ISSUER, world.office_admin.address)
    with pytest.raises(ConsortiumAlreadyApproved):
        world.d.consortium.approve(world.aachen, proposal_id)

    second = world.d.consortium.approve(world.soest, proposal_id)

    assert [e.name for e in second.events] == [
        "ProposalApproved",
        "RoleGranted",
        "ProposalExecuted",
    ]
    assert world.d.status.has_role(Role.STATUS_ISSUER, world.office_admin.address)
    assert world.d.consortium.proposal(proposal_id).executed


def test_revoking_by_vote_takes_the_role_away(world: World) -> None:
    world.grant(Role.ANCHORER, world.anchorer)
    world.d.consortium.decide(
        world.soest,
        world.cities,
        world.d.anchors.revoke_role_call(Role.ANCHORER, world.anchorer.address),
    )
    assert not world.d.anchors.has_role(Role.ANCHORER, world.anchorer.address)
    with pytest.raises(GovernedAccessMissingRole):
        world.d.anchors.register_namespace(world.anchorer, "archive.aachen")


def test_outsiders_cannot_propose_or_approve(world: World) -> None:
    call = world.d.trust.grant_role_call(Role.TRUST_ADMIN, world.outsider.address)
    with pytest.raises(ConsortiumNotMember) as refused:
        world.d.consortium.propose(world.outsider, call)
    assert isinstance(refused.value, AccessDeniedError)
    proposal_id, _ = world.d.consortium.propose(world.aachen, call)
    with pytest.raises(ConsortiumNotMember):
        world.d.consortium.approve(world.outsider, proposal_id)


@pytest.mark.parametrize(
    ("function", "args"),
    [("addMember", ("0x" + "11" * 20, "Köln")), ("removeMember", (None,)), ("setThreshold", (1,))],
)
def test_membership_changes_only_by_vote(
    world: World, function: str, args: tuple[object, ...]
) -> None:
    args = tuple(world.soest.address if a is None else a for a in args)
    with pytest.raises(ConsortiumNotSelf):
        world.gateway.transact(
            world.aachen, "Consortium", world.d.consortium.address, function, *args
        )


def test_members_admit_a_city_and_change_the_threshold_by_vote(world: World) -> None:
    newcomer = world.outsider
    c = world.d.consortium
    c.decide(world.aachen, world.cities[1:], c.add_member_call(newcomer.address, "Köln"))
    c.decide(world.aachen, world.cities[1:], c.set_threshold_call(3))
    assert [m.name for m in c.members()] == ["Aachen", "Gelsenkirchen", "Soest", "Köln"]
    assert c.threshold() == 3
    with pytest.raises(ConsortiumExecutionFailed) as failed:
        c.decide(world.aachen, [world.gelsenkirchen, world.soest], c.set_threshold_call(9))
    assert isinstance(failed.value.inner, ConsortiumInvalidThreshold)
    assert failed.value.inner.fields == {"threshold": 9, "memberCount": 4}


def test_decide_reports_missing_approvals(world: World) -> None:
    call = world.d.trust.grant_role_call(Role.TRUST_ADMIN, world.outsider.address)
    with pytest.raises(ProposalNotExecutedError, match="lacks approvals: 1 of 2") as missing:
        world.d.consortium.decide(world.aachen, [], call)
    assert (missing.value.approvals, missing.value.threshold) == (1, 2)


# --- trust registry ----------------------------------------------------------------------


def test_office_admission_and_trust_decisions(world: World) -> None:
    admit_office(world)
    world.grant(Role.TRUST_ADMIN, world.aachen)
    now = world.gateway.block_timestamp()
    accredited = world.d.trust.accredit(
        world.aachen, OFFICE, VCT, LevelOfAssurance.SUBSTANTIAL, now - 10
    )
    assert accredited.events_named("AccreditationGranted")[0].args["vct"] == VCT
    did = Did("did:jwk:eyJrdHkiOiJFQyJ9")
    registered = world.d.trust.register_did(world.office_admin, OFFICE, did, b"\x07" * 32)
    assert registered.events_named("DidRegistered")[0].args["did"] == did

    advance_time(world.gateway, 120)
    later = world.gateway.block_timestamp() - 60
    decision = world.d.trust.trust_at(did, VCT, later)
    assert decision.trusted and decision.level_of_assurance is LevelOfAssurance.SUBSTANTIAL
    assert world.d.trust.trust_at(did, "urn:other", later).reason is TrustReason.NOT_ACCREDITED
    assert (
        world.d.trust.trust_at(Did("did:key:z6Mkunknown"), VCT, later).reason
        is TrustReason.UNKNOWN_DID
    )
    assert world.d.trust.trust_at(did, VCT, now - 3600).reason is TrustReason.DID_NOT_VALID_AT_TIME

    world.d.trust.set_office_status(world.aachen, OFFICE, OfficeStatus.SUSPENDED)
    assert world.d.trust.trust_at(did, VCT, later).reason is TrustReason.OFFICE_NOT_ACTIVE
    world.d.trust.set_office_status(world.aachen, OFFICE, OfficeStatus.ACTIVE)

    world.d.trust.retire_did(world.office_admin, did)
    record = world.d.trust.did_record(did)
    assert record.valid_until >= later
    # History is kept: a credential issued while the DID was in use stays attributable.
    assert world.d.trust.trust_at(did, VCT, later).trusted
    assert world.d.trust.office_dids(OFFICE) == [did]
    with pytest.raises(TrustRegistryDidTaken):
        world.d.trust.register_did(world.office_admin, OFFICE, did, b"\x07" * 32)


def test_trust_registry_refuses_unauthorised_callers(world: World) -> None:
    with pytest.raises(GovernedAccessNotConsortium):
        world.gateway.transact(
            world.aachen,
            "TrustRegistry",
            world.d.trust.address,
            "registerOffice",
            OFFICE,
            "NRW",
            "Aachen",
            "Ordnungsamt",
            world.aachen.address,
        )
    admit_office(world)
    with pytest.raises(ConsortiumExecutionFailed) as failed:
        admit_office(world)
    assert isinstance(failed.value.inner, TrustRegistryOfficeExists)
    with pytest.raises(GovernedAccessNotConsortium):
        world.gateway.transact(
            world.aachen,
            "TrustRegistry",
            world.d.trust.address,
            "setOfficeAdmin",
            OFFICE,
            world.aachen.address,
        )
    with pytest.raises(GovernedAccessMissingRole):
        world.d.trust.accredit(world.aachen, OFFICE, VCT, LevelOfAssurance.HIGH, 0)
    with pytest.raises(GovernedAccessMissingRole):
        world.d.trust.set_office_status(world.aachen, OFFICE, OfficeStatus.SUSPENDED)
    with pytest.raises(GovernedAccessMissingRole):
        world.d.trust.end_accreditation(world.aachen, OFFICE, VCT, 0)
    with pytest.raises(TrustRegistryNotOfficeAdmin):
        world.d.trust.register_did(world.outsider, OFFICE, Did("did:key:z6Mkx"), b"\x01" * 32)
    world.d.trust.register_did(world.office_admin, OFFICE, Did("did:key:z6Mkx"), b"\x01" * 32)
    with pytest.raises(TrustRegistryNotOfficeAdmin):
        world.d.trust.retire_did(world.outsider, Did("did:key:z6Mkx"))


def test_accreditation_input_is_validated_and_can_end(world: World) -> None:
    admit_office(world)
    world.grant(Role.TRUST_ADMIN, world.aachen)
    with pytest.raises(TrustRegistryInvalidLevel):
        world.d.trust.accredit(world.aachen, OFFICE, VCT, 4, 0)  # type: ignore[arg-type]
    with pytest.raises(TrustRegistryInvalidWindow):
        world.d.trust.accredit(world.aachen, OFFICE, VCT, LevelOfAssurance.LOW, 100, 100)
    world.d.trust.accredit(world.aachen, OFFICE, VCT, LevelOfAssurance.LOW, 0)
    ended = world.d.trust.end_accreditation(world.aachen, OFFICE, VCT, 0)
    assert ended.events_named("AccreditationEnded")
    (accreditation,) = world.d.trust.accreditations(OFFICE, VCT)
    assert accreditation.valid_until <= world.gateway.block_timestamp()


# --- status registry ----------------------------------------------------------------------


def test_one_office_cannot_write_another_offices_status_list(world: World) -> None:
    world.grant(Role.STATUS_ISSUER, world.office_admin)
    world.grant(Role.STATUS_ISSUER, world.other_office)
    mine, _ = world.d.status.create_list(world.office_admin)
    theirs, _ = world.d.status.create_list(world.other_office)
    with pytest.raises(StatusRegistryNotListOwner) as refused:
        world.d.status.set_status(world.other_office, mine, 5, CredentialStatus.REVOKED)
    assert refused.value.fields == {"caller": world.other_office.address, "listId": mine}
    with pytest.raises(StatusRegistryNotListOwner):
        world.d.status.set_statuses(world.other_office, mine, {5: CredentialStatus.SUSPENDED})
    assert world.d.status.status(mine, 5) is CredentialStatus.VALID
    world.d.status.set_status(world.other_office, theirs, 5, CredentialStatus.SUSPENDED)
    assert world.d.status.status(theirs, 5) is CredentialStatus.SUSPENDED


def test_creating_a_status_list_needs_the_role(world: World) -> None:
    with pytest.raises(GovernedAccessMissingRole) as refused:
        world.d.status.create_list(world.office_admin)
    assert refused.value.fields["role"] == Role.STATUS_ISSUER.id
    assert "lacks the role" in str(refused.value)
    assert "fehlt die dafür nötige Rolle" in refused.value.message_de


def test_revoked_is_final_and_suspension_reversible(world: World) -> None:
    world.grant(Role.STATUS_ISSUER, world.office_admin)
    list_id, _ = world.d.status.create_list(world.office_admin)
    s = world.d.status
    suspended = s.set_status(world.office_admin, list_id, 131_071, CredentialStatus.SUSPENDED)
    (event,) = suspended.events_named("StatusChanged")
    assert event.args == {"listId": list_id, "index": 131_071, "previous": 0, "status": 2}
    s.set_status(world.office_admin, list_id, 131_071, CredentialStatus.VALID)
    assert s.status(list_id, 131_071) is CredentialStatus.VALID
    s.set_status(world.office_admin, list_id, 131_071, CredentialStatus.REVOKED)
    for attempt in (CredentialStatus.VALID, CredentialStatus.SUSPENDED):
        with pytest.raises(StatusRegistryRevokedIsFinal):
            s.set_status(world.office_admin, list_id, 131_071, attempt)
    with pytest.raises(StatusRegistryRevokedIsFinal):
        s.set_statuses(
            world.office_admin,
            list_id,
            {1: CredentialStatus.REVOKED, 131_071: CredentialStatus.VALID},
        )
    # The batch was refused as a whole: entry 1 did not change.
    assert s.status(list_id, 1) is CredentialStatus.VALID
    assert s.status(list_id, 131_071) is CredentialStatus.REVOKED


def test_status_input_is_validated(world: World) -> None:
    world.grant(Role.STATUS_ISSUER, world.office_admin)
    with pytest.raises(StatusRegistryInvalidSize):
        world.d.status.create_list(world.office_admin, 1000)
    list_id, _ = world.d.status.create_list(world.office_admin)
    with pytest.raises(StatusRegistryIndexOutOfRange):
        world.d.status.set_status(world.office_admin, list_id, 131_072, CredentialStatus.REVOKED)
    with pytest.raises(StatusRegistryInvalidStatus):
        world.gateway.transact(
            world.office_admin, "StatusRegistry", world.d.status.address, "setStatus", list_id, 1, 3
        )


def test_packed_export_matches_the_entries(world: World) -> None:
    world.grant(Role.STATUS_ISSUER, world.office_admin)
    list_id, _ = world.d.status.create_list(world.office_admin)
    changes = {
        0: CredentialStatus.REVOKED,
        5: CredentialStatus.SUSPENDED,
        130_000: CredentialStatus.REVOKED,
    }
    world.d.status.set_statuses(world.office_admin, list_id, changes)
    packed = world.d.status.packed_statuses(list_id)
    assert len(packed) == 131_072 // 4
    for index, status in changes.items():
        assert (packed[index // 4] >> (2 * (index % 4))) & 3 == status
    assert sum(1 for b in packed if b) == 3


# --- anchor registry ----------------------------------------------------------------------


def test_anchoring_is_append_only_and_owned(world: World) -> None:
    with pytest.raises(GovernedAccessMissingRole):
        world.d.anchors.register_namespace(world.anchorer, "archive.aachen")
    world.grant(Role.ANCHORER, world.anchorer)
    ns, registered = world.d.anchors.register_namespace(world.anchorer, "archive.aachen")
    assert registered.events_named("NamespaceRegistered")[0].args["name"] == "archive.aachen"
    anchor, tx = world.d.anchors.anchor(world.anchorer, ns, 10, b"\x11" * 32)
    assert tx.events_named("Anchored")[0].args == {
        "namespaceId": ns,
        "index": 0,
        "treeSize": 10,
        "root": b"\x11" * 32,
    }
    assert anchor.block_number == tx.block_number and anchor.tree_size == 10
    with pytest.raises(AnchorRegistryTreeNotGrowing):
        world.d.anchors.anchor(world.anchorer, ns, 10, b"\x12" * 32)
    with pytest.raises(AnchorRegistryZeroRoot):
        world.d.anchors.anchor(world.anchorer, ns, 11, b"\x00" * 32)
    with pytest.raises(AnchorRegistryNotNamespaceOwner):
        world.d.anchors.anchor(world.outsider, ns, 11, b"\x13" * 32)
    world.d.anchors.anchor(world.anchorer, ns, 25, b"\x14" * 32)
    assert world.d.anchors.anchor_of_size(ns, 10).root == b"\x11" * 32
    assert world.d.anchors.latest_anchor(ns).tree_size == 25
    assert world.d.anchors.anchor_count(ns) == 2


# --- permissioning -------------------------------------------------------------------------


def test_allowlists_change_only_by_vote(world: World) -> None:
    rules = world.d.account_rules
    with pytest.raises(GovernedAccessNotConsortium):
        world.gateway.transact(
            world.aachen, "AccountRules", rules.address, "allowAccount", world.outsider.address, "x"
        )
    with pytest.raises(GovernedAccessNotConsortium):
        world.gateway.transact(
            world.aachen, "AccountRules", rules.address, "disallowAccount", world.aachen.address
        )
    world.d.consortium.decide(
        world.aachen, world.cities[1:], rules.allow_call(world.aachen.address, "Aachen")
    )
    assert rules.transaction_allowed(world.aachen.address)
    assert not rules.transaction_allowed(world.outsider.address)
    with pytest.raises(ConsortiumExecutionFailed) as failed:
        world.d.consortium.decide(
            world.aachen, world.cities[1:], rules.disallow_call(world.outsider.address)
        )
    assert isinstance(failed.value.inner, AccountRulesNotAllowed)

    nodes = world.d.node_rules
    node = NodeEntry(ENODE, "10.0.0.1", 30303, "Aachen")
    with pytest.raises(GovernedAccessNotConsortium):
        world.gateway.transact(
            world.aachen,
            "NodeRules",
            nodes.address,
            "allowNode",
            ENODE,
            "10.0.0.1",
            30303,
            "Aachen",
        )
    with pytest.raises(GovernedAccessNotConsortium):
        world.gateway.transact(world.aachen, "NodeRules", nodes.address, "disallowNode", ENODE)
    world.d.consortium.decide(world.aachen, world.cities[1:], nodes.allow_call(node))
    assert nodes.allowed_nodes() == [node]
    assert nodes.connection_allowed(ENODE.upper(), "10.0.0.1", 30303)
    assert not nodes.connection_allowed(ENODE, "10.0.0.2", 30303)
    with pytest.raises(ConsortiumExecutionFailed) as failed:
        world.d.consortium.decide(
            world.aachen, world.cities[1:], nodes.allow_call(NodeEntry("xyz", "h", 1, "Soest"))
        )
    assert isinstance(failed.value.inner, NodeRulesInvalidNode)
    world.d.consortium.decide(world.aachen, world.cities[1:], nodes.disallow_call(ENODE))
    assert nodes.allowed_nodes() == []


def test_anchoring_costs_the_same_for_any_batch_size(world: World) -> None:
    world.grant(Role.ANCHORER, world.anchorer)
    execution_gas = set()
    for batch in (1, 1_000_000):
        ns, _ = world.d.anchors.register_namespace(world.anchorer, f"batch.{batch}")
        world.d.anchors.anchor(world.anchorer, ns, batch, b"\x21" * 32)
        _, tx = world.d.anchors.anchor(world.anchorer, ns, 2 * batch, b"\x22" * 32)
        data = bytes(world.gateway.w3.eth.get_transaction(tx.tx_hash)["input"])  # type: ignore[arg-type]
        calldata_gas = 21_000 + sum(4 if b == 0 else 16 for b in data)
        execution_gas.add(tx.gas_used - calldata_gas)
    assert len(execution_gas) == 1


def test_a_proposal_must_target_a_contract(world: World) -> None:
    call = EncodedCall(target=world.outsider.address, data=b"", description="typo")
    with pytest.raises(ConsortiumNotAContract):
        world.d.consortium.propose(world.aachen, call)


def test_a_readmitted_members_old_approval_does_not_count(world: World) -> None:
    c = world.d.consortium
    c.decide(world.aachen, world.cities[1:], c.add_member_call(world.outsider.address, "Köln"))
    pending, _ = c.propose(
        world.outsider, world.d.trust.grant_role_call(Role.TRUST_ADMIN, world.soest.address)
    )
    c.decide(world.aachen, world.cities[1:], c.remove_member_call(world.outsider.address))
    c.decide(world.aachen, world.cities[1:], c.add_member_call(world.outsider.address, "Köln"))
    assert c.proposal(pending).approvals == 0
    assert not c.proposal(pending).executed
    c.approve(world.outsider, pending)  # a fresh approval in the new membership counts once
    assert c.proposal(pending).approvals == 1


def test_retiring_an_office_takes_a_vote_and_is_final(world: World) -> None:
    admit_office(world)
    world.grant(Role.TRUST_ADMIN, world.aachen)
    with pytest.raises(TrustRegistryInvalidStatus):
        world.d.trust.set_office_status(world.aachen, OFFICE, OfficeStatus.RETIRED)
    with pytest.raises(GovernedAccessNotConsortium):
        world.gateway.transact(
            world.aachen, "TrustRegistry", world.d.trust.address, "retireOffice", OFFICE
        )
    world.d.consortium.decide(
        world.aachen, world.cities[1:], world.d.trust.retire_office_call(OFFICE)
    )
    assert world.d.trust.office(OFFICE).status is OfficeStatus.RETIRED
    with pytest.raises(TrustRegistryOfficeRetired):
        world.d.trust.set_office_status(world.aachen, OFFICE, OfficeStatus.ACTIVE)


def test_accreditations_cannot_be_backdated(world: World) -> None:
    admit_office(world)
    world.grant(Role.TRUST_ADMIN, world.aachen)
    did = Did("did:key:z6Mkbackdated")
    world.d.trust.register_did(world.office_admin, OFFICE, did, b"\x09" * 32)
    issued_at = world.gateway.block_timestamp()
    advance_time(world.gateway, 100)
    world.d.trust.accredit(world.aachen, OFFICE, VCT, LevelOfAssurance.HIGH, issued_at - 1000)
    assert world.d.trust.trust_at(did, VCT, issued_at).reason is TrustReason.NOT_ACCREDITED
    assert world.d.trust.trust_at(did, VCT, world.gateway.block_timestamp()).trusted


def test_a_revoked_role_freezes_lists_and_namespaces(world: World) -> None:
    world.grant(Role.STATUS_ISSUER, world.office_admin)
    world.grant(Role.ANCHORER, world.anchorer)
    list_id, _ = world.d.status.create_list(world.office_admin)
    ns, _ = world.d.anchors.register_namespace(world.anchorer, "archive.soest")
    for registry, role, account in (
        (world.d.status, Role.STATUS_ISSUER, world.office_admin),
        (world.d.anchors, Role.ANCHORER, world.anchorer),
    ):
        world.d.consortium.decide(
            world.aachen, world.cities[1:], registry.revoke_role_call(role, account.address)
        )
    with pytest.raises(GovernedAccessMissingRole):
        world.d.status.set_status(world.office_admin, list_id, 1, CredentialStatus.SUSPENDED)
    with pytest.raises(GovernedAccessMissingRole):
        world.d.anchors.anchor(world.anchorer, ns, 1, b"\x01" * 32)
