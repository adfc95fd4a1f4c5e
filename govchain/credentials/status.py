"""Status of issued credentials: on-chain status lists, index allocation, exports.

Status list URIs name the on-chain list exactly, so any verifier can map one back to
its own node::

    https://status.govchain.de/v1/<chain id>/<StatusRegistry address>/<list id>

The IETF Token Status List (``statuslist+jwt``) of a list is served at that URI; the
W3C Bitstring Status List credential of the same list at ``<uri>/w3c``. An SD-JWT VC
refers to an entry as ``"status": {"status_list": {"idx": <index>, "uri": <uri>}}``;
a JSON-LD credential as a ``BitstringStatusListEntry`` (``statusPurpose: message``,
``statusSize: 2``) pointing at the same list and index.

Entries have 2 bits, as on chain: 0 valid, 1 revoked, 2 suspended. Lists have at least
131,072 entries; issuers draw indexes at random (herd privacy: neighbouring indexes say
nothing about issuance order) and never hand one out twice.

Verifiers read status through a ``StatusSource``; ``ChainStatusSource`` reads the
StatusRegistry through the chain clients and caches for at most ``max_age`` seconds,
which, kept at or below the block period, makes a suspension or revocation visible
within one block.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gzip
import json
import os
import re
import secrets
import threading
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from eth_typing import ChecksumAddress
from eth_utils.address import is_checksum_address, to_checksum_address

from govchain._files import atomic_write_text, sync_directory
from govchain.chain.clients.status_registry import StatusRegistryClient
from govchain.chain.errors import (
    ChainError,
    StatusRegistryIndexOutOfRange,
    StatusRegistryUnknownList,
)
from govchain.chain.types import CredentialStatus, Did, StatusListRecord
from govchain.credentials._cache import TtlLruCache
from govchain.credentials._encoding import b64url_decode, b64url_encode
from govchain.credentials.errors import (
    InvalidCredentialError,
    StatusListFullError,
    StatusReferenceError,
    StatusUnavailableError,
)
from govchain.credentials.jose import parse_compact_jws, sign_compact_jws
from govchain.credentials.keys import PublicKey, SigningKey
from govchain.credentials.sd_jwt import is_unix_time

__all__ = [
    "MAX_INDEX",
    "MAX_LIST_SIZE",
    "MIN_LIST_SIZE",
    "STATUS_URI_PREFIX",
    "ChainStatusSource",
    "CredentialStatus",
    "IndexAllocator",
    "RandomIndexAllocator",
    "StatusListRecord",
    "StatusListUri",
    "StatusReference",
    "StatusSource",
    "TokenStatusList",
    "bitstring_status_list_credential",
    "read_bitstring_status_list",
    "read_token_status_list",
    "sign_bitstring_status_list",
    "token_status_list_jwt",
]

STATUS_URI_PREFIX: Final = "https://status.govchain.de/v1/"
MIN_LIST_SIZE: Final = 131_072
MAX_LIST_SIZE: Final = 16_777_216
"""The StatusRegistry's largest list (4 MiB packed)."""
MAX_INDEX: Final = 2**32 - 1
"""Indexes are uint32 on chain; anything larger names no entry of any list."""
_MAX_URI_LENGTH: Final = 160
_URI = re.compile(
    r"https://status\.govchain\.de/v1/([1-9][0-9]{0,18})/(0x[0-9a-fA-F]{40})/(0|[1-9][0-9]{0,18})"
)


@dataclass(frozen=True, slots=True)
class StatusListUri:
    """Where a status list lives: chain, StatusRegistry contract and list id."""

    chain_id: int
    registry: ChecksumAddress
    list_id: int

    def __str__(self) -> str:
        return f"{STATUS_URI_PREFIX}{self.chain_id}/{self.registry}/{self.list_id}"

    @property
    def w3c(self) -> str:
        """The URL of the same list as a W3C Bitstring Status List credential."""
        return f"{self}/w3c"

    @classmethod
    def parse(cls, uri: str) -> StatusListUri:
        """Parse a status list URI; anything else is a StatusReferenceError."""
        parsed = _parse_uri(uri)
        if parsed is None:
            raise StatusReferenceError(
                uri, "not a govchain status list URI", "keine govchain-Statuslisten-URI"
            )
        return parsed


