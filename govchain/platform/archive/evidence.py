"""Evidence records in the structure of RFC 4998 (Evidence Record Syntax), written as
JSON, whose time stamps are chain anchors; how they are built, renewed and verified.

The structure keeps RFC 4998's names::

    EvidenceRecord            {version, digestAlgorithms, archiveTimeStampSequence}
    ArchiveTimeStampSequence  [ArchiveTimeStampChain, ...]
    ArchiveTimeStampChain     [ArchiveTimeStamp, ...]        one hash algorithm per chain
    ArchiveTimeStamp          {digestAlgorithm, reducedHashtree?, timeStamp}
    reducedHashtree           [PartialHashtree, ...]          PartialHashtree = [hash, ...]

The ``timeStamp`` is an anchor receipt (``docs/receipts.md``) whose document is the raw
root hash of its archive time stamp: the anchoring log holds SHA-256(root). Where RFC
4998 hashes DER encodings (the ArchiveTimeStampSequence for hash-tree renewal, the
timeStamp for time-stamp renewal) this module hashes canonical JSON: keys sorted, no
insignificant white space, UTF-8 (RFC 8785 for documents made of strings, integers,
arrays and objects, which is all these are). Format description: ``docs/archive.md``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from govchain.platform.anchoring.receipts import (
    AnchorReceipt,
    ReceiptVerification,
    block_time_utc,
    verify_receipt,
)
from govchain.platform.archive.errors import EvidenceFormatError

if TYPE_CHECKING:
    from _hashlib import HASH

    from govchain.chain.gateway import ChainGateway

__all__ = [
    "AlgorithmIdentifier",
    "ArchiveTimeStamp",
    "EvidenceRecord",
    "EvidenceStep",
    "EvidenceVerification",
    "HashAlgorithm",
    "HashTreeMismatchError",
    "PendingTimeStamp",
    "canonical_json",
    "file_digest",
    "hash_tree_renewal",
    "initial_time_stamp",
    "load_evidence_record",
    "reduce_hash_tree",
    "time_stamp_renewal",
    "verify_evidence_record",
]


class HashAlgorithm(StrEnum):
    """Hash algorithms for evidence and fixity, by their IANA textual names."""

    SHA256 = "sha-256"
    SHA384 = "sha-384"
    SHA512 = "sha-512"
    SHA3_256 = "sha3-256"
    SHA3_512 = "sha3-512"

    @property
    def oid(self) -> str:
        """The algorithm's object identifier (NIST, 2.16.840.1.101.3.4.2.*)."""
        return _OIDS[self]

    @property
    def label(self) -> str:
        """The usual written name, e.g. SHA-256."""
        return self.value.upper()

    def new(self) -> HASH:
        """A fresh hashlib object for this algorithm."""
        return hashlib.new(_HASHLIB_NAMES[self])

    def digest(self, data: bytes) -> bytes:
        """The hash of ``data``."""
        h = self.new()
        h.update(data)
        return h.digest()

    @classmethod
    def from_oid(cls, oid: str) -> HashAlgorithm:
        """The algorithm with this object identifier.

        Raises:
            ValueError: for an identifier that is not one of ours.
        """
        for alg, known in _OIDS.items():
            if known == oid:
                return alg
        raise ValueError(f"unknown digest algorithm {oid}")


_OIDS = {
    HashAlgorithm.SHA256: "2.16.840.1.101.3.4.2.1",
    HashAlgorithm.SHA384: "2.16.840.1.101.3.4.2.2",
    HashAlgorithm.SHA512: "2.16.840.1.101.3.4.2.3",
    HashAlgorithm.SHA3_256: "2.16.840.1.101.3.4.2.8",
    HashAlgorithm.SHA3_512: "2.16.840.1.101.3.4.2.10",
}

_HASHLIB_NAMES = {
    HashAlgorithm.SHA256: "sha256",
    HashAlgorithm.SHA384: "sha384",
    HashAlgorithm.SHA512: "sha512",
    HashAlgorithm.SHA3_256: "sha3_256",
    HashAlgorithm.SHA3_512: "sha3_512",
}

_HexHash = Annotated[str, StringConstraints(pattern=r"^(?:[0-9a-f]{2}){32,64}$")]
_MODEL = ConfigDict(
    extra="forbid",
    frozen=True,
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
)


