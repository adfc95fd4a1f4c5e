"""Preservation on the real embedded chain: AIPs anchored through the anchoring service,
evidence records in the RFC 4998 structure renewed by time stamp and by hash tree,
verified chain by chain, refused when any single field is tampered with; release when
the protection period ends."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from govchain.chain.backends import EmbeddedBackend
from govchain.chain.deployment import Founder, deploy_consortium
from govchain.chain.gateway import ChainGateway
from govchain.chain.types import Role
from govchain.platform.anchoring.service import AnchorChain, AnchoringService
from govchain.platform.archive.errors import (
    AipFileNotFoundError,
    EvidenceFormatError,
    EvidencePendingError,
    NotReleasedError,
    ProtectionPeriodError,
)
from govchain.platform.archive.evidence import (
    EvidenceRecord,
    HashAlgorithm,
    load_evidence_record,
    verify_evidence_record,
)
from govchain.platform.archive.service import ArchiveService
from govchain.platform.archive.states import AipState, EventType
from tests.conftest import World, _funded
from tests.platform.archive.conftest import CITY, INFO, NS, PAYLOAD, make_bag

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Scenario:
    """One archive whose records went through the whole preservation story."""

    world: World
    anchoring: AnchoringService
    archive: ArchiveService
    protected: str  # Schutzfrist until 2054-12-31
    opened: str  # Schutzfrist ended 2020-12-31: released
    boundary: str  # Schutzfrist until 2030-06-30, for the release test
    root: Path

    def anchor(self) -> None:
        self.anchoring.anchor(NS)
        self.archive.collect_time_stamps()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    gateway = ChainGateway(EmbeddedBackend())
    actors = [_funded(gateway) for _ in range(8)]
    founders = [
        Founder(name=n, address=a.address)
        for n, a in zip(("Aachen", "Gelsenkirchen", "Soest"), actors[1:4], strict=True)
    ]
    world = World(gateway, deploy_consortium(gateway, actors[0], founders, 2), *actors[1:])
    world.grant(Role.ANCHORER, world.anchorer)
    root = tmp_path_factory.mktemp("archive")
    anchoring = AnchoringService(root / "anchoring", AnchorChain(world.d.anchors, world.anchorer))
    archive = ArchiveService(root / "archive", anchoring, city=CITY)
    ids = [
        archive.ingest_bag(make_bag(root, info={**INFO, "Protection-End": end}, name=name)).aip_id
        for name, end in (
            ("protected", "2054-12-31"),
            ("opened", "2020-12-31"),
            ("boundary", "2030-06-30"),
        )
    ]
    s = Scenario(world, anchoring, archive, *ids, root=root)
    with pytest.raises(EvidencePendingError):
        archive.evidence_record(s.protected)
    s.anchor()  # all three first time stamps in one transaction
    assert archive.release_due() == [s.opened]
    later = datetime.now(UTC) + timedelta(days=6 * 365)
    assert set(archive.renew_evidence_due(now=later)) == set(ids)  # time-stamp renewal
    s.anchor()
    assert set(archive.retire_algorithm(HashAlgorithm.SHA256, HashAlgorithm.SHA512)) == set(ids)
    s.anchor()
    yield s
    archive.close()
    anchoring.close()


def test_the_preservation_story_is_recorded(scenario: Scenario) -> None:
    archive = scenario.archive
    detail = archive.aip(scenario.protected)
    assert detail.aip.state is AipState.PRESERVED
    assert archive.aip(scenario.opened).aip.state is AipState.RELEASED
    assert [e.event_type for e in detail.events] == [
        EventType.INGESTION,
        EventType.ANCHORING,
        EventType.EVIDENCE_RENEWAL,  # time-stamp renewal
        EventType.ANCHORING,
        EventType.FIXITY_CHECK,  # before the hash tree is renewed over the files
        EventType.EVIDENCE_RENEWAL,  # hash-tree renewal, SHA-256 retired
        EventType.ANCHORING,
    ]
    events = detail.events
    assert all(e.event_outcome.value == "success" for e in events)
    assert all(e.linking_object == scenario.protected for e in events)
    assert all(e.event_identifier.startswith("urn:uuid:") for e in events)
    assert "SHA-256 was retired" in events[5].event_outcome_detail
    assert "Hashbaum-Erneuerung" in events[5].event_outcome_detail_de
    assert [e.event_type for e in archive.events(scenario.opened)][2] is EventType.RELEASE
    assert (detail.time_stamps_anchored, detail.time_stamps_pending) == (3, 0)
    # Each evidence record is kept as a new, immutable AIP version.
    assert detail.head_version == 4
    versions = sorted(v for v, p in archive.store.files_on_disk(scenario.protected) if v > 1)
    assert versions == [2, 3, 4]
    latest = archive.store.file_path(scenario.protected, 4, "preservation/evidence-record.json")
    assert latest.read_text() == archive.evidence_record(scenario.protected).to_json()
    inventory = json.loads(
        (archive.store.aip_dir(scenario.protected) / "inventory.json").read_text()
    )
    assert inventory["head"] == "v4"
    assert set(inventory["versions"]["v4"]["files"]["preservation/evidence-record.json"]) == {
        "size",
        "sha-256",
        "sha-512",
    }
    assert all(archive.check_fixity(i).ok for i in (scenario.protected, scenario.opened))


def test_the_record_has_the_rfc_4998_structure(scenario: Scenario) -> None:
    record = json.loads(scenario.archive.evidence_record(scenario.protected).to_json())
    assert set(record) == {"version", "digestAlgorithms", "archiveTimeStampSequence"}
    assert record["version"] == 1
    assert record["digestAlgorithms"] == [
        {"algorithm": "2.16.840.1.101.3.4.2.1"},
        {"algorithm": "2.16.840.1.101.3.4.2.3"},
    ]
    (first, renewed_stamp), (renewed_tree,) = record["archiveTimeStampSequence"]
    assert set(first) == {"digestAlgorithm", "reducedHashtree", "timeStamp"}
    assert len(first["reducedHashtree"][0]) == 10  # the AIP's 10 data objects
    assert all(len(h) == 64 for h in first["reducedHashtree"][0])
    assert "reducedHashtree" not in renewed_stamp  # covers one value: the old timeStamp
    assert all(len(h) == 128 for h in renewed_tree["reducedHashtree"][0])  # SHA-512
    for ats in (first, renewed_stamp, renewed_tree):
        stamp = ats["timeStamp"]
        assert stamp["format"] == "govchain-anchor-receipt/1"
        assert stamp["namespace"] == NS
        assert stamp["anchor"]["contract"] == scenario.world.d.anchors.address


def test_verification_checks_every_chain_in_order(scenario: Scenario) -> None:
    result = scenario.archive.verify_evidence(scenario.protected)
    assert result.ok, result.failed
    assert [(s.name, s.chain, s.time_stamp) for s in result.steps] == [
        ("digest-algorithms", None, None),
        ("data-objects", None, None),
        ("chain-algorithm", 1, None),
        ("hash-tree", 1, 1),
        ("time-stamp", 1, 1),
        ("hash-tree", 1, 2),
        ("time-stamp", 1, 2),
        ("chain-algorithm", 2, None),
        ("hash-tree", 2, 1),
        ("time-stamp", 2, 1),
        ("algorithm-validity", None, None),
    ]
    stamp = next(s for s in result.steps if s.name == "time-stamp")
    assert stamp.receipt is not None
    assert [r.name for r in stamp.receipt.steps] == [
        "fields",
        "document",
        "leaf",
        "inclusion",
        "namespace",
        "chain-id",
        "contract",
        "anchor",
        "transaction",
    ]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _tampered(value: Any, path: tuple[Any, ...]) -> Any:
    """A plausible other value of the same type, so the change survives parsing where
    it can and must be caught by the verification."""
    key = path[-1]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    assert isinstance(value, str)
    if key == "algorithm":
        return "2.16.840.1.101.3.4.2.2"  # SHA-384: known, but not the one used
    if key == "namespace":
        return "archive.soest"
    if key == "receipt_id":
        return f"{NS}:999"
    if key == "block_time_utc":
        return value.replace(value[-2], "0" if value[-2] != "0" else "1")
    if key == "document_hash_alg":
        return "sha-512"
    last = value[-1]
    if last in "0123456789abcdef":
        return value[:-1] + ("0" if last != "0" else "1")
    if last in "ABCDEF":
        return value[:-1] + ("A" if last != "A" else "B")
    return value + "x"


def test_any_single_tampered_field_is_refused(scenario: Scenario) -> None:
    archive = scenario.archive
    original = json.loads(archive.evidence_record(scenario.protected).to_json())
    objects = archive.data_objects(scenario.protected)
    gateway = scenario.world.gateway
    leaves = list(_leaves(original))
    assert len(leaves) > 60
    accepted = []
    for path, value in leaves:
        document = copy.deepcopy(original)
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = _tampered(value, path)
        try:
            record = load_evidence_record(json.dumps(document))
        except EvidenceFormatError:
            continue  # refused as unreadable
        if verify_evidence_record(record, objects, gateway=gateway).ok:
            accepted.append(path)
    assert accepted == []


def test_changed_or_missing_data_objects_break_the_evidence(
    scenario: Scenario, tmp_path: Path
) -> None:
    archive = scenario.archive
    record = archive.evidence_record(scenario.protected)
    copies = {}
    for name, path in archive.data_objects(scenario.protected).items():
        copies[name] = tmp_path / name
        copies[name].parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copies[name])
    gateway = scenario.world.gateway
    assert verify_evidence_record(record, copies, gateway=gateway).ok
    changed = copies["content/data/Bescheid.txt"]
    changed.write_bytes(PAYLOAD["Bescheid.txt"].replace(b"03.04", b"04.04"))
    result = verify_evidence_record(record, copies, gateway=gateway)
    failed = [(s.name, s.chain, s.time_stamp) for s in result.steps if s.ok is not True]
    assert failed == [("hash-tree", 1, 1), ("hash-tree", 2, 1)]
    assert "Datenobjekte" in result.steps[3].message_de
    changed.unlink()
    missing = verify_evidence_record(record, copies, gateway=gateway)
    assert missing.failed is not None and missing.failed.name == "data-objects"
    assert "content/data/Bescheid.txt" in missing.failed.message_en


def test_a_retired_last_algorithm_or_an_offline_check_is_not_a_pass(
    scenario: Scenario,
) -> None:
    archive = scenario.archive
    record = archive.evidence_record(scenario.protected)
    objects = archive.data_objects(scenario.protected)
    stale = verify_evidence_record(
        record, objects, gateway=scenario.world.gateway, retired=[HashAlgorithm.SHA512]
    )
    assert stale.failed is not None and stale.failed.name == "algorithm-validity"
    assert "Hashbaum-Erneuerung" in stale.failed.message_de
    offline = verify_evidence_record(record, objects, gateway=None)
    assert not offline.ok and offline.failed is not None and offline.failed.ok is None


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r.update(cryptoInfos=[]), "cryptoInfos"),
        (lambda r: r.update(version=2), "version"),
        (lambda r: r.pop("digestAlgorithms"), "digestAlgorithms"),
        (lambda r: r["digestAlgorithms"][0].update(algorithm="1.2.840.113549.2.5"), "algorithm"),
        (lambda r: r.update(archiveTimeStampSequence=[]), "archiveTimeStampSequence"),
        (lambda r: r["archiveTimeStampSequence"][0].clear(), "archiveTimeStampSequence"),
        (
            lambda r: r["archiveTimeStampSequence"][0][0]["reducedHashtree"][0].__setitem__(
                0, "AB" * 32
            ),
            "reducedHashtree",
        ),
        (
            lambda r: r["archiveTimeStampSequence"][0][0]["timeStamp"].update(extra=1),
            "timeStamp",
        ),
        (lambda r: r.update(digest_algorithms=r.pop("digestAlgorithms")), "digestAlgorithms"),
    ],
)
def test_documents_that_are_no_evidence_record_are_refused(
    scenario: Scenario, change: Any, where: str
) -> None:
    document = json.loads(scenario.archive.evidence_record(scenario.protected).to_json())
    change(document)
    with pytest.raises(EvidenceFormatError, match=where) as refused:
        load_evidence_record(json.dumps(document))
    assert refused.value.message_de.startswith("Dies ist kein lesbarer Beweisdatensatz")
    with pytest.raises(EvidenceFormatError):
        load_evidence_record("{ kein JSON")


def test_public_access_waits_for_the_end_of_the_protection_period(scenario: Scenario) -> None:
    archive = scenario.archive
    with pytest.raises(ProtectionPeriodError) as refused:
        archive.public_record(scenario.protected)
    err = refused.value
    assert (err.status, err.code) == (403, "protection-period")
    assert "until 2054-12-31 inclusive" in err.message and "from 2055-01-01" in err.message
    assert "bis einschließlich 31.12.2054" in err.message_de
    assert "ab dem 01.01.2055" in err.message_de
    with pytest.raises(ProtectionPeriodError):
        archive.public_file(scenario.protected, "data/Bescheid.txt")

    record = archive.public_record(scenario.opened)
    assert sorted(f.path for f in record.files) == sorted(f"data/{p}" for p in PAYLOAD)
    path = archive.public_file(scenario.opened, "data/Pläne/Schnitt.tif")
    assert path.read_bytes() == PAYLOAD["Pläne/Schnitt.tif"]
    for hidden in ("bagit.txt", "data/../bag-info.txt", "preservation/evidence-record.json"):
        with pytest.raises(AipFileNotFoundError):
            archive.public_file(scenario.opened, hidden)


def test_the_record_opens_the_day_after_its_protection_period(scenario: Scenario) -> None:
    archive = scenario.archive
    last_evening = datetime(2030, 6, 30, 23, 30, tzinfo=BERLIN)
    with pytest.raises(ProtectionPeriodError):
        archive.public_record(scenario.boundary, now=last_evening)
    assert archive.release_due(now=last_evening) == []
    record = archive.public_record(scenario.boundary, now=last_evening + timedelta(hours=1))
    assert record.released_at == (last_evening + timedelta(hours=1)).astimezone(UTC)
    assert archive.aip(scenario.boundary).aip.state is AipState.RELEASED
    assert archive.events(scenario.boundary)[-1].event_type is EventType.RELEASE


def test_new_evidence_uses_the_successor_and_nothing_renews_while_pending(
    scenario: Scenario,
) -> None:
    archive = scenario.archive
    assert archive.evidence_algorithm() is HashAlgorithm.SHA512
    fresh = archive.ingest_bag(
        make_bag(scenario.root, info={**INFO, "Protection-End": "2010-01-01"}, name="fresh")
    ).aip_id
    with pytest.raises(EvidencePendingError):
        archive.evidence_record(fresh)
    with pytest.raises(EvidencePendingError, match="waiting for its anchor"):
        archive.renew_time_stamp(fresh, reason_en="test", reason_de="Test")
    # Over: yet not open before its evidence is anchored.
    with pytest.raises(NotReleasedError, match="as soon as its evidence is anchored"):
        archive.public_record(fresh)
    view = archive.audit(fresh)
    assert view.record is None and view.verification is None
    assert view.pending == ["1.1 (erster Zeitstempel, SHA-512)"]


def test_records_built_by_hand_verify_like_stored_ones(scenario: Scenario) -> None:
    record = scenario.archive.evidence_record(scenario.opened)
    rebuilt = EvidenceRecord.of(record.archive_time_stamp_sequence)
    assert rebuilt == record
    assert load_evidence_record(record.to_json()) == record
