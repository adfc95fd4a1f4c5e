"""Errors of the Digitales Stadtarchiv.

Tree (below ``govchain.errors.ServiceError``)::

    ArchiveError
    ├── SipError                      a handover (SIP) is refused; nothing is stored
    │   ├── NotABagError              not a BagIt bag (no bagit.txt, not a ZIP, no data/)
    │   ├── PayloadFileMissingError   a manifest lists a file the bag lacks
    │   ├── UnexpectedPayloadFileError  a payload file no manifest lists
    │   ├── PayloadFileChangedError   a file's checksum differs from its manifest
    │   ├── BagInvalidError           other BagIt violations (Oxum, fetch.txt, links, weak digests)
    │   └── BagMetadataError          bag-info.txt lacks a field, repeats it, or has a bad date
    ├── AipNotFoundError              no AIP with this id
    ├── AipFileNotFoundError          the AIP has no such (public) file
    ├── EvidencePendingError          the evidence record has no anchored time stamp yet
    ├── AipDamagedError               the AIP failed its fixity check; evidence is not renewed
    ├── EvidenceFormatError           a document that is not an evidence record in our JSON form
    ├── AlgorithmError                an unknown hash algorithm, or one that cannot be retired
    └── AccessRefusedError            public access is refused
        ├── ProtectionPeriodError     the protection period (Schutzfrist) still runs
        └── NotReleasedError          the period is over but the record is not (or no longer) open

Each error has an English sentence (``str(err)``) and a German one (``err.message_de``),
an HTTP ``status`` and a problem ``code`` for the platform app's RFC 9457 handler.
A failed *verification* of an evidence record is not an exception: it returns every
step with its outcome, so an auditor sees which one failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from govchain.errors import ServiceError

__all__ = [
    "AccessRefusedError",
    "AipDamagedError",
    "AipFileNotFoundError",
    "AipNotFoundError",
    "AlgorithmError",
    "ArchiveError",
    "BagInvalidError",
    "BagMetadataError",
    "EvidenceFormatError",
    "EvidencePendingError",
    "NotABagError",
    "NotReleasedError",
    "PayloadFileChangedError",
    "PayloadFileMissingError",
    "ProtectionPeriodError",
    "SipError",
    "UnexpectedPayloadFileError",
]


def _listed(paths: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" (+{len(paths) - limit})" if len(paths) > limit else "")


def _german_date(value: date) -> str:
    """A date as Germans write it, e.g. 31.12.2054."""
    return value.strftime("%d.%m.%Y")


class ArchiveError(ServiceError):
    """Anything the archive refuses."""

    status = 400
    code = "archive-error"


class SipError(ArchiveError):
    """A submission information package (BagIt bag) that the archive does not take."""

    code = "sip-refused"


class NotABagError(SipError):
    """The handover is not a BagIt bag at all."""

    code = "not-a-bag"

    def __init__(self, reason_en: str, reason_de: str) -> None:
        super().__init__(
            f"This handover is not a BagIt bag: {reason_en}.",
            f"Diese Abgabe ist kein BagIt-Bag: {reason_de}.",
        )
        self.reason = reason_en


class PayloadFileMissingError(SipError):
    """A manifest names files that are not in the bag."""

    code = "payload-file-missing"

    def __init__(self, paths: Sequence[str]) -> None:
        super().__init__(
            f"The bag's manifest lists {len(paths)} file(s) the bag does not contain: "
            f"{_listed(paths)}. Hand over the complete bag.",
            f"Das Manifest des Bags nennt {len(paths)} Datei(en), die im Bag fehlen: "
            f"{_listed(paths)}. Bitte den vollständigen Bag abgeben.",
        )
        self.paths = list(paths)


class UnexpectedPayloadFileError(SipError):
    """Payload files that no manifest lists."""

    code = "unexpected-payload-file"

    def __init__(self, paths: Sequence[str]) -> None:
        super().__init__(
            f"The bag contains {len(paths)} payload file(s) no manifest lists: "
            f"{_listed(paths)}. Remove them or re-create the bag's manifests.",
            f"Der Bag enthält {len(paths)} Nutzdatei(en), die in keinem Manifest stehen: "
            f"{_listed(paths)}. Bitte entfernen oder die Manifeste neu erzeugen.",
        )
        self.paths = list(paths)


class PayloadFileChangedError(SipError):
    """Files whose content no longer matches the checksum in their manifest."""

    code = "payload-file-changed"

    def __init__(self, mismatches: Sequence[tuple[str, str, str, str]]) -> None:
        path, algorithm, expected, found = mismatches[0]
        more = f" (and {len(mismatches) - 1} more)" if len(mismatches) > 1 else ""
        more_de = f" (und {len(mismatches) - 1} weitere)" if len(mismatches) > 1 else ""
        super().__init__(
            f"The file {path} was changed: its {algorithm} is {found}, the manifest says "
            f"{expected}{more}. The bag is not what the office sent.",
            f"Die Datei {path} wurde verändert: ihr {algorithm} ist {found}, das Manifest "
            f"nennt {expected}{more_de}. Der Bag ist nicht der, den die Dienststelle abgab.",
        )
        self.mismatches = list(mismatches)
        self.paths = list(dict.fromkeys(m[0] for m in mismatches))


class BagInvalidError(SipError):
    """A BagIt violation other than missing, extra or changed files."""

    code = "bag-invalid"

    def __init__(self, reason_en: str, reason_de: str) -> None:
        super().__init__(f"The bag is invalid: {reason_en}.", f"Der Bag ist ungültig: {reason_de}.")
        self.reason = reason_en


class BagMetadataError(SipError):
    """bag-info.txt lacks a required field, repeats one, or holds a bad value."""

    code = "bag-metadata"

    def __init__(self, field: str, reason_en: str, reason_de: str) -> None:
        super().__init__(f"bag-info.txt: {reason_en}.", f"bag-info.txt: {reason_de}.")
        self.field = field


class AipNotFoundError(ArchiveError):
    """No AIP has this id."""

    status = 404
    code = "aip-not-found"

    def __init__(self, aip_id: str) -> None:
        super().__init__(
            f"There is no archival package {aip_id!r}.",
            f"Es gibt kein Archivpaket {aip_id!r}.",
        )
        self.aip_id = aip_id


class AipFileNotFoundError(ArchiveError):
    """The AIP has no file at this path (or none that may be shown)."""

    status = 404
    code = "aip-file-not-found"

    def __init__(self, aip_id: str, path: str) -> None:
        super().__init__(
            f"The archival package {aip_id} has no file {path!r}.",
            f"Das Archivpaket {aip_id} enthält keine Datei {path!r}.",
        )
        self.aip_id = aip_id
        self.path = path


class EvidencePendingError(ArchiveError):
    """The evidence record cannot be given or renewed while a time stamp is pending."""

    status = 409
    code = "evidence-pending"

    def __init__(self, aip_id: str, what_en: str, what_de: str) -> None:
        super().__init__(
            f"The evidence of {aip_id} {what_en}; try again once the chain anchor is in.",
            f"Der Beweisdatensatz von {aip_id} {what_de}; bitte nach der Verankerung "
            "erneut versuchen.",
        )
        self.aip_id = aip_id


class AipDamagedError(ArchiveError):
    """An AIP whose files fail their fixity check: its evidence must not be renewed over
    damaged data."""

    status = 409
    code = "aip-damaged"

    def __init__(self, aip_id: str) -> None:
        super().__init__(
            f"The archival package {aip_id} failed its fixity check; its evidence is not "
            "renewed over damaged files. Restore the files from a copy first.",
            f"Das Archivpaket {aip_id} hat die Fixitätsprüfung nicht bestanden; sein "
            "Beweisdatensatz wird nicht über beschädigte Dateien erneuert. Zuerst die Dateien "
            "aus einer Kopie wiederherstellen.",
        )
        self.aip_id = aip_id


class EvidenceFormatError(ArchiveError):
    """A document that is not an evidence record in govchain's RFC 4998 JSON form."""

    code = "evidence-format"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"This is not a readable evidence record (RFC 4998, JSON): {detail}.",
            f"Dies ist kein lesbarer Beweisdatensatz (RFC 4998, JSON): {detail}.",
        )
        self.detail = detail