def _parse_uri(uri: str) -> StatusListUri | None:
    if len(uri) > _MAX_URI_LENGTH:
        return None
    match = _URI.fullmatch(uri)
    if match is None:
        return None
    registry = _checksummed(match[2])
    if registry is None:
        return None
    return StatusListUri(int(match[1]), registry, int(match[3]))


@functools.lru_cache(maxsize=256)
def _checksummed(address: str) -> ChecksumAddress | None:
    """Checksum checks are cached (keccak per call): a verifier sees the same few
    registries again and again. Keys are 42 characters, so the cache stays small."""
    return to_checksum_address(address) if is_checksum_address(address) else None


@dataclass(frozen=True, slots=True)
class StatusReference:
    """An entry of a status list: the list's URI and the index in it."""

    uri: str
    index: int

    def to_claim(self) -> dict[str, Any]:
        """The SD-JWT VC ``status`` claim (IETF Token Status List, referenced token)."""
        return {"status_list": {"idx": self.index, "uri": self.uri}}

    @classmethod
    def from_claim(cls, value: object) -> StatusReference:
        """Read a ``status`` claim; a malformed one is a StatusReferenceError."""
        entry = value.get("status_list") if isinstance(value, Mapping) else None
        if not isinstance(entry, Mapping):
            raise StatusReferenceError(str(value), "no status_list", "kein status_list")
        uri, index = entry.get("uri"), entry.get("idx")
        if not isinstance(uri, str) or not isinstance(index, int) or isinstance(index, bool):
            raise StatusReferenceError(str(value), "uri or idx missing", "uri oder idx fehlt")
        if not 0 <= index <= MAX_INDEX:
            raise StatusReferenceError(
                uri, f"idx outside 0..{MAX_INDEX}", f"idx außerhalb von 0..{MAX_INDEX}"
            )
        return cls(uri, index)

    def bitstring_entry(self) -> dict[str, Any]:
        """The W3C ``BitstringStatusListEntry`` for the same on-chain entry."""
        w3c = StatusListUri.parse(self.uri).w3c
        return {
            "id": f"{w3c}#{self.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "message",
            "statusListIndex": str(self.index),
            "statusSize": 2,
            "statusListCredential": w3c,
            "statusMessage": [
                {"status": "0x0", "message": "valid"},
                {"status": "0x1", "message": "revoked"},
                {"status": "0x2", "message": "suspended"},
            ],
        }


def entry_of(packed: bytes, index: int) -> CredentialStatus:
    """The 2-bit entry ``index`` of a packed list (IETF layout: LSB first)."""
    if not 0 <= index < 4 * len(packed):
        raise IndexError(index)
    value = (packed[index >> 2] >> ((index & 3) << 1)) & 3
    # 3 is "application specific" in the IETF list and never written by the registry;
    # should it ever appear, it must not read as valid.
    return CredentialStatus(value) if value != 3 else CredentialStatus.REVOKED


class StatusSource(ABC):
    """Where a verifier learns the status of a credential."""

    @abstractmethod
    def status(self, uri: str, index: int) -> CredentialStatus:
        """The entry's status; StatusUnavailableError if the list cannot be read,
        StatusReferenceError if the URI or index names no entry."""

    @abstractmethod
    def packed_list(self, uri: str) -> bytes:
        """The whole list, 4 entries a byte, least significant bits first."""

    @abstractmethod
    def list_record(self, uri: str) -> StatusListRecord:
        """Who owns the list, how large it is and when it was created (the verifier
        checks that the list belongs to the issuing office and existed at issuance).
        StatusUnavailableError / StatusReferenceError as for ``status``."""


