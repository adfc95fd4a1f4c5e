"""Handover packages (SIPs): BagIt bags (RFC 8493) with the archive's bag-info fields.

Validation only reads: it opens the bag with the ``bagit`` library, then checks, each
with its own precise refusal, the structure, that no listed file is missing, that no
payload file is unlisted, every checksum of every manifest, the remaining BagIt rules,
and the metadata. ZIP handovers are unpacked into a scratch directory first, refusing
members that would land outside it.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

import bagit

from govchain.platform.archive.errors import (
    BagInvalidError,
    BagMetadataError,
    NotABagError,
    PayloadFileChangedError,
    PayloadFileMissingError,
    UnexpectedPayloadFileError,
)

__all__ = ["METADATA_FIELDS", "SipMetadata", "ValidatedSip", "extract_zip", "validate_sip"]

# bag-info.txt field -> (English, German) description, in the order they are checked.
METADATA_FIELDS = {
    "Office": ("the handing-over office", "die abgebende Dienststelle"),
    "File-Plan-Number": ("the file-plan number", "das Aktenplankennzeichen"),
    "Retention-End": ("the end of the retention period", "das Ende der Aufbewahrungsfrist"),
    "Protection-End": ("the end of the protection period", "das Ende der Schutzfrist"),
}
_OPTIONAL_FIELDS = ("External-Identifier", "External-Description", "Source-Organization")
_STRONG = ("sha512", "sha256", "sha384")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_TEXT = 500


@dataclass(frozen=True)
class SipMetadata:
    """What the records manager states about the handed-over records."""

    office: str
    file_plan_number: str
    retention_end: date
    protection_end: date
    external_identifier: str | None
    description: str | None
    source_organization: str | None


@dataclass(frozen=True)
class ValidatedSip:
    """A bag that passed every check: where it is, its metadata, and its files."""

    root: Path
    metadata: SipMetadata
    files: tuple[str, ...]  # every file of the bag, relative, POSIX separators, sorted
    manifest_digests: dict[str, dict[str, str]]  # path -> bagit algorithm -> hex
    payload_files: int
    payload_bytes: int


def _single(info: dict[str, str | list[str]], name: str, required: bool) -> str | None:
    value = info.get(name)
    if isinstance(value, list):
        raise BagMetadataError(
            name,
            f"the field {name} is given {len(value)} times; give it once",
            f"das Feld {name} steht {len(value)}-mal darin; es darf nur einmal stehen",
        )
    text = (value or "").strip()
    if not text:
        if not required:
            return None
        en, de = METADATA_FIELDS[name]
        raise BagMetadataError(
            name,
            f"the field {name} ({en}) is missing or empty",
            f"das Feld {name} ({de}) fehlt oder ist leer",
        )
    if len(text) > _MAX_TEXT:
        raise BagMetadataError(
            name,
            f"the field {name} is longer than {_MAX_TEXT} characters",
            f"das Feld {name} ist länger als {_MAX_TEXT} Zeichen",
        )
    return text


def _date(name: str, text: str) -> date:
    en, de = METADATA_FIELDS[name]
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise BagMetadataError(
        name,
        f"{name} ({en}) is {text!r}, which is not a calendar date; write YYYY-MM-DD, "
        "e.g. 2054-12-31",
        f"{name} ({de}) ist {text!r}, das ist kein Kalenderdatum; bitte JJJJ-MM-TT "
        "schreiben, z. B. 2054-12-31",
    )


def _metadata(info: dict[str, str | list[str]], today: date) -> SipMetadata:
    missing = [n for n in METADATA_FIELDS if not str(info.get(n) or "").strip()]
    if len(missing) > 1:
        raise BagMetadataError(
            missing[0],
            f"the fields {', '.join(missing)} are missing or empty",
            f"die Felder {', '.join(missing)} fehlen oder sind leer",
        )
    office = _single(info, "Office", True)
    plan = _single(info, "File-Plan-Number", True)
    retention_text = _single(info, "Retention-End", True)
    protection_text = _single(info, "Protection-End", True)
    assert office and plan and retention_text and protection_text
    retention = _date("Retention-End", retention_text)
    protection = _date("Protection-End", protection_text)
    if retention > today:
        raise BagMetadataError(
            "Retention-End",
            f"the retention period ends on {retention.isoformat()}, after today "
            f"({today.isoformat()}); records are handed over only once it has ended",
            f"die Aufbewahrungsfrist endet am {retention.strftime('%d.%m.%Y')}, nach heute "
            f"({today.strftime('%d.%m.%Y')}); Unterlagen werden erst nach ihrem Ende "
            "übergeben",
        )
    optional = {n: _single(info, n, False) for n in _OPTIONAL_FIELDS}
    return SipMetadata(
        office=office,
        file_plan_number=plan,
        retention_end=retention,
        protection_end=protection,
        external_identifier=optional["External-Identifier"],
        description=optional["External-Description"],
        source_organization=optional["Source-Organization"],
    )


def _walk_files(root: Path) -> list[str]:
    """Every regular file below root (relative, POSIX); refuses links and special files."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            mode = path.lstat().st_mode
            rel = path.relative_to(root).as_posix()
            if stat.S_ISLNK(mode):
                raise BagInvalidError(
                    f"{rel} is a symbolic link; a bag must hold its files themselves",
                    f"{rel} ist ein symbolischer Verweis; ein Bag muss die Dateien selbst "
                    "enthalten",
                )
            if not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):
                raise BagInvalidError(
                    f"{rel} is not a regular file", f"{rel} ist keine gewöhnliche Datei"
                )
            if stat.S_ISREG(mode):
                found.append(rel)
    return sorted(found)


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _open(root: Path) -> bagit.Bag:
    if not root.is_dir():
        raise NotABagError(f"{root.name} is not a directory", f"{root.name} ist kein Verzeichnis")
    if not (root / "bagit.txt").is_file():
        raise NotABagError(
            "it has no bagit.txt declaration at its top level",
            "ihm fehlt die Erklärung bagit.txt auf oberster Ebene",
        )
    try:
        bag = bagit.Bag(str(root))
    except (bagit.BagError, UnicodeDecodeError, OSError) as err:
        raise NotABagError(
            f"bagit cannot read it ({err})", f"bagit kann ihn nicht lesen ({err})"
        ) from err
    if not (root / "data").is_dir():
        raise NotABagError(
            "it has no data/ payload directory", "ihm fehlt das Nutzdatenverzeichnis data/"
        )
    if not any(p.is_file() or p.is_symlink() for p in (root / "data").rglob("*")):
        raise BagInvalidError("its payload (data/) is empty", "seine Nutzdaten (data/) sind leer")
    if not list(bag.manifest_files()):
        raise NotABagError(
            "it has no payload manifest (manifest-<algorithm>.txt)",
            "ihm fehlt ein Nutzdaten-Manifest (manifest-<Algorithmus>.txt)",
        )
    return bag