class AlgorithmError(ArchiveError):
    """An unknown hash algorithm, or a retirement that would leave none to use."""

    code = "hash-algorithm"

    def __init__(self, reason_en: str, reason_de: str) -> None:
        super().__init__(reason_en, reason_de)


class AccessRefusedError(ArchiveError):
    """Public access to a record is refused."""

    status = 403
    code = "access-refused"


class ProtectionPeriodError(AccessRefusedError):
    """The protection period (Schutzfrist) has not ended yet."""

    code = "protection-period"

    def __init__(self, aip_id: str, protection_end: date) -> None:
        opens = protection_end + timedelta(days=1)
        super().__init__(
            f"The record {aip_id} is under its protection period (Schutzfrist) until "
            f"{protection_end.isoformat()} inclusive; it is open to the public from "
            f"{opens.isoformat()}.",
            f"Das Archivgut {aip_id} unterliegt bis einschließlich "
            f"{_german_date(protection_end)} der Schutzfrist; öffentlich zugänglich ist es "
            f"ab dem {_german_date(opens)}.",
        )
        self.aip_id = aip_id
        self.protection_end = protection_end


class NotReleasedError(AccessRefusedError):
    """The protection period is over, but the record is not open (yet, or any more)."""

    code = "not-released"

    def __init__(self, aip_id: str, reason_en: str, reason_de: str) -> None:
        super().__init__(
            f"The record {aip_id} is not open to the public: {reason_en}.",
            f"Das Archivgut {aip_id} ist nicht öffentlich zugänglich: {reason_de}.",
        )
        self.aip_id = aip_id