class AlgorithmIdentifier(BaseModel):
    """RFC 5280's AlgorithmIdentifier: the OID (the hash functions take no parameters)."""

    model_config = _MODEL

    algorithm: Literal[
        "2.16.840.1.101.3.4.2.1",
        "2.16.840.1.101.3.4.2.2",
        "2.16.840.1.101.3.4.2.3",
        "2.16.840.1.101.3.4.2.8",
        "2.16.840.1.101.3.4.2.10",
    ]

    @classmethod
    def of(cls, alg: HashAlgorithm) -> AlgorithmIdentifier:
        """The identifier of ``alg``."""
        return cls.model_validate({"algorithm": alg.oid})

    @property
    def hash_algorithm(self) -> HashAlgorithm:
        """The algorithm this identifier names."""
        return HashAlgorithm.from_oid(self.algorithm)


class ArchiveTimeStamp(BaseModel):
    """One ArchiveTimeStamp (RFC 4998, section 4.1) with a chain anchor as timeStamp."""

    model_config = _MODEL

    digest_algorithm: AlgorithmIdentifier = Field(alias="digestAlgorithm")
    reduced_hashtree: tuple[tuple[_HexHash, ...], ...] | None = Field(
        default=None, alias="reducedHashtree"
    )
    time_stamp: AnchorReceipt = Field(alias="timeStamp")

    @property
    def algorithm(self) -> HashAlgorithm:
        """The hash algorithm of this time stamp's tree."""
        return self.digest_algorithm.hash_algorithm


class EvidenceRecord(BaseModel):
    """An EvidenceRecord (RFC 4998, section 3); cryptoInfos and encryptionInfo unused."""

    model_config = _MODEL

    version: Literal[1] = 1
    digest_algorithms: tuple[AlgorithmIdentifier, ...] = Field(
        alias="digestAlgorithms", min_length=1
    )
    archive_time_stamp_sequence: tuple[
        Annotated[tuple[ArchiveTimeStamp, ...], Field(min_length=1)], ...
    ] = Field(alias="archiveTimeStampSequence", min_length=1)

    @classmethod
    def of(cls, chains: Sequence[Sequence[ArchiveTimeStamp]]) -> EvidenceRecord:
        """The record over these chains; digestAlgorithms lists each chain's algorithm once."""
        algorithms: list[HashAlgorithm] = []
        for chain in chains:
            if chain[0].algorithm not in algorithms:
                algorithms.append(chain[0].algorithm)
        return cls(
            version=1,
            digestAlgorithms=tuple(AlgorithmIdentifier.of(a) for a in algorithms),
            archiveTimeStampSequence=tuple(tuple(c) for c in chains),
        )

    def to_json(self) -> str:
        """The record as pretty JSON, with RFC 4998's field names."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True), indent=2) + "\n"


def load_evidence_record(text: str | bytes) -> EvidenceRecord:
    """Parse an evidence record, refusing anything that is not exactly the format."""
    try:
        return EvidenceRecord.model_validate_json(text, by_alias=True, by_name=False)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise EvidenceFormatError(f"{where}: {first['msg']}") from err


def canonical_json(value: object) -> bytes:
    """The canonical bytes that stand in for RFC 4998's DER encodings when hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _sequence_bytes(chains: Sequence[Sequence[ArchiveTimeStamp]]) -> bytes:
    return canonical_json(
        [[ats.model_dump(mode="json", exclude_none=True) for ats in chain] for chain in chains]
    )


def _time_stamp_bytes(ats: ArchiveTimeStamp) -> bytes:
    return canonical_json(ats.time_stamp.model_dump(mode="json"))


def file_digest(path: Path, alg: HashAlgorithm) -> bytes:
    """The hash of a file's content, read in chunks."""
    h = alg.new()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.digest()


class HashTreeMismatchError(ValueError):
    """A reduced hash tree does not cover the values it should."""


def _group_hash(values: Sequence[bytes], alg: HashAlgorithm) -> bytes:
    # RFC 4998, 4.2: the hash values of one list, binary sorted ascending, concatenated.
    return alg.digest(b"".join(sorted(values)))