def validate_sip(root: Path, *, today: date) -> ValidatedSip:
    """Validate a bag directory completely, writing nothing.

    Raises:
        SipError: the first problem found, each kind with its own error class.
    """
    bag = _open(root)
    files = _walk_files(root)
    if not any(a in bag.algorithms for a in _STRONG):
        raise BagInvalidError(
            f"its manifests use only {', '.join(bag.algorithms)}; include "
            "manifest-sha256.txt or manifest-sha512.txt",
            f"seine Manifeste verwenden nur {', '.join(bag.algorithms)}; bitte "
            "manifest-sha256.txt oder manifest-sha512.txt beilegen",
        )
    try:
        if list(bag.fetch_entries()):
            raise BagInvalidError(
                "it lists files to fetch (fetch.txt); the archive takes complete bags only",
                "er nennt nachzuladende Dateien (fetch.txt); das Archiv nimmt nur "
                "vollständige Bags",
            )
    except bagit.BagError as err:
        raise BagInvalidError(f"fetch.txt: {err}", f"fetch.txt: {err}") from err
    only_in_manifest, only_on_disk = bag.compare_manifests_with_fs()
    if only_in_manifest:
        raise PayloadFileMissingError(sorted(Path(p).as_posix() for p in only_in_manifest))
    if only_on_disk:
        raise UnexpectedPayloadFileError(sorted(Path(p).as_posix() for p in only_on_disk))
    payload = [f for f in files if f.startswith("data/")]
    if not payload:
        raise BagInvalidError("its payload (data/) is empty", "seine Nutzdaten (data/) sind leer")
    metadata = _metadata(bag.info, today)
    digests: dict[str, dict[str, str]] = {}
    mismatches = []
    for entry, by_alg in sorted(bag.entries.items()):
        rel = Path(entry).as_posix()
        path = root / rel
        if not path.is_file():
            raise PayloadFileMissingError([rel])
        for alg, expected in sorted(by_alg.items()):
            found = _digest(path, alg)
            if found != expected.lower():
                mismatches.append((rel, alg, expected.lower(), found))
            digests.setdefault(rel, {})[alg] = found
    if mismatches:
        raise PayloadFileChangedError(mismatches)
    for manifest in bag.manifest_files():
        alg = Path(manifest).name.removeprefix("manifest-").removesuffix(".txt")
        unlisted = [p for p in payload if alg not in digests.get(p, {})]
        if unlisted:
            raise BagInvalidError(
                f"manifest-{alg}.txt does not list {', '.join(unlisted[:5])}",
                f"manifest-{alg}.txt nennt {', '.join(unlisted[:5])} nicht",
            )
    try:
        # The rest of BagIt: Payload-Oxum, bagit.txt form; checksums were done above.
        bag.validate(processes=1, completeness_only=True)
    except bagit.BagError as err:
        raise BagInvalidError(str(err), str(err)) from err
    return ValidatedSip(
        root=root,
        metadata=metadata,
        files=tuple(files),
        manifest_digests=digests,
        payload_files=len(payload),
        payload_bytes=sum((root / p).stat().st_size for p in payload),
    )