class ChainStatusSource(StatusSource):
    """Status from the StatusRegistry on the verifier's own node, with a short cache.

    Every cache is bounded: presentations choose the lists and indexes looked up, so
    an attacker must only be able to evict entries, never to fill memory.

    Args:
        client: the StatusRegistry client of the verifier's node.
        max_age: seconds a read stays fresh; at most the block period, so that a change
            is seen within one block. 0 reads the chain every time.
        whole_lists: read and cache entire lists (one read per list per ``max_age``,
            then every lookup is local) instead of single entries.
        clock: monotonic seconds (tests move it forward).
        max_entries: how many single entries are cached.
        max_lists: how many whole lists are cached (up to 4 MiB each).
    """

    def __init__(
        self,
        client: StatusRegistryClient,
        *,
        max_age: float = 1.0,
        whole_lists: bool = False,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 65_536,
        max_lists: int = 16,
    ) -> None:
        self.client = client
        self.whole_lists = whole_lists
        self._clock = clock
        self._chain_id: int | None = None
        self._entries: TtlLruCache[tuple[int, int], CredentialStatus] = TtlLruCache(
            max_entries, max_age, clock
        )
        self._lists: TtlLruCache[int, bytes] = TtlLruCache(max_lists, max_age, clock)
        # owner, size and creation time of a list never change: cached without expiry
        self._records: TtlLruCache[int, StatusListRecord] = TtlLruCache(4096, clock=clock)
        self.max_age = max_age

    @property
    def max_age(self) -> float:
        """Seconds a read stays fresh."""
        return self._max_age

    @max_age.setter
    def max_age(self, seconds: float) -> None:
        self._max_age = seconds
        self._entries.ttl = seconds
        self._lists.ttl = seconds

    @property
    def chain_id(self) -> int:
        """The chain the registry lives on."""
        if self._chain_id is None:
            self._chain_id = self.client.gateway.chain_id
        return self._chain_id

    def list_uri(self, list_id: int) -> str:
        """The URI of a list of this registry."""
        return str(StatusListUri(self.chain_id, self.client.address, list_id))

    def _list_id(self, uri: str) -> int:
        parsed = StatusListUri.parse(uri)
        if parsed.chain_id != self.chain_id or parsed.registry != self.client.address:
            raise StatusUnavailableError(uri, "the list is on a chain this verifier does not read")
        return parsed.list_id

    def _read(self, uri: str, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except (StatusRegistryUnknownList, StatusRegistryIndexOutOfRange) as err:
            raise StatusReferenceError(
                uri, "no such list or index on chain", "Liste oder Index gibt es nicht"
            ) from err
        except ChainError as err:
            raise StatusUnavailableError(uri, type(err).__name__) from err

    def status(self, uri: str, index: int) -> CredentialStatus:
        """The entry's status, fresh within ``max_age``."""
        list_id = self._list_id(uri)
        if not 0 <= index <= MAX_INDEX:
            raise StatusReferenceError(uri, "index out of range", "Index außerhalb des Bereichs")
        now = self._clock()
        if self.whole_lists:
            packed = self._packed(uri, list_id, now)
            try:
                return entry_of(packed, index)
            except IndexError as err:
                raise StatusReferenceError(uri, "index out of range", "Index zu groß") from err
        cached = self._entries.get((list_id, index))
        if cached is not None:
            return cached
        value: CredentialStatus = self._read(uri, lambda: self.client.status(list_id, index))
        self._entries.put((list_id, index), value, at=now)
        return value

    def _packed(self, uri: str, list_id: int, now: float) -> bytes:
        cached = self._lists.get(list_id)
        if cached is not None:
            return cached
        packed: bytes = self._read(uri, lambda: self.client.packed_statuses(list_id))
        self._lists.put(list_id, packed, at=now)
        return packed

    def packed_list(self, uri: str) -> bytes:
        """The whole list as stored on chain (read at one block)."""
        return self._packed(uri, self._list_id(uri), self._clock())

    def list_record(self, uri: str) -> StatusListRecord:
        """The list's owner, size and creation time (immutable on chain, so cached)."""
        list_id = self._list_id(uri)
        cached = self._records.get(list_id)
        if cached is not None:
            return cached
        record: StatusListRecord = self._read(uri, lambda: self.client.status_list(list_id))
        self._records.put(list_id, record)
        return record

    def refresh(self) -> None:
        """Forget everything cached."""
        self._entries.clear()
        self._lists.clear()
        self._records.clear()


# --- index allocation ------------------------------------------------------------------


class IndexAllocator(ABC):
    """Hands out indexes of one status list: each at most once."""

    @abstractmethod
    def allocate(self) -> int:
        """A fresh index; StatusListFullError when none is left."""

    @property
    @abstractmethod
    def remaining(self) -> int:
        """How many indexes can still be handed out."""


_ALLOC_FORMAT: Final = "govchain-status-allocations/1"


class RandomIndexAllocator(IndexAllocator):
    """Uniformly random free indexes, never reused, optionally kept in a file.

    With a ``path``, indexes are reserved ``reserve`` at a time: the reservation is
    written (atomically, fsynced, the folder too) before any of its indexes is handed
    out, so after a crash or restart a reserved index is skipped rather than handed out
    again. Several processes may share one file (the issuer's workers, the CLI): each
    reservation is a read-modify-write of the file under an exclusive ``flock`` on
    ``<path>.lock``, and reads what the others reserved first, so no two processes ever
    draw the same index.

    Args:
        uri: the list's URI (for messages).
        size: the list's number of entries.
        path: where the used-index bitmap is kept; None keeps it in memory only.
        reserve: how many indexes one file write reserves.
    """

    def __init__(
        self, uri: str, size: int, *, path: Path | None = None, reserve: int = 256
    ) -> None:
        self.uri = uri
        self.size = size
        self.path = path
        self._reserve = max(1, reserve)
        self._lock = threading.Lock()
        self._used = bytearray((size + 7) // 8)
        if path is not None:
            with self._file_lock():
                self._reload()
        # Candidates, not the truth: an index another process reserved since stays in
        # here until drawn, and is then skipped (``_used`` is the truth).
        self._free = [i for i in range(size) if not self._used[i >> 3] >> (i & 7) & 1]
        self._pool: list[int] = []

    @property
    def lock_path(self) -> Path:
        """The file whose ``flock`` serialises reservations between processes."""
        assert self.path is not None
        return self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _reload(self) -> None:
        """Merge what the file holds into ``_used``; called under the file lock.

        Always read, never skipped on an unchanged-looking (inode, mtime, size): an inode
        reused within one mtime tick at the same size would hide another process's
        reservation and hand its indexes out twice. One read per ``reserve`` indexes.
        """
        assert self.path is not None
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        document = json.loads(text)
        if document.get("format") != _ALLOC_FORMAT or document.get("size") != self.size:
            raise StatusReferenceError(
                self.uri, f"allocation file {self.path} does not fit", "Zuteilungsdatei passt nicht"
            )
        used = zlib.decompress(b64url_decode(document["used"]))
        if len(used) != len(self._used):
            raise StatusReferenceError(self.uri, "allocation file damaged", "Datei beschädigt")
        # The file holds every reservation ever saved, ours included: a superset of _used.
        merged = int.from_bytes(used, "little") | int.from_bytes(self._used, "little")
        self._used[:] = merged.to_bytes(len(self._used), "little")

    def _save(self) -> None:
        assert self.path is not None
        document = {
            "format": _ALLOC_FORMAT,
            "uri": self.uri,
            "size": self.size,
            "used": b64url_encode(zlib.compress(bytes(self._used), 9)),
        }
        atomic_write_text(self.path, json.dumps(document) + "\n", mode=0o600)
        # The rename is durable only once the folder is synced: without it a crash could
        # bring back the old file, and with it indexes already handed out.
        sync_directory(self.path.parent)

    def _draw(self) -> int | None:
        free, used = self._free, self._used
        while free:
            pick = secrets.randbelow(len(free))
            free[pick], free[-1] = free[-1], free[pick]
            index = free.pop()
            if not used[index >> 3] >> (index & 7) & 1:
                used[index >> 3] |= 1 << (index & 7)
                return index
        return None

    def _draw_many(self, count: int) -> list[int]:
        drawn: list[int] = []
        while len(drawn) < count and (index := self._draw()) is not None:
            drawn.append(index)
        if not drawn:
            raise StatusListFullError(self.uri)
        return drawn

    def allocate(self) -> int:
        """A random index never handed out before (by any process sharing the file)."""
        with self._lock:
            if not self._pool:
                if self.path is None:
                    self._pool = self._draw_many(1)
                else:
                    with self._file_lock():
                        self._reload()
                        self._pool = self._draw_many(self._reserve)
                        self._save()
            return self._pool.pop()

    @property
    def remaining(self) -> int:
        """Indexes not yet handed out (reserved ones count as handed out once saved),
        as far as this process has seen the file."""
        taken = int.from_bytes(self._used, "little").bit_count()
        return self.size - taken + len(self._pool)


# --- exports -------------------------------------------------------------------------------


def token_status_list_jwt(
    packed: bytes,
    *,
    uri: str,
    issuer: Did,
    key: SigningKey,
    kid: str,
    issued_at: int,
    ttl: int = 300,
    valid_for: int = 86_400,
) -> str:
    """The IETF Token Status List JWT (``typ: statuslist+jwt``) of a packed list.

    ``lst`` is base64url(ZLIB-compressed bytes), ``bits`` is 2, ``sub`` the list URI,
    ``ttl`` how long a relying party may cache it; signed with the issuer's key.
    """
    payload = {
        "iss": issuer,
        "sub": uri,
        "iat": issued_at,
        "exp": issued_at + valid_for,
        "ttl": ttl,
        "status_list": {"bits": 2, "lst": b64url_encode(zlib.compress(packed, 9))},
    }
    return sign_compact_jws({"typ": "statuslist+jwt", "kid": kid}, payload, key)


@dataclass(frozen=True)
class TokenStatusList:
    """A verified Token Status List: its URI and the packed entries."""

    uri: str
    bits: int
    packed: bytes
    issued_at: int
    expires_at: int | None

    def status(self, index: int) -> CredentialStatus:
        """The entry at ``index``."""
        return entry_of(self.packed, index)


def _inflate(data: bytes, *, gzip_wrapper: bool = False) -> bytes:
    """Decompress at most one maximal list (4 MiB): a small token must not unpack into
    gigabytes. Raises ValueError for anything but one complete, bounded stream."""
    inflater = zlib.decompressobj(31 if gzip_wrapper else zlib.MAX_WBITS)
    limit = MAX_LIST_SIZE // 4
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as err:
        raise ValueError(f"not a compressed list ({err})") from err
    if len(out) > limit or inflater.unconsumed_tail:
        raise ValueError(f"the list unpacks to more than {limit} bytes")
    if not inflater.eof or inflater.unused_data:
        raise ValueError("truncated or trailing compressed data")
    return out


def read_token_status_list(
    token: str,
    key: PublicKey,
    *,
    expected_uri: str,
    now: int | None = None,
    leeway: int = 60,
) -> TokenStatusList:
    """Verify and decode a Token Status List JWT (2-bit lists only).

    The token must be for ``expected_uri`` (``sub``), issued no later than ``now``,
    not expired (``exp``) and not older than its own ``ttl``; each with ``leeway``
    seconds of clock skew. Every problem is a StatusUnavailableError: the caller has
    no usable list and must fetch it again.
    """
    at = int(time.time()) if now is None else now
    try:
        jws = parse_compact_jws(token)
    except InvalidCredentialError as err:
        raise StatusUnavailableError(expected_uri, f"unreadable token ({err.reason})") from err
    if jws.header.get("typ") != "statuslist+jwt" or not jws.verify_with(key):
        raise StatusUnavailableError(expected_uri, "bad status list token")
    claims = jws.payload
    if claims.get("sub") != expected_uri:
        raise StatusUnavailableError(expected_uri, "the token is for another list")
    iat, exp, ttl = claims.get("iat"), claims.get("exp"), claims.get("ttl")
    if not is_unix_time(iat) or iat > at + leeway:
        raise StatusUnavailableError(expected_uri, "iat missing or in the future")
    if exp is not None and (not is_unix_time(exp) or at >= exp + leeway):
        raise StatusUnavailableError(expected_uri, "the token has expired")
    if ttl is not None and (not is_unix_time(ttl) or at >= iat + ttl + leeway):
        raise StatusUnavailableError(expected_uri, "the token is older than its ttl")
    status_list = claims.get("status_list")
    if not isinstance(status_list, dict) or not isinstance(status_list.get("lst"), str):
        raise StatusUnavailableError(expected_uri, "no status_list")
    if status_list.get("bits") != 2 or isinstance(status_list.get("bits"), bool):
        raise StatusUnavailableError(expected_uri, "only 2-bit lists are read")
    try:
        packed = _inflate(b64url_decode(status_list["lst"]))
    except ValueError as err:
        raise StatusUnavailableError(expected_uri, f"lst: {err}") from err
    return TokenStatusList(uri=expected_uri, bits=2, packed=packed, issued_at=iat, expires_at=exp)


def _w3c_table() -> bytes:
    table = bytearray(256)
    for byte in range(256):
        entries = [(byte >> (2 * k)) & 3 for k in range(4)]
        table[byte] = entries[0] << 6 | entries[1] << 4 | entries[2] << 2 | entries[3]
    return bytes(table)


_IETF_TO_W3C: Final = _w3c_table()
_W3C_TO_IETF: Final = bytes(_IETF_TO_W3C.index(b) for b in range(256))


def bitstring_status_list_credential(
    packed: bytes,
    *,
    uri: str,
    issuer: Did,
    valid_from: int,
    valid_until: int,
    ttl_ms: int = 300_000,
) -> dict[str, Any]:
    """The W3C Bitstring Status List credential (VC Data Model 2.0) of the same list.

    The bitstring puts entry 0 in the leftmost bits (W3C order, 2 bits per entry with
    ``statusSize: 2`` in the entries), GZIP-compressed and multibase base64url ('u').
    It is returned unsigned: the JSON-LD path secures it with ACA-Py's Data Integrity
    proof; ``sign_bitstring_status_list`` secures it as a VC-JOSE-COSE JWT.
    """
    bitstring = packed.translate(_IETF_TO_W3C)
    w3c = StatusListUri.parse(uri).w3c
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": w3c,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": _iso(valid_from),
        "validUntil": _iso(valid_until),
        "credentialSubject": {
            "id": f"{w3c}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "message",
            "ttl": ttl_ms,
            "encodedList": "u" + b64url_encode(gzip.compress(bitstring, 9, mtime=0)),
        },
    }


def sign_bitstring_status_list(document: Mapping[str, Any], key: SigningKey, kid: str) -> str:
    """The list credential secured as a JWT (VC-JOSE-COSE, ``typ: vc+jwt``)."""
    return sign_compact_jws({"typ": "vc+jwt", "cty": "vc", "kid": kid}, document, key)


def read_bitstring_status_list(document: Mapping[str, Any]) -> bytes:
    """The packed entries (IETF layout) of a Bitstring Status List credential; a
    malformed or oversized list is a ValueError."""
    subject = document.get("credentialSubject")
    encoded = subject.get("encodedList") if isinstance(subject, Mapping) else None
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u')")
    bitstring = _inflate(b64url_decode(encoded[1:]), gzip_wrapper=True)
    return bitstring.translate(_W3C_TO_IETF)


def _iso(unix: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))