def reduce_hash_tree(
    tree: Sequence[Sequence[bytes]] | None, covered: Sequence[bytes], alg: HashAlgorithm
) -> bytes:
    """The root hash of a reduced hash tree that must cover exactly ``covered`` in its first
    list (RFC 4998, 4.3); without a tree the time stamp covers the single value itself.

    Raises:
        HashTreeMismatchError: when the first list is not exactly the covered values, or a
            computed value is missing from the next list.
    """
    if not tree:
        if len(covered) != 1:
            raise HashTreeMismatchError(
                f"there is no hash tree, yet {len(covered)} values must be covered"
            )
        return covered[0]
    if sorted(tree[0]) != sorted(covered):
        missing = len([c for c in covered if c not in tree[0]])
        extra = len([t for t in tree[0] if t not in covered])
        raise HashTreeMismatchError(
            f"the first list of the hash tree lacks {missing} covered value(s) and has "
            f"{extra} other value(s)"
        )
    h = _group_hash(tree[0], alg)
    for level, values in enumerate(tree[1:], start=2):
        if h not in values:
            raise HashTreeMismatchError(f"list {level} of the hash tree does not hold its child")
        h = _group_hash(values, alg)
    return h


@dataclass(frozen=True)
class PendingTimeStamp:
    """An archive time stamp whose root is fixed but whose chain anchor is yet to come."""

    algorithm: HashAlgorithm
    reduced_hashtree: tuple[tuple[bytes, ...], ...] | None
    root: bytes

    def complete(self, receipt: AnchorReceipt) -> ArchiveTimeStamp:
        """The archive time stamp, once the root's anchor receipt is in."""
        return ArchiveTimeStamp(
            digestAlgorithm=AlgorithmIdentifier.of(self.algorithm),
            reducedHashtree=None
            if self.reduced_hashtree is None
            else tuple(tuple(v.hex() for v in level) for level in self.reduced_hashtree),
            timeStamp=receipt,
        )


def _tree_over(values: Sequence[bytes], alg: HashAlgorithm) -> PendingTimeStamp:
    # One tree per AIP: the AIP's data objects form one data object group (RFC 4998,
    # 4.2 step 3), so the reduced tree is that group's single list. Batching many AIPs
    # into one on-chain root is the anchoring log's job, not this tree's.
    group = tuple(sorted(values))
    return PendingTimeStamp(alg, (group,), _group_hash(group, alg))


def initial_time_stamp(data_hashes: Sequence[bytes], alg: HashAlgorithm) -> PendingTimeStamp:
    """The first archive time stamp over an AIP's data objects (hashed with ``alg``)."""
    if not data_hashes:
        raise ValueError("an evidence record needs at least one data object")
    return _tree_over(data_hashes, alg)


def _renewal_values(
    data_hashes: Sequence[bytes],
    chains: Sequence[Sequence[ArchiveTimeStamp]],
    alg: HashAlgorithm,
) -> list[bytes]:
    # RFC 4998, 5.2: h(i) = H(h(d(i)) + ha), ha = H(encoded ArchiveTimeStampSequence).
    ha = alg.digest(_sequence_bytes(chains))
    return [alg.digest(h + ha) for h in data_hashes]


def hash_tree_renewal(
    record: EvidenceRecord, data_hashes: Sequence[bytes], alg: HashAlgorithm
) -> PendingTimeStamp:
    """The first time stamp of a new chain (RFC 4998, 5.2, hash-tree renewal): over the data
    objects hashed with the new algorithm, each bound to the old ArchiveTimeStampSequence."""
    return _tree_over(_renewal_values(data_hashes, record.archive_time_stamp_sequence, alg), alg)


def time_stamp_renewal(record: EvidenceRecord) -> PendingTimeStamp:
    """The next time stamp of the last chain (RFC 4998, 5.2, time-stamp renewal): it covers
    the hash of the previous time stamp's timeStamp, with the chain's algorithm."""
    last = record.archive_time_stamp_sequence[-1][-1]
    alg = last.algorithm
    return PendingTimeStamp(alg, None, alg.digest(_time_stamp_bytes(last)))


