"""The Digitales Stadtarchiv: takes BagIt handovers (SIPs) from the document management
system, stores them as AIPs with fixity in SHA-256 and SHA-512, anchors their evidence
records (RFC 4998 structure) through the anchoring service, renews the evidence when a
hash algorithm is retired or a time stamp ages, checks fixity on a schedule, and opens
each record to the public when its protection period (Schutzfrist) ends.

Order of writes, so that a refusal or a crash never leaves half an AIP: the bag is
validated completely before anything is written; it is copied into staging, hashed as it
is copied, and renamed into place; then one database transaction records the AIP, its
files, its first (pending) time stamp and the ingestion event. An AIP exists when that
transaction has committed; on start, directories without one are removed. Time stamps
are requested from the anchoring service after the commit and again on every run until
each has a receipt id, so none is lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from govchain import __version__
from govchain.chain.errors import ChainError
from govchain.platform.anchoring.receipts import AnchorReceipt
from govchain.platform.anchoring.service import AnchoringService
from govchain.platform.archive._bag import ValidatedSip, extract_zip, validate_sip
from govchain.platform.archive._db import (
    AipFileRow,
    AipRow,
    EventRow,
    RetiredAlgorithmRow,
    TimeStampRow,
    open_database,
)
from govchain.platform.archive._store import AipStore, StoredFile
from govchain.platform.archive.errors import (
    AipDamagedError,
    AipFileNotFoundError,
    AipNotFoundError,
    AlgorithmError,
    ArchiveError,
    EvidencePendingError,
    NotReleasedError,
    ProtectionPeriodError,
)
from govchain.platform.archive.evidence import (
    ArchiveTimeStamp,
    EvidenceRecord,
    EvidenceVerification,
    HashAlgorithm,
    PendingTimeStamp,
    file_digest,
    hash_tree_renewal,
    initial_time_stamp,
    time_stamp_renewal,
    verify_evidence_record,
)
from govchain.platform.archive.schemas import (
    AipDetail,
    AipFile,
    AipSummary,
    FixityProblem,
    FixityReport,
    PreservationEvent,
    PublicFile,
    PublicRecord,
)
from govchain.platform.archive.states import TRANSITIONS, AipState, EventOutcome, EventType

__all__ = [
    "EVIDENCE_FILE",
    "LOCAL_ZONE",
    "ArchivePolicy",
    "ArchiveService",
    "AuditView",
    "IngestCrashPoint",
    "TimeStampKind",
]

log = logging.getLogger(__name__)

# Protection periods and retention ends are calendar dates of the city's time zone.
LOCAL_ZONE = ZoneInfo("Europe/Berlin")
EVIDENCE_FILE = "preservation/evidence-record.json"


class IngestCrashPoint(StrEnum):
    """Moments at which tests make the process kill itself with SIGKILL (fault injection)."""

    COPYING = "copying"  # part of the bag copied into staging
    STORED = "stored"  # AIP renamed into place, database not yet committed
    COMMITTED = "committed"  # AIP committed, its first time stamp not yet requested


class TimeStampKind(StrEnum):
    """Why an archive time stamp was made."""

    INITIAL = "initial"
    HASH_TREE_RENEWAL = "hash-tree renewal"
    TIME_STAMP_RENEWAL = "time-stamp renewal"


@dataclass(frozen=True)
class ArchivePolicy:
    """The archive's preservation policy."""

    evidence_algorithm: HashAlgorithm = HashAlgorithm.SHA256
    fixity_interval: timedelta = timedelta(days=90)
    # Time-stamp renewal (RFC 4998, 5.2) once the newest anchor of a record is this old.
    time_stamp_renewal_after: timedelta = timedelta(days=5 * 365)
    max_sip_bytes: int = 2 * 1024**3


@dataclass(frozen=True)
class AuditView:
    """Everything the auditor's page shows about one AIP."""

    detail: AipDetail
    record: EvidenceRecord | None
    verification: EvidenceVerification | None
    pending: list[str]  # time stamps still waiting for their anchor, as readable text
    retired: list[HashAlgorithm]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _local_date(moment: datetime) -> date:
    """The calendar date in the city at this moment."""
    return moment.astimezone(LOCAL_ZONE).date()


def _de(d: date) -> str:
    return d.strftime("%d.%m.%Y")