def _unpack_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, dest: Path, budget: int
) -> int:
    """Write one member to dest; returns its size. A ZIP's stated sizes may lie, so what
    really comes out is counted against the budget."""
    written = 0
    try:
        with archive.open(member) as src, dest.open("wb") as out:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > budget:
                    raise NotABagError(
                        "it unpacks to more bytes than the archive takes",
                        "sie entpackt zu mehr Bytes, als das Archiv annimmt",
                    )
                out.write(chunk)
    # zipfile raises NotImplementedError for an unsupported compression method and
    # RuntimeError for an encrypted member: both are bags we cannot take, not our bugs.
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError) as err:
        raise NotABagError(
            f"the member {member.filename!r} cannot be unpacked ({err})",
            f"der Eintrag {member.filename!r} lässt sich nicht entpacken ({err})",
        ) from err
    return written


def extract_zip(
    stream: IO[bytes],
    into: Path,
    *,
    max_bytes: int,
    max_files: int = 100_000,
) -> Path:
    """Unpack a serialized bag (ZIP) into ``into`` and return the bag's directory: the
    ZIP's top level, or its single top-level directory (RFC 8493, 4.4).

    Raises:
        NotABagError: not a ZIP, members outside the target, links, or too large.
    """
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError) as err:
        raise NotABagError(
            "it is not a ZIP file (send the bag as application/zip)",
            "sie ist keine ZIP-Datei (den Bag bitte als application/zip senden)",
        ) from err
    with archive:
        members = archive.infolist()
        if len(members) > max_files or sum(m.file_size for m in members) > max_bytes:
            raise NotABagError(
                f"it unpacks to more than {max_files} files or {max_bytes} bytes",
                f"sie entpackt zu mehr als {max_files} Dateien oder {max_bytes} Bytes",
            )
        target = into.resolve()
        written = 0
        for member in members:
            name = member.filename
            dest = (target / name).resolve()
            kind = stat.S_IFMT(member.external_attr >> 16)
            if (
                name.startswith(("/", "\\"))
                or ".." in Path(name).parts
                or not dest.is_relative_to(target)
            ):
                raise NotABagError(
                    f"the member {name!r} would land outside the bag",
                    f"der Eintrag {name!r} läge außerhalb des Bags",
                )
            if kind == stat.S_IFLNK:
                raise NotABagError(
                    f"the member {name!r} is a symbolic link",
                    f"der Eintrag {name!r} ist ein symbolischer Verweis",
                )
            if member.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            written += _unpack_member(archive, member, dest, max_bytes - written)
    if (target / "bagit.txt").is_file():
        return target
    tops = [p for p in target.iterdir()]
    if len(tops) == 1 and tops[0].is_dir() and (tops[0] / "bagit.txt").is_file():
        return tops[0]
    raise NotABagError(
        "the ZIP holds no bagit.txt at its top level or in one single top-level directory",
        "die ZIP-Datei enthält keine bagit.txt auf oberster Ebene oder in genau einem "
        "Verzeichnis darunter",
    )