# --- verification ----------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceStep:
    """One step of an evidence record's verification; ``ok`` is None when not checkable.

    ``chain`` and ``time_stamp`` count from 1; ``receipt`` holds the anchor's own steps.
    """

    name: str
    ok: bool | None
    message_en: str
    message_de: str
    chain: int | None = None
    time_stamp: int | None = None
    receipt: ReceiptVerification | None = None


@dataclass
class EvidenceVerification:
    """Every step; the record holds only if every step was made and passed."""

    steps: list[EvidenceStep] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True only when every step was made and passed."""
        return bool(self.steps) and all(s.ok is True for s in self.steps)

    @property
    def failed(self) -> EvidenceStep | None:
        """The first step that failed or could not be made."""
        return next((s for s in self.steps if s.ok is not True), None)

    def add(self, step: EvidenceStep) -> bool:
        self.steps.append(step)
        return step.ok is True


def _hash_objects(
    data_objects: Mapping[str, Path], algorithms: Collection[HashAlgorithm]
) -> tuple[dict[HashAlgorithm, list[bytes]], list[str]]:
    hashes: dict[HashAlgorithm, list[bytes]] = {a: [] for a in algorithms}
    missing = []
    for name, path in sorted(data_objects.items()):
        if not path.is_file():
            missing.append(name)
            continue
        hs = [a.new() for a in algorithms]
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                for h in hs:
                    h.update(chunk)
        for a, h in zip(algorithms, hs, strict=True):
            hashes[a].append(h.digest())
    return hashes, missing


def _check_receipt_fields(receipt: AnchorReceipt) -> tuple[bool, str, str]:
    """What verify_receipt leaves to the reader: the id and the informative UTC time."""
    expected_id = f"{receipt.namespace}:{receipt.leaf_index}"
    if receipt.receipt_id != expected_id:
        return (
            False,
            f"The receipt id {receipt.receipt_id} is not {expected_id}.",
            f"Die Quittungs-ID {receipt.receipt_id} ist nicht {expected_id}.",
        )
    utc = block_time_utc(receipt.anchor.block_time)
    if receipt.anchor.block_time_utc != utc:
        return (
            False,
            f"The block time reads {receipt.anchor.block_time_utc}, but is {utc}.",
            f"Die Blockzeit lautet {receipt.anchor.block_time_utc}, ist aber {utc}.",
        )
    return True, "", ""


def _verify_time_stamp(
    v: EvidenceVerification,
    ats: ArchiveTimeStamp,
    root: bytes,
    previous_time: int | None,
    where: tuple[int, int],
    gateway: ChainGateway | None,
) -> None:
    c, a = where
    receipt = ats.time_stamp
    rv = verify_receipt(receipt, document=root, gateway=gateway)
    fields_ok, en, de = _check_receipt_fields(receipt)
    t = receipt.anchor
    in_order = previous_time is None or t.block_time >= previous_time
    if not rv.ok:
        failed = rv.failed
        assert failed is not None
        ok: bool | None = failed.ok
        en = f"The chain anchor does not hold ({failed.name}): {failed.message_en}"
        de = f"Die Verankerung hält nicht ({failed.name}): {failed.message_de}"
    elif not fields_ok:
        ok = False
    elif not in_order:
        ok = False
        en = "This time stamp is older than the one before it."
        de = "Dieser Zeitstempel ist älter als der vorige."
    else:
        ok = True
        en = (
            f"The root was anchored in block {t.block_number} at {t.block_time_utc} on chain "
            f"{t.chain_id} (contract {t.contract}, log size {receipt.tree_size})."
        )
        de = (
            f"Die Wurzel wurde in Block {t.block_number} um {t.block_time_utc} auf Chain "
            f"{t.chain_id} verankert (Vertrag {t.contract}, Loggröße {receipt.tree_size})."
        )
    v.add(EvidenceStep("time-stamp", ok, en, de, c, a, rv))


def verify_evidence_record(
    record: EvidenceRecord,
    data_objects: Mapping[str, Path],
    *,
    gateway: ChainGateway | None,
    retired: Collection[HashAlgorithm] = (),
) -> EvidenceVerification:
    """Verify an evidence record for these data objects (name -> file), every chain in order
    (RFC 4998, 5.3): the first time stamp covers the data objects; each later time stamp
    of a chain covers the previous timeStamp; each later chain's first time stamp covers
    the data objects bound to all earlier chains; each time stamp is a chain anchor that
    holds (on chain, with ``gateway``); and the last chain's algorithm is not retired.
    """
    v = EvidenceVerification()
    chains = record.archive_time_stamp_sequence
    chain_algs = [chain[0].algorithm for chain in chains]
    expected = list(dict.fromkeys(chain_algs))
    listed = [d.hash_algorithm for d in record.digest_algorithms]
    v.add(
        EvidenceStep(
            "digest-algorithms",
            listed == expected,
            f"digestAlgorithms lists {', '.join(a.label for a in listed)}; the chains use "
            f"{', '.join(a.label for a in expected)}.",
            f"digestAlgorithms nennt {', '.join(a.label for a in listed)}; die Ketten "
            f"verwenden {', '.join(a.label for a in expected)}.",
        )
    )
    hashes, missing = _hash_objects(data_objects, expected)
    if not v.add(
        EvidenceStep(
            "data-objects",
            not missing and bool(data_objects),
            f"{len(data_objects)} data objects are at hand."
            if not missing
            else f"Data objects are missing: {', '.join(missing)}.",
            f"{len(data_objects)} Datenobjekte liegen vor."
            if not missing
            else f"Datenobjekte fehlen: {', '.join(missing)}.",
        )
    ):
        return v
    previous_time: int | None = None
    for c, chain in enumerate(chains):
        alg = chain_algs[c]
        same = all(ats.algorithm is alg for ats in chain)
        v.add(
            EvidenceStep(
                "chain-algorithm",
                same,
                f"Chain {c + 1} uses {alg.label} throughout."
                if same
                else f"Chain {c + 1} mixes hash algorithms.",
                f"Kette {c + 1} verwendet durchgehend {alg.label}."
                if same
                else f"Kette {c + 1} mischt Hashalgorithmen.",
                chain=c + 1,
            )
        )
        for a, ats in enumerate(chain):
            if a == 0 and c == 0:
                covered = hashes[alg]
                what_en, what_de = "the data objects", "die Datenobjekte"
            elif a == 0:
                covered = _renewal_values(hashes[alg], chains[:c], alg)
                what_en = "the data objects and the earlier chains (hash-tree renewal)"
                what_de = "die Datenobjekte und die früheren Ketten (Hashbaum-Erneuerung)"
            else:
                covered = [ats.algorithm.digest(_time_stamp_bytes(chain[a - 1]))]
                what_en = "the previous time stamp (time-stamp renewal)"
                what_de = "den vorigen Zeitstempel (Zeitstempel-Erneuerung)"
            tree = (
                None
                if ats.reduced_hashtree is None
                else [[bytes.fromhex(h) for h in level] for level in ats.reduced_hashtree]
            )
            try:
                root = reduce_hash_tree(tree, covered, ats.algorithm)
            except HashTreeMismatchError as err:
                v.add(
                    EvidenceStep(
                        "hash-tree",
                        False,
                        f"The hash tree does not cover {what_en}: {err}.",
                        f"Der Hashbaum deckt {what_de} nicht ab: {err}.",
                        c + 1,
                        a + 1,
                    )
                )
                continue
            v.add(
                EvidenceStep(
                    "hash-tree",
                    True,
                    f"The hash tree ({ats.algorithm.label}) covers {what_en}; root {root.hex()}.",
                    f"Der Hashbaum ({ats.algorithm.label}) deckt {what_de} ab; Wurzel "
                    f"{root.hex()}.",
                    c + 1,
                    a + 1,
                )
            )
            _verify_time_stamp(v, ats, root, previous_time, (c + 1, a + 1), gateway)
            previous_time = ats.time_stamp.anchor.block_time
    last = chain_algs[-1]
    fresh = last not in retired
    v.add(
        EvidenceStep(
            "algorithm-validity",
            fresh,
            f"The last chain's algorithm {last.label} is in use."
            if fresh
            else f"{last.label} is retired: the evidence needs a hash-tree renewal.",
            f"Der Algorithmus der letzten Kette, {last.label}, ist zugelassen."
            if fresh
            else f"{last.label} ist außer Dienst gestellt: der Beweisdatensatz braucht eine "
            "Hashbaum-Erneuerung.",
        )
    )
    return v