class ArchiveService:
    """The archive of one city, on its own directory and database, anchoring through the
    given anchoring service in namespace ``archive.<city>``.

    Args:
        directory: where the AIPs and ``archive.sqlite3`` live.
        anchoring: the anchoring service (with or without a chain attached yet).
        city: the city's slug, e.g. ``aachen``.
        policy: algorithms and intervals.
        crash_at: test-only fault injection (see IngestCrashPoint).
    """

    def __init__(
        self,
        directory: Path,
        anchoring: AnchoringService,
        *,
        city: str,
        policy: ArchivePolicy | None = None,
        crash_at: IngestCrashPoint | None = None,
    ) -> None:
        self.directory = directory
        self.anchoring = anchoring
        self.city = city
        self.namespace = f"archive.{city}"
        self.policy = policy or ArchivePolicy()
        self.agent = f"govchain {__version__}, Digitales Stadtarchiv {city}"
        self._crash_at = crash_at
        self._lock = threading.RLock()
        self.store = AipStore(directory)
        self.engine = open_database(directory / "archive.sqlite3")
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._namespace_on_chain = False
        self._recover()

    def close(self) -> None:
        """Release the database."""
        self.engine.dispose()

    # --- start-up and chain -------------------------------------------------------------

    def _recover(self) -> None:
        with self._sessions.begin() as s:
            heads = {
                aip_id: head for aip_id, head in s.execute(select(AipRow.id, AipRow.head_version))
            }
            self.store.recover(heads)
            for aip in s.scalars(select(AipRow)):
                path = self.store.aip_dir(aip.id) / "inventory.json"
                try:
                    head = json.loads(path.read_text(encoding="utf-8")).get("head")
                except (OSError, ValueError):
                    head = None
                if head != f"v{aip.head_version}":
                    self.store.write_inventory(aip.id, self._inventory(aip, aip.files))

    def ensure_namespace(self) -> None:
        """Register ``archive.<city>`` with the anchoring service, and on chain once a chain
        is attached (idempotent). Done when the archive first anchors, so an archive that
        holds nothing leaves no trace in the anchoring service.

        Raises:
            ChainError: when the chain refuses or is unreachable; the next run tries again.
        """
        if self._namespace_on_chain:
            return
        self.anchoring.add_namespace(self.namespace)
        self._namespace_on_chain = self.anchoring.chain is not None

    def _crash(self, point: IngestCrashPoint | str) -> None:
        if self._crash_at is not None and self._crash_at.value == str(point):
            log.warning("fault injection: killing the process at %s", point)
            os.kill(os.getpid(), signal.SIGKILL)

    # --- ingest -------------------------------------------------------------------------

    def ingest_bag(self, bag_dir: Path, *, now: datetime | None = None) -> AipSummary:
        """Validate a bag directory and store it as a new AIP, or refuse it with a precise
        reason and store nothing.

        Raises:
            SipError: the bag is not a bag, lacks or adds or changed files, or its
                metadata is incomplete or wrong.
        """
        now = now or _utcnow()
        sip = validate_sip(bag_dir, today=_local_date(now))
        with self._lock:
            summary = self._store_sip(sip, now)
        self._crash(IngestCrashPoint.COMMITTED)
        try:
            self.request_time_stamps()
        except ChainError as err:
            # The AIP is stored; its time stamp is requested again on the next run.
            log.warning("time stamp of %s not requested yet: %s", summary.aip_id, err.message)
        return summary

    def ingest_zip(self, stream: IO[bytes], *, now: datetime | None = None) -> AipSummary:
        """Like ``ingest_bag`` for a bag serialized as a ZIP file (RFC 8493, 4.4)."""
        scratch = self.store.incoming / uuid.uuid4().hex
        scratch.mkdir(parents=True)
        try:
            root = extract_zip(stream, scratch, max_bytes=self.policy.max_sip_bytes)
            return self.ingest_bag(root, now=now)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _store_sip(self, sip: ValidatedSip, now: datetime) -> AipSummary:
        aip_id = f"aip-{uuid.uuid4()}"
        m = sip.metadata
        aip = AipRow(
            id=aip_id,
            state=AipState.STORED.value,
            office=m.office,
            file_plan_number=m.file_plan_number,
            retention_end=m.retention_end,
            protection_end=m.protection_end,
            external_identifier=m.external_identifier,
            description=m.description,
            source_organization=m.source_organization,
            payload_files=sip.payload_files,
            payload_bytes=sip.payload_bytes,
            head_version=1,
            ingested_at=now,
            released_at=None,
            next_fixity_check_at=now + self.policy.fixity_interval,
            last_fixity_check_at=now,
        )

        def inventory(stored: list[StoredFile]) -> str:
            return self._inventory(aip, [self._file_row(aip_id, f, now) for f in stored])

        stored = self.store.create(
            aip_id,
            sip.root,
            sip.files,
            sip.manifest_digests,
            inventory=inventory,
            checkpoint=self._crash,
        )
        try:
            with self._sessions.begin() as s:
                alg = self._evidence_algorithm(s)
                hashes = [self._content_digest(aip_id, f, alg) for f in stored]
                pending = initial_time_stamp(hashes, alg)
                s.add(aip)
                s.add_all(self._file_row(aip_id, f, now) for f in stored)
                self._add_time_stamp(s, aip_id, 0, 0, TimeStampKind.INITIAL, pending, now)
                self._event(
                    s,
                    aip_id,
                    EventType.INGESTION,
                    EventOutcome.SUCCESS,
                    f"Bag validated and stored: {len(stored)} files ({sip.payload_files} payload "
                    f"files, {sip.payload_bytes} bytes) with SHA-256 and SHA-512 fixity; "
                    f"evidence root {pending.root.hex()} ({alg.label}) awaits its anchor.",
                    f"Bag geprüft und gespeichert: {len(stored)} Dateien ({sip.payload_files} "
                    f"Nutzdateien, {sip.payload_bytes} Bytes) mit Fixität in SHA-256 und "
                    f"SHA-512; Beweiswurzel {pending.root.hex()} ({alg.label}) wartet auf ihre "
                    "Verankerung.",
                    now,
                )
        except BaseException:
            shutil.rmtree(self.store.aip_dir(aip_id), ignore_errors=True)
            raise
        log.info("ingested %s from %s (%d files)", aip_id, m.office, len(stored))
        return self._summary(aip)

    def _content_digest(self, aip_id: str, f: StoredFile, alg: HashAlgorithm) -> bytes:
        if alg is HashAlgorithm.SHA256:
            return bytes.fromhex(f.sha256)
        if alg is HashAlgorithm.SHA512:
            return bytes.fromhex(f.sha512)
        return file_digest(self.store.file_path(aip_id, f.version, f.path), alg)

    @staticmethod
    def _file_row(aip_id: str, f: StoredFile, now: datetime) -> AipFileRow:
        return AipFileRow(
            aip_id=aip_id,
            version=f.version,
            path=f.path,
            size=f.size,
            sha256=f.sha256,
            sha512=f.sha512,
            created_at=now,
        )

    def _inventory(self, aip: AipRow, files: Iterable[AipFileRow]) -> str:
        versions: dict[str, dict[str, object]] = {}
        for f in sorted(files, key=lambda f: (f.version, f.path)):
            v = versions.setdefault(
                f"v{f.version}",
                {
                    "created": f.created_at.isoformat(),
                    "message": "ingest" if f.version == 1 else "evidence record",
                    "files": {},
                },
            )
            v["files"][f.path] = {  # type: ignore[index]
                "size": f.size,
                "sha-256": f.sha256,
                "sha-512": f.sha512,
            }
        return (
            json.dumps(
                {
                    "type": "govchain-aip-inventory/1",
                    "id": aip.id,
                    "head": f"v{max((int(k[1:]) for k in versions), default=1)}",
                    "fixityAlgorithms": ["sha-256", "sha-512"],
                    "metadata": {
                        "office": aip.office,
                        "filePlanNumber": aip.file_plan_number,
                        "retentionEnd": aip.retention_end.isoformat(),
                        "protectionEnd": aip.protection_end.isoformat(),
                        "externalIdentifier": aip.external_identifier,
                    },
                    "versions": versions,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )

    # --- events and the state machine ---------------------------------------------------

    def _event(
        self,
        s: Session,
        aip_id: str,
        event_type: EventType,
        outcome: EventOutcome,
        detail: str,
        detail_de: str,
        now: datetime,
    ) -> None:
        s.add(
            EventRow(
                identifier=f"urn:uuid:{uuid.uuid4()}",
                aip_id=aip_id,
                event_type=event_type.value,
                outcome=outcome.value,
                detail=detail,
                detail_de=detail_de,
                agent=self.agent,
                occurred_at=now,
            )
        )

    def _transition(
        self,
        s: Session,
        aip: AipRow,
        to: AipState,
        detail: str,
        detail_de: str,
        now: datetime,
        outcome: EventOutcome = EventOutcome.SUCCESS,
    ) -> None:
        """The one place an AIP's state changes: along TRANSITIONS, with its event."""
        current = AipState(aip.state)
        event_type = TRANSITIONS.get((current, to))
        if event_type is None:
            raise ArchiveError(
                f"{aip.id} cannot go from {current} to {to}.",
                f"{aip.id} kann nicht von {current.label_de} zu {to.label_de} wechseln.",
            )
        aip.state = to.value
        if to is AipState.RELEASED and aip.released_at is None:
            aip.released_at = now
        self._event(s, aip.id, event_type, outcome, detail, detail_de, now)
        log.info("%s: %s -> %s", aip.id, current, to)

    # --- time stamps --------------------------------------------------------------------

    @staticmethod
    def _add_time_stamp(
        s: Session,
        aip_id: str,
        chain: int,
        stamp: int,
        kind: TimeStampKind,
        pending: PendingTimeStamp,
        now: datetime,
    ) -> None:
        tree = pending.reduced_hashtree
        s.add(
            TimeStampRow(
                aip_id=aip_id,
                chain_index=chain,
                stamp_index=stamp,
                kind=kind.value,
                algorithm=pending.algorithm.value,
                reduced_hashtree=None
                if tree is None
                else json.dumps([[v.hex() for v in level] for level in tree]),
                root=pending.root.hex(),
                receipt_id=None,
                receipt=None,
                requested_at=now,
                anchored_at=None,
            )
        )

    def request_time_stamps(self) -> int:
        """Hand every time stamp's root that has no receipt id yet to the anchoring service;
        returns how many. The anchored document is the root, so the log holds SHA-256(root)."""
        with self._lock, self._sessions.begin() as s:
            rows = s.scalars(select(TimeStampRow).where(TimeStampRow.receipt_id.is_(None))).all()
            if rows:
                self.ensure_namespace()
            for row in rows:
                digest = hashlib.sha256(bytes.fromhex(row.root)).digest()
                row.receipt_id = self.anchoring.submit(self.namespace, digest)
            return len(rows)

    def collect_time_stamps(self, *, now: datetime | None = None) -> int:
        """Take in the receipts of anchored time stamps; an AIP whose first time stamp is in
        becomes ``preserved``, and each AIP whose evidence changed gets a new version with
        its evidence record. Returns how many time stamps came in."""
        now = now or _utcnow()
        touched: list[str] = []
        with self._lock:
            with self._sessions.begin() as s:
                rows = s.scalars(
                    select(TimeStampRow)
                    .where(TimeStampRow.receipt_id.is_not(None), TimeStampRow.receipt.is_(None))
                    .order_by(TimeStampRow.id)
                ).all()
                for row in rows:
                    assert row.receipt_id is not None
                    receipt = self.anchoring.receipt(row.receipt_id)
                    if receipt is None:
                        continue
                    self._take_receipt(s, row, receipt, now)
                    if row.aip_id not in touched:
                        touched.append(row.aip_id)
            for aip_id in touched:
                self._write_evidence_version(aip_id, now)
        return len(touched)

    def _take_receipt(
        self, s: Session, row: TimeStampRow, receipt: AnchorReceipt, now: datetime
    ) -> None:
        expected = hashlib.sha256(bytes.fromhex(row.root)).hexdigest()
        if receipt.document_hash != expected:
            raise ArchiveError(
                f"The anchoring service returned receipt {row.receipt_id} for another hash "
                f"than the time stamp's root ({receipt.document_hash} instead of {expected}).",
                f"Der Verankerungsdienst lieferte Quittung {row.receipt_id} für einen anderen "
                f"Hash als die Wurzel des Zeitstempels ({receipt.document_hash} statt "
                f"{expected}).",
            )
        row.receipt = receipt.to_json()
        row.anchored_at = now
        a = receipt.anchor
        en = (
            f"Time stamp {row.chain_index + 1}.{row.stamp_index + 1} ({row.kind}, "
            f"{HashAlgorithm(row.algorithm).label}) anchored in block {a.block_number} at "
            f"{a.block_time_utc}, transaction {a.transaction_hash}, receipt {receipt.receipt_id}."
        )
        de = (
            f"Zeitstempel {row.chain_index + 1}.{row.stamp_index + 1} "
            f"({_KIND_DE[TimeStampKind(row.kind)]}, {HashAlgorithm(row.algorithm).label}) in "
            f"Block {a.block_number} um {a.block_time_utc} verankert, Transaktion "
            f"{a.transaction_hash}, Quittung {receipt.receipt_id}."
        )
        aip = s.get_one(AipRow, row.aip_id)
        if AipState(aip.state) is AipState.STORED:
            self._transition(s, aip, AipState.PRESERVED, en, de, now)
        else:
            self._event(s, aip.id, EventType.ANCHORING, EventOutcome.SUCCESS, en, de, now)

    def _write_evidence_version(self, aip_id: str, now: datetime) -> None:
        with self._sessions.begin() as s:
            if self._pending(s, aip_id):
                return  # written once the record is whole again
            aip = s.get_one(AipRow, aip_id)
            record = self._record(s, aip_id)
            version = aip.head_version + 1
            stored = self.store.add_version(
                aip_id, version, {EVIDENCE_FILE: record.to_json().encode()}
            )
            try:
                s.add_all(self._file_row(aip_id, f, now) for f in stored)
                aip.head_version = version
                s.flush()
            except BaseException:
                self.store.remove_version(aip_id, version)
                raise
        with self._sessions() as s:
            aip = s.get_one(AipRow, aip_id)
            self.store.write_inventory(aip_id, self._inventory(aip, aip.files))

    @staticmethod
    def _stamps(s: Session, aip_id: str) -> list[TimeStampRow]:
        return list(
            s.scalars(
                select(TimeStampRow)
                .where(TimeStampRow.aip_id == aip_id)
                .order_by(TimeStampRow.chain_index, TimeStampRow.stamp_index)
            )
        )

    def _pending(self, s: Session, aip_id: str) -> list[TimeStampRow]:
        return [r for r in self._stamps(s, aip_id) if r.receipt is None]

    def _record(self, s: Session, aip_id: str) -> EvidenceRecord:
        chains: list[list[ArchiveTimeStamp]] = []
        for row in self._stamps(s, aip_id):
            if row.receipt is None:
                break  # later time stamps build on this one
            tree = None if row.reduced_hashtree is None else json.loads(row.reduced_hashtree)
            pending = PendingTimeStamp(
                HashAlgorithm(row.algorithm),
                None if tree is None else tuple(tuple(bytes.fromhex(h) for h in lv) for lv in tree),
                bytes.fromhex(row.root),
            )
            ats = pending.complete(AnchorReceipt.model_validate_json(row.receipt))
            if row.stamp_index == 0:
                chains.append([ats])
            else:
                chains[-1].append(ats)
        if not chains:
            raise EvidencePendingError(
                aip_id,
                "has no anchored time stamp yet",
                "hat noch keinen verankerten Zeitstempel",
            )
        return EvidenceRecord.of(chains)

    def evidence_record(self, aip_id: str) -> EvidenceRecord:
        """The AIP's evidence record: every time stamp anchored so far.

        Raises:
            AipNotFoundError: no such AIP.
            EvidencePendingError: not even the first time stamp is anchored yet.
        """
        with self._sessions() as s:
            self._get(s, aip_id)
            return self._record(s, aip_id)

    # --- renewal ------------------------------------------------------------------------

    def _retired(self, s: Session) -> dict[HashAlgorithm, HashAlgorithm]:
        rows = s.scalars(select(RetiredAlgorithmRow)).all()
        return {HashAlgorithm(r.name): HashAlgorithm(r.successor) for r in rows}

    def _evidence_algorithm(self, s: Session) -> HashAlgorithm:
        retired = self._retired(s)
        alg = self.policy.evidence_algorithm
        seen = {alg}
        while alg in retired:
            alg = retired[alg]
            if alg in seen:
                break
            seen.add(alg)
        return alg

    def evidence_algorithm(self) -> HashAlgorithm:
        """The algorithm new evidence is made with: the policy's, or its successor if retired."""
        with self._sessions() as s:
            return self._evidence_algorithm(s)

    def retired_algorithms(self) -> list[HashAlgorithm]:
        """The hash algorithms retired for evidence."""
        with self._sessions() as s:
            return list(self._retired(s))

    def retire_algorithm(
        self, algorithm: HashAlgorithm, successor: HashAlgorithm, *, now: datetime | None = None
    ) -> list[str]:
        """Retire a hash algorithm for evidence: every record whose last chain uses it gets a
        hash-tree renewal with ``successor`` (now or, while a time stamp is pending, on a
        later run). Returns the AIPs renewed now.

        Raises:
            AlgorithmError: when successor is the retired algorithm or retired itself.
        """
        now = now or _utcnow()
        with self._lock:
            with self._sessions.begin() as s:
                retired = self._retired(s)
                if successor is algorithm or successor in retired:
                    raise AlgorithmError(
                        f"{successor.label} cannot succeed {algorithm.label}: it is the same "
                        "algorithm or retired itself.",
                        f"{successor.label} kann {algorithm.label} nicht ablösen: es ist derselbe "
                        "oder selbst außer Dienst gestellt.",
                    )
                if algorithm not in retired:
                    s.add(
                        RetiredAlgorithmRow(
                            name=algorithm.value, successor=successor.value, retired_at=now
                        )
                    )
            log.warning("hash algorithm %s retired; successor %s", algorithm, successor)
            return self.renew_evidence_due(now=now)

    def _require_complete(self, s: Session, aip_id: str) -> EvidenceRecord:
        if self._pending(s, aip_id):
            raise EvidencePendingError(
                aip_id,
                "has a time stamp waiting for its anchor",
                "hat einen Zeitstempel, der auf seine Verankerung wartet",
            )
        return self._record(s, aip_id)

    def renew_hash_tree(
        self,
        aip_id: str,
        algorithm: HashAlgorithm,
        *,
        reason_en: str,
        reason_de: str,
        now: datetime | None = None,
    ) -> None:
        """Hash-tree renewal (RFC 4998, 5.2): a new chain whose first time stamp covers the
        data objects, hashed with ``algorithm``, each bound to the whole old sequence. The
        files are fixity-checked first: evidence is never renewed over damaged data.

        Raises:
            AipDamagedError, EvidencePendingError
        """
        now = now or _utcnow()
        with self._lock:
            if not self.check_fixity(aip_id, now=now).ok:
                raise AipDamagedError(aip_id)
            with self._sessions.begin() as s:
                aip = self._get(s, aip_id)
                record = self._require_complete(s, aip_id)
                content = [f for f in aip.files if f.version == 1]
                hashes = [
                    file_digest(self.store.file_path(aip_id, 1, f.path), algorithm) for f in content
                ]
                pending = hash_tree_renewal(record, hashes, algorithm)
                chain = len(record.archive_time_stamp_sequence)
                old = record.archive_time_stamp_sequence[-1][0].algorithm
                self._add_time_stamp(
                    s, aip_id, chain, 0, TimeStampKind.HASH_TREE_RENEWAL, pending, now
                )
                self._event(
                    s,
                    aip_id,
                    EventType.EVIDENCE_RENEWAL,
                    EventOutcome.SUCCESS,
                    f"Hash-tree renewal: chain {chain + 1} with {algorithm.label} over "
                    f"{len(content)} data objects and the {chain} earlier chain(s), replacing "
                    f"{old.label} ({reason_en}); root {pending.root.hex()} awaits its anchor.",
                    f"Hashbaum-Erneuerung: Kette {chain + 1} mit {algorithm.label} über "
                    f"{len(content)} Datenobjekte und die {chain} früheren Kette(n), anstelle "
                    f"von {old.label} ({reason_de}); Wurzel {pending.root.hex()} wartet auf "
                    "ihre Verankerung.",
                    now,
                )
        self.request_time_stamps()

    def renew_time_stamp(
        self, aip_id: str, *, reason_en: str, reason_de: str, now: datetime | None = None
    ) -> None:
        """Time-stamp renewal (RFC 4998, 5.2): a new time stamp in the last chain over the
        hash of the previous time stamp, with the chain's algorithm.

        Raises:
            EvidencePendingError: while a time stamp of the AIP waits for its anchor.
        """
        now = now or _utcnow()
        with self._lock, self._sessions.begin() as s:
            self._get(s, aip_id)
            record = self._require_complete(s, aip_id)
            pending = time_stamp_renewal(record)
            chain = len(record.archive_time_stamp_sequence) - 1
            stamp = len(record.archive_time_stamp_sequence[-1])
            self._add_time_stamp(
                s, aip_id, chain, stamp, TimeStampKind.TIME_STAMP_RENEWAL, pending, now
            )
            self._event(
                s,
                aip_id,
                EventType.EVIDENCE_RENEWAL,
                EventOutcome.SUCCESS,
                f"Time-stamp renewal: time stamp {stamp + 1} of chain {chain + 1} "
                f"({pending.algorithm.label}) over the previous one ({reason_en}).",
                f"Zeitstempel-Erneuerung: Zeitstempel {stamp + 1} der Kette {chain + 1} "
                f"({pending.algorithm.label}) über den vorigen ({reason_de}).",
                now,
            )
        self.request_time_stamps()

    def renew_evidence_due(self, *, now: datetime | None = None) -> list[str]:
        """Renew every record that needs it: a hash-tree renewal where the last chain's
        algorithm is retired, else a time-stamp renewal where the newest anchor is older
        than the policy allows. Damaged AIPs and AIPs with a pending time stamp wait.
        Returns the AIPs renewed."""
        now = now or _utcnow()
        renewed = []
        with self._lock:
            with self._sessions() as s:
                retired = self._retired(s)
                current = self._evidence_algorithm(s)
                todo: list[tuple[str, HashAlgorithm | None, str, str]] = []
                for aip in s.scalars(select(AipRow).order_by(AipRow.ingested_at)):
                    stamps = self._stamps(s, aip.id)
                    if AipState(aip.state) is AipState.DAMAGED or not stamps:
                        continue
                    if any(r.receipt is None for r in stamps):
                        continue
                    chain_alg = HashAlgorithm(stamps[-1].algorithm)
                    if chain_alg in retired:
                        todo.append(
                            (
                                aip.id,
                                current,
                                f"{chain_alg.label} was retired",
                                f"{chain_alg.label} wurde außer Dienst gestellt",
                            )
                        )
                        continue
                    assert stamps[-1].receipt is not None
                    anchored = datetime.fromtimestamp(
                        AnchorReceipt.model_validate_json(stamps[-1].receipt).anchor.block_time, UTC
                    )
                    if anchored + self.policy.time_stamp_renewal_after <= now:
                        days = self.policy.time_stamp_renewal_after.days
                        todo.append(
                            (
                                aip.id,
                                None,
                                f"the newest anchor is older than {days} days",
                                f"der jüngste Anker ist älter als {days} Tage",
                            )
                        )
            for aip_id, alg, en, de in todo:
                try:
                    if alg is None:
                        self.renew_time_stamp(aip_id, reason_en=en, reason_de=de, now=now)
                    else:
                        self.renew_hash_tree(aip_id, alg, reason_en=en, reason_de=de, now=now)
                except AipDamagedError:
                    log.error("%s is damaged; its evidence was not renewed", aip_id)
                    continue
                renewed.append(aip_id)
        return renewed

    # --- fixity -------------------------------------------------------------------------

    def check_fixity(self, aip_id: str, *, now: datetime | None = None) -> FixityReport:
        """Recompute SHA-256 and SHA-512 of every file of the AIP and compare them with what
        was recorded; look for files that should not be there. A failure marks the AIP
        ``damaged``; a pass after a repair restores its earlier state."""
        now = now or _utcnow()
        with self._lock, self._sessions.begin() as s:
            aip = self._get(s, aip_id)
            files = list(aip.files)
            problems = self._fixity_problems(aip_id, files)
            aip.last_fixity_check_at = now
            aip.next_fixity_check_at = now + self.policy.fixity_interval
            state = AipState(aip.state)
            if problems:
                shown = "; ".join(f"v{p.version}/{p.path}: {p.problem_en}" for p in problems[:5])
                shown_de = "; ".join(f"v{p.version}/{p.path}: {p.problem_de}" for p in problems[:5])
                en = f"{len(problems)} problem(s) in {len(files)} files: {shown}."
                de = f"{len(problems)} Problem(e) bei {len(files)} Dateien: {shown_de}."
                if state is AipState.DAMAGED:
                    failure = EventOutcome.FAILURE
                    self._event(s, aip_id, EventType.FIXITY_CHECK, failure, en, de, now)
                else:
                    self._transition(
                        s, aip, AipState.DAMAGED, en, de, now, outcome=EventOutcome.FAILURE
                    )
                log.error("fixity check of %s failed: %s", aip_id, en)
            else:
                en = f"All {len(files)} files match their recorded SHA-256 and SHA-512."
                de = f"Alle {len(files)} Dateien stimmen mit ihrem SHA-256 und SHA-512 überein."
                self._event(s, aip_id, EventType.FIXITY_CHECK, EventOutcome.SUCCESS, en, de, now)
                if state is AipState.DAMAGED:
                    self._transition(
                        s,
                        aip,
                        self._undamaged_state(s, aip),
                        "The files are whole again (restored); fixity holds.",
                        "Die Dateien sind wieder vollständig (wiederhergestellt); die Fixität "
                        "hält.",
                        now,
                    )
            return FixityReport(
                aip_id=aip_id,
                checked_at=now,
                files_checked=len(files),
                ok=not problems,
                problems=problems,
                state=AipState(aip.state),
            )

    def _fixity_problems(self, aip_id: str, files: Sequence[AipFileRow]) -> list[FixityProblem]:
        problems = []
        recorded = {(f.version, f.path) for f in files}
        for version, extra in sorted(self.store.files_on_disk(aip_id) - recorded):
            problems.append(
                FixityProblem(
                    version=version,
                    path=extra,
                    problem_en="a file that is not part of the AIP",
                    problem_de="eine Datei, die nicht zum Archivpaket gehört",
                )
            )
        for f in files:
            stored = self.store.file_path(aip_id, f.version, f.path)
            if not stored.is_file():
                problems.append(
                    FixityProblem(
                        version=f.version, path=f.path, problem_en="missing", problem_de="fehlt"
                    )
                )
                continue
            sha256, sha512 = hashlib.sha256(), hashlib.sha512()
            with stored.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    sha256.update(chunk)
                    sha512.update(chunk)
            for name, h, want in (("SHA-256", sha256, f.sha256), ("SHA-512", sha512, f.sha512)):
                if h.hexdigest() != want:
                    problems.append(
                        FixityProblem(
                            version=f.version,
                            path=f.path,
                            problem_en=f"{name} is {h.hexdigest()[:16]}…, recorded {want[:16]}…",
                            problem_de=f"{name} ist {h.hexdigest()[:16]}…, erfasst {want[:16]}…",
                        )
                    )
        return problems

    def _undamaged_state(self, s: Session, aip: AipRow) -> AipState:
        if aip.released_at is not None:
            return AipState.RELEASED
        stamps = self._stamps(s, aip.id)
        if stamps and stamps[0].receipt is not None:
            return AipState.PRESERVED
        return AipState.STORED

    def check_fixity_due(self, *, now: datetime | None = None) -> list[FixityReport]:
        """Check every AIP whose scheduled fixity check is due."""
        now = now or _utcnow()
        with self._sessions() as s:
            due = s.scalars(
                select(AipRow.id)
                .where(AipRow.next_fixity_check_at <= now)
                .order_by(AipRow.next_fixity_check_at)
            ).all()
        return [self.check_fixity(aip_id, now=now) for aip_id in due]

    # --- release and public access ------------------------------------------------------

    def _release_if_due(self, s: Session, aip: AipRow, now: datetime) -> bool:
        today = _local_date(now)
        if AipState(aip.state) is not AipState.PRESERVED or today <= aip.protection_end:
            return False
        self._transition(
            s,
            aip,
            AipState.RELEASED,
            f"The protection period ended on {aip.protection_end.isoformat()}; the record is "
            "open to the public.",
            f"Die Schutzfrist endete am {_de(aip.protection_end)}; das Archivgut ist öffentlich "
            "zugänglich.",
            now,
        )
        return True

    def release_due(self, *, now: datetime | None = None) -> list[str]:
        """Open every preserved record whose protection period has ended."""
        now = now or _utcnow()
        with self._lock, self._sessions.begin() as s:
            aips = s.scalars(
                select(AipRow).where(
                    AipRow.state == AipState.PRESERVED.value,
                    AipRow.protection_end < _local_date(now),
                )
            ).all()
            return [a.id for a in aips if self._release_if_due(s, a, now)]

    def public_record(self, aip_id: str, *, now: datetime | None = None) -> PublicRecord:
        """The record as the public may see it, once its protection period has ended.

        Raises:
            AipNotFoundError: no such record.
            ProtectionPeriodError: the protection period still runs.
            NotReleasedError: it is over, but the record is damaged or its evidence is not
                anchored yet.
        """
        now = now or _utcnow()
        with self._lock, self._sessions.begin() as s:
            aip = self._get(s, aip_id)
            self._release_if_due(s, aip, now)
            self._require_public(aip, now)
            assert aip.released_at is not None
            return PublicRecord(
                aip_id=aip.id,
                office=aip.office,
                file_plan_number=aip.file_plan_number,
                protection_end=aip.protection_end,
                released_at=aip.released_at,
                description=aip.description,
                external_identifier=aip.external_identifier,
                files=[
                    PublicFile(
                        path=f.path.removeprefix("content/"),
                        size=f.size,
                        sha256=f.sha256,
                        sha512=f.sha512,
                        url=f"/archive/v1/public/aips/{aip.id}/files/"
                        f"{f.path.removeprefix('content/')}",
                    )
                    for f in aip.files
                    if f.version == 1 and f.path.startswith("content/data/")
                ],
            )

    def public_file(self, aip_id: str, path: str, *, now: datetime | None = None) -> Path:
        """The stored file of a released record's payload (``data/...``).

        Raises:
            AccessRefusedError: as for ``public_record``; AipFileNotFoundError.
        """
        record = self.public_record(aip_id, now=now)
        if not any(f.path == path for f in record.files):
            raise AipFileNotFoundError(aip_id, path)
        return self.store.file_path(aip_id, 1, f"content/{path}")

    @staticmethod
    def _require_public(aip: AipRow, now: datetime) -> None:
        state = AipState(aip.state)
        if state is AipState.RELEASED:
            return
        if _local_date(now) <= aip.protection_end:
            raise ProtectionPeriodError(aip.id, aip.protection_end)
        if state is AipState.DAMAGED:
            raise NotReleasedError(
                aip.id,
                "it failed its last fixity check; access is suspended until it is repaired",
                "es hat die letzte Fixitätsprüfung nicht bestanden; der Zugang ruht bis zur "
                "Wiederherstellung",
            )
        raise NotReleasedError(
            aip.id,
            f"its protection period ended on {aip.protection_end.isoformat()}, and it opens as "
            "soon as its evidence is anchored",
            f"seine Schutzfrist endete am {_de(aip.protection_end)}; es wird zugänglich, sobald "
            "sein Beweisdatensatz verankert ist",
        )

    # --- reading ------------------------------------------------------------------------

    @staticmethod
    def _get(s: Session, aip_id: str) -> AipRow:
        aip = s.get(AipRow, aip_id)
        if aip is None:
            raise AipNotFoundError(aip_id)
        return aip

    @staticmethod
    def _summary(aip: AipRow) -> AipSummary:
        return AipSummary(
            aip_id=aip.id,
            state=AipState(aip.state),
            office=aip.office,
            file_plan_number=aip.file_plan_number,
            retention_end=aip.retention_end,
            protection_end=aip.protection_end,
            external_identifier=aip.external_identifier,
            description=aip.description,
            payload_files=aip.payload_files,
            payload_bytes=aip.payload_bytes,
            ingested_at=aip.ingested_at,
            released_at=aip.released_at,
            last_fixity_check_at=aip.last_fixity_check_at,
            next_fixity_check_at=aip.next_fixity_check_at,
        )

    def aips(self) -> list[AipSummary]:
        """Every AIP, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(select(AipRow).order_by(AipRow.ingested_at))
            return [self._summary(a) for a in rows]

    def events(self, aip_id: str) -> list[PreservationEvent]:
        """The AIP's preservation events, in order."""
        with self._sessions() as s:
            self._get(s, aip_id)
            return self._events(s, aip_id)

    def _events(self, s: Session, aip_id: str) -> list[PreservationEvent]:
        rows = s.scalars(select(EventRow).where(EventRow.aip_id == aip_id).order_by(EventRow.id))
        return [
            PreservationEvent(
                event_identifier=r.identifier,
                event_type=EventType(r.event_type),
                event_date_time=r.occurred_at,
                event_outcome=EventOutcome(r.outcome),
                event_outcome_detail=r.detail,
                event_outcome_detail_de=r.detail_de,
                linking_agent=r.agent,
                linking_object=aip_id,
            )
            for r in rows
        ]

    def aip(self, aip_id: str) -> AipDetail:
        """An AIP with its files, events and evidence status."""
        with self._sessions() as s:
            aip = self._get(s, aip_id)
            stamps = self._stamps(s, aip_id)
            return AipDetail(
                aip=self._summary(aip),
                namespace=self.namespace,
                head_version=aip.head_version,
                files=[
                    AipFile(
                        version=f.version,
                        path=f.path,
                        size=f.size,
                        sha256=f.sha256,
                        sha512=f.sha512,
                    )
                    for f in aip.files
                ],
                events=self._events(s, aip_id),
                time_stamps_anchored=sum(1 for r in stamps if r.receipt is not None),
                time_stamps_pending=sum(1 for r in stamps if r.receipt is None),
            )

    def data_objects(self, aip_id: str) -> dict[str, Path]:
        """The AIP's data objects for its evidence: the files of version 1 (the bag)."""
        with self._sessions() as s:
            aip = self._get(s, aip_id)
            return {
                f.path: self.store.file_path(aip_id, 1, f.path) for f in aip.files if f.version == 1
            }

    def verify_evidence(
        self, aip_id: str, record: EvidenceRecord | None = None
    ) -> EvidenceVerification:
        """Verify the AIP's evidence record (or one an auditor brings) against the stored
        data objects and, when the anchoring service has its chain, on chain."""
        if record is None:
            record = self.evidence_record(aip_id)
        chain = self.anchoring.chain
        return verify_evidence_record(
            record,
            self.data_objects(aip_id),
            gateway=None if chain is None else chain.registry.gateway,
            retired=self.retired_algorithms(),
        )

    def audit(self, aip_id: str) -> AuditView:
        """What the auditor's page shows: the AIP, its evidence record and its verification."""
        detail = self.aip(aip_id)
        try:
            record: EvidenceRecord | None = self.evidence_record(aip_id)
        except EvidencePendingError:
            record = None
        with self._sessions() as s:
            pending = [
                f"{r.chain_index + 1}.{r.stamp_index + 1} ({_KIND_DE[TimeStampKind(r.kind)]}, "
                f"{HashAlgorithm(r.algorithm).label})"
                for r in self._pending(s, aip_id)
            ]
        return AuditView(
            detail=detail,
            record=record,
            verification=None if record is None else self.verify_evidence(aip_id, record),
            pending=pending,
            retired=self.retired_algorithms(),
        )

    # --- the schedule -------------------------------------------------------------------

    def run_due(self, *, now: datetime | None = None) -> None:
        """One round of everything scheduled: register the namespace on chain, request and
        collect time stamps, release records, renew evidence, check fixity."""
        now = now or _utcnow()
        if any(ns.namespace == self.namespace for ns in self.anchoring.status()):
            self.ensure_namespace()  # on chain, once the chain is attached
        self.request_time_stamps()
        self.collect_time_stamps(now=now)
        self.release_due(now=now)
        self.renew_evidence_due(now=now)
        self.check_fixity_due(now=now)


_KIND_DE = {
    TimeStampKind.INITIAL: "erster Zeitstempel",
    TimeStampKind.HASH_TREE_RENEWAL: "Hashbaum-Erneuerung",
    TimeStampKind.TIME_STAMP_RENEWAL: "Zeitstempel-Erneuerung",
}
