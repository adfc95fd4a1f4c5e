"""Status lists: random, never reused indexes; exports that match the chain; changes
seen within one block; and "cannot verify" when the list cannot be read."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import stat
import zlib
from pathlib import Path
from typing import Any

import pytest

from govchain.chain.backends import GanacheBackend
from govchain.chain.ganache import GanacheProcess
from govchain.chain.gateway import ChainGateway
from govchain.chain.types import CredentialStatus
from govchain.credentials import (
    ChainStatusSource,
    CheckName,
    CheckOutcome,
    Issuer,
    Outcome,
    ReasonCode,
    SigningKey,
    StatusListAllocation,
    StatusReference,
    Verifier,
    _samples,
    create_did,
)
from govchain.credentials._encoding import b64url_decode, b64url_encode
from govchain.credentials.errors import (
    StatusListFullError,
    StatusReferenceError,
    StatusUnavailableError,
)
from govchain.credentials.jose import sign_compact_jws
from govchain.credentials.status import (
    MAX_LIST_SIZE,
    MIN_LIST_SIZE,
    RandomIndexAllocator,
    StatusListUri,
    _checksummed,
    bitstring_status_list_credential,
    read_bitstring_status_list,
    read_token_status_list,
    sign_bitstring_status_list,
    token_status_list_jwt,
)
from tests.conftest import free_port
from tests.credentials import _allocating_child
from tests.credentials.conftest import CredWorld, build_cred_world

SHOW = [("dog", "chip_number"), ("insurance", "valid_until")]
URI = "https://status.govchain.de/v1/1337/0x5FbDB2315678afecb367f032d93F642f64180aa3/7"


# --- URIs and references -------------------------------------------------------------------


def test_list_uris_map_back_to_the_on_chain_list() -> None:
    parsed = StatusListUri.parse(URI)
    assert (parsed.chain_id, parsed.list_id) == (1337, 7)
    assert str(parsed) == URI and parsed.w3c == URI + "/w3c"
    for bad in (
        "https://status.example.org/1337/0x5FbDB2315678afecb367f032d93F642f64180aa3/7",
        URI.replace("0x5FbDB", "0x5fbdb"),  # not checksummed: a typo is not silently accepted
        URI + "/8",
        URI.replace("/7", "/-7"),
    ):
        with pytest.raises(StatusReferenceError):
            StatusListUri.parse(bad)


def test_the_status_claim_and_the_w3c_entry_name_the_same_entry() -> None:
    reference = StatusReference(URI, 4711)
    assert reference.to_claim() == {"status_list": {"idx": 4711, "uri": URI}}
    assert StatusReference.from_claim(reference.to_claim()) == reference
    entry = reference.bitstring_entry()
    assert entry["statusListIndex"] == "4711" and entry["statusSize"] == 2
    assert entry["statusListCredential"] == URI + "/w3c"
    assert [m["message"] for m in entry["statusMessage"]] == ["valid", "revoked", "suspended"]
    for bad in ({}, {"status_list": {"uri": URI}}, {"status_list": {"idx": -1, "uri": URI}}):
        with pytest.raises(StatusReferenceError):
            StatusReference.from_claim(bad)


# --- allocation ------------------------------------------------------------------------------


def test_indexes_are_random_unique_and_never_reused(tmp_path: Path) -> None:
    path = tmp_path / "list-7.json"
    first = RandomIndexAllocator(URI, MIN_LIST_SIZE, path=path, reserve=64)
    drawn = [first.allocate() for _ in range(100)]
    assert len(set(drawn)) == 100
    assert drawn != sorted(drawn) and max(drawn) > MIN_LIST_SIZE // 2  # spread, not sequential
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # A restart (or crash) loses the unused rest of the reservation, never reuses an index.
    second = RandomIndexAllocator(URI, MIN_LIST_SIZE, path=path, reserve=64)
    assert second.remaining == MIN_LIST_SIZE - 128
    later = {second.allocate() for _ in range(1000)}
    assert not later & set(drawn)


def test_processes_sharing_the_file_never_share_an_index(tmp_path: Path) -> None:
    """Two processes (the issuer's workers) draw from one allocation file at the same time:
    no index is handed out twice, and the file records both processes' reservations."""
    path = tmp_path / "list-7.json"
    context = multiprocessing.get_context("spawn")  # fork in a threaded pytest may deadlock
    go = context.Event()
    pipes, children = [], []
    for _ in range(2):
        receive, send = context.Pipe(duplex=False)
        child = context.Process(
            target=_allocating_child.allocate, args=(URI, MIN_LIST_SIZE, path, 2000, go, send)
        )
        child.start()
        pipes.append(receive)
        children.append(child)
    go.set()
    drawn = [pipe.recv() for pipe in pipes]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    first, second = set(drawn[0]), set(drawn[1])
    assert len(first) == len(second) == 2000
    assert not first & second  # 2 x 2000 of 131,072 at random would collide ~60 times
    # Every reservation is in the file: a newcomer skips all 2 x 2000 (in 32-blocks).
    later = RandomIndexAllocator(URI, MIN_LIST_SIZE, path=path, reserve=32)
    assert later.remaining == MIN_LIST_SIZE - 2 * 2016
    assert not {later.allocate() for _ in range(500)} & (first | second)


def test_a_rewrite_that_looks_unchanged_is_still_read(tmp_path: Path) -> None:
    """Another process's reservation lands in a file with the same inode, mtime and size
    as the version this allocator last saw (an inode reused within one mtime tick): the
    next reservation still reads it and never hands out those indexes."""
    path = tmp_path / "list-7.json"
    allocator = RandomIndexAllocator(URI, MIN_LIST_SIZE, path=path, reserve=64)
    mine = [allocator.allocate()]
    seen = path.stat()
    # The other process took everything but one byte's worth of indexes (8 we know).
    used = bytearray(b"\xff" * (MIN_LIST_SIZE // 8))
    byte = next(b for b in range(len(used)) if not any(i // 8 == b for i in mine))
    used[byte] = 0
    document = {
        "format": "govchain-status-allocations/1",
        "uri": URI,
        "size": MIN_LIST_SIZE,
        "used": b64url_encode(zlib.compress(bytes(used), 9)),
    }
    text = json.dumps(document).encode()
    assert len(text) <= seen.st_size
    with path.open("r+b") as f:  # the same inode, padded to the same size
        f.write(text.ljust(seen.st_size, b" "))
    os.utime(path, ns=(seen.st_atime_ns, seen.st_mtime_ns))
    now = path.stat()
    assert (now.st_ino, now.st_mtime_ns, now.st_size) == (
        seen.st_ino,
        seen.st_mtime_ns,
        seen.st_size,
    )
    mine += [allocator.allocate() for _ in range(63)]  # the rest of the first reservation
    fresh = allocator.allocate()  # needs a new reservation: must see the other's
    assert fresh // 8 == byte, fresh
    assert fresh not in mine


def test_a_full_list_is_refused() -> None:
    allocator = RandomIndexAllocator(URI, 128)
    assert sorted(allocator.allocate() for _ in range(128)) == list(range(128))
    with pytest.raises(StatusListFullError):
        allocator.allocate()


# --- exports ----------------------------------------------------------------------------------


def test_exports_are_built_from_the_chain_and_signed(cw: CredWorld) -> None:
    d, admin = cw.world.d, cw.world.office_admin
    list_id, _ = d.status.create_list(admin)
    changes = {
        0: CredentialStatus.REVOKED,
        5: CredentialStatus.SUSPENDED,
        130_001: CredentialStatus.REVOKED,
    }
    d.status.set_statuses(admin, list_id, changes)
    uri = cw.status.list_uri(list_id)
    packed = cw.status.packed_list(uri)
    issuer = cw.issuer

    token = token_status_list_jwt(
        packed, uri=uri, issuer=issuer.did, key=issuer.key, kid=issuer.kid, issued_at=cw.now()
    )
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header == {"alg": "ES256", "typ": "statuslist+jwt", "kid": issuer.kid}
    decoded = read_token_status_list(token, issuer.key.public_key, expected_uri=uri, now=cw.now())
    assert decoded.uri == uri and decoded.bits == 2
    assert len(decoded.packed) * 4 == MIN_LIST_SIZE
    for index in (0, 1, 5, 4711, 130_001):
        assert decoded.status(index) is d.status.status(list_id, index)

    document = bitstring_status_list_credential(
        packed, uri=uri, issuer=issuer.did, valid_from=cw.now(), valid_until=cw.now() + 3600
    )
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = document["credentialSubject"]
    assert subject["statusPurpose"] == "message" and subject["encodedList"].startswith("u")
    raw = gzip.decompress(b64url_decode(subject["encodedList"][1:]))
    # W3C order: entry 0 in the leftmost bits; entry 0 is revoked (01), entry 1 valid.
    assert raw[0] == 0b01_00_00_00
    assert raw[1] == 0b00_10_00_00  # entry 5 suspended (10)
    assert read_bitstring_status_list(document) == packed
    jwt = sign_bitstring_status_list(document, issuer.key, issuer.kid)
    assert json.loads(b64url_decode(jwt.split(".")[0]))["typ"] == "vc+jwt"


# --- freshness and reachability -------------------------------------------------------------


def test_a_suspension_is_seen_within_one_block_on_both_chains(cw_any: CredWorld) -> None:
    """With the cache no older than a block period, the next block's reader sees it."""
    cw = cw_any
    block_period = 2.0
    ticks = [0.0]
    source = ChainStatusSource(cw.status.client, max_age=block_period, clock=lambda: ticks[0])
    verifier = Verifier(status=source, trust=cw.trust, clock=cw.now)
    issued = cw.issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    assert issued.status is not None
    presentation, nonce = cw.present(issued.serialized, SHOW)
    assert cw.verify(presentation, nonce, verifier=verifier).valid

    cw.world.d.status.set_status(
        cw.world.office_admin, cw.list_id, issued.status.index, CredentialStatus.SUSPENDED
    )
    ticks[0] += block_period
    presentation, nonce = cw.present(issued.serialized, SHOW)
    result = cw.verify(presentation, nonce, verifier=verifier)
    assert result.check(CheckName.STATUS).reason_code is ReasonCode.SUSPENDED

    cw.world.d.status.set_status(
        cw.world.office_admin, cw.list_id, issued.status.index, CredentialStatus.VALID
    )
    ticks[0] += block_period
    presentation, nonce = cw.present(issued.serialized, SHOW)
    assert cw.verify(presentation, nonce, verifier=verifier).valid  # suspension lifted


def test_whole_list_cache_answers_like_single_reads(cw: CredWorld) -> None:
    issued = cw.issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    assert issued.status is not None
    cw.world.d.status.set_status(
        cw.world.office_admin, cw.list_id, issued.status.index, CredentialStatus.REVOKED
    )
    whole = ChainStatusSource(cw.status.client, max_age=60, whole_lists=True)
    assert whole.status(issued.status.uri, issued.status.index) is CredentialStatus.REVOKED
    assert whole.status(issued.status.uri, issued.status.index ^ 1) is CredentialStatus.VALID
    with pytest.raises(StatusReferenceError):
        whole.status(issued.status.uri, MIN_LIST_SIZE)


def test_a_list_on_a_chain_the_verifier_cannot_read_gives_cannot_verify(cw: CredWorld) -> None:
    here = StatusListUri.parse(cw.status.list_uri(cw.list_id))
    foreign = str(StatusListUri(here.chain_id + 1, here.registry, here.list_id))
    issuer = Issuer(
        cw.issuer.key,
        did=cw.issuer.did,
        status_list=StatusListAllocation(foreign, RandomIndexAllocator(foreign, MIN_LIST_SIZE)),
        clock=cw.now,
    )
    issued = issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
    presentation, nonce = cw.present(issued.serialized, SHOW)
    result = cw.verify(presentation, nonce)
    assert result.outcome is Outcome.CANNOT_VERIFY and not result.valid
    status = result.check(CheckName.STATUS)
    assert (status.outcome, status.reason_code) == (
        CheckOutcome.CANNOT_VERIFY,
        ReasonCode.STATUS_UNAVAILABLE,
    )


def test_an_index_beyond_the_list_is_an_invalid_reference(cw: CredWorld) -> None:
    uri = cw.status.list_uri(cw.list_id)
    with pytest.raises(StatusReferenceError):
        cw.status.status(uri, MIN_LIST_SIZE + 5)


@pytest.mark.ganache
def test_an_unreachable_node_gives_cannot_verify_never_valid(tmp_path: Path) -> None:
    node = GanacheProcess(port=free_port(), log_path=tmp_path / "ganache.log")
    node.start()
    try:
        cw = build_cred_world(ChainGateway(GanacheBackend(node.url, timeout=5)))
        cw.trust.max_age = 3600  # trust from a warm cache; only the status read needs the node
        issued = cw.issuer.issue(_samples.dog_permit(cw.today()), holder=cw.holder.public_key)
        presentation, nonce = cw.present(issued.serialized, SHOW)
        assert cw.verify(presentation, nonce).valid
        at = cw.now()
    finally:
        node.stop()
    presentation, nonce = cw.present(issued.serialized, SHOW, issued_at=at)
    result = cw.verify(presentation, nonce, at=at)
    assert result.outcome is Outcome.CANNOT_VERIFY and not result.valid
    status = result.check(CheckName.STATUS)
    assert (status.outcome, status.reason_code) == (
        CheckOutcome.CANNOT_VERIFY,
        ReasonCode.STATUS_UNAVAILABLE,
    )
    assert "nicht erreichbar" in status.message_de
    assert result.check(CheckName.SIGNATURE).outcome is CheckOutcome.PASSED


# --- bounded input, bounded caches (security review) -------------------------------------------


def test_status_references_outside_uint32_are_refused() -> None:
    top = StatusReference.from_claim({"status_list": {"idx": 2**32 - 1, "uri": URI}})
    assert top.index == 2**32 - 1
    for index in (2**32, 2**255, 10**80, -1):
        with pytest.raises(StatusReferenceError):
            StatusReference.from_claim({"status_list": {"idx": index, "uri": URI}})


def test_an_overlong_status_uri_is_refused_and_not_cached() -> None:
    with pytest.raises(StatusReferenceError) as refused:
        StatusListUri.parse(URI + "0" * 100_000)
    assert len(str(refused.value)) < 300  # the message does not repeat the input
    with pytest.raises(StatusReferenceError):
        StatusListUri.parse(URI.replace("/v1/", "/v2/"))
    assert _checksummed.cache_info().maxsize == 256  # only addresses are cached


def test_status_caches_are_bounded_and_list_records_are_read(cw: CredWorld) -> None:
    source = ChainStatusSource(cw.status.client, max_age=3600, max_entries=3)
    uri = cw.status.list_uri(cw.list_id)
    for index in range(10):
        assert source.status(uri, index) is CredentialStatus.VALID
    assert len(source._entries) == 3
    record = source.list_record(uri)
    assert (record.owner, record.size) == (cw.world.office_admin.address, MIN_LIST_SIZE)
    assert record.created_at <= cw.now()
    with pytest.raises(StatusReferenceError):
        source.status(uri, 2**32)
    with pytest.raises(StatusReferenceError):
        source.list_record(cw.status.list_uri(10**6))


def _token(key: SigningKey, uri: str, lst: bytes, *, iat: int = 1_000_000, **extra: Any) -> str:
    payload = {
        "sub": uri,
        "iat": iat,
        "status_list": {"bits": 2, "lst": b64url_encode(lst)},
        **extra,
    }
    return sign_compact_jws({"typ": "statuslist+jwt"}, payload, key)


def test_a_token_status_list_is_checked_for_its_list_and_its_age() -> None:
    key = SigningKey.generate()
    token = token_status_list_jwt(
        bytes(MIN_LIST_SIZE // 4),
        uri=URI,
        issuer=create_did(key.public_key),
        key=key,
        kid="k",
        issued_at=1_000_000,
        ttl=300,
        valid_for=3600,
    )
    fresh = read_token_status_list(token, key.public_key, expected_uri=URI, now=1_000_100)
    assert fresh.status(4711) is CredentialStatus.VALID and fresh.expires_at == 1_003_600
    for expected_uri, now in (
        (URI.replace("/7", "/8"), 1_000_100),  # a token for another list
        (URI, 1_000_000 + 300 + 61),  # older than its ttl
        (URI, 1_003_600 + 61),  # expired
        (URI, 1_000_000 - 61),  # issued in the future
    ):
        with pytest.raises(StatusUnavailableError):
            read_token_status_list(token, key.public_key, expected_uri=expected_uri, now=now)
    for junk in ("", "a.b.c", token + "x", token.replace(".", "..", 1)):
        with pytest.raises(StatusUnavailableError):
            read_token_status_list(junk, key.public_key, expected_uri=URI, now=1_000_100)
    for broken in (
        _token(key, URI, b"not zlib"),
        _token(key, URI, zlib.compress(b"\0" * 32)[:-3]),  # truncated stream
        _token(key, URI, zlib.compress(b"\0" * 32), iat=True),
    ):
        with pytest.raises(StatusUnavailableError):
            read_token_status_list(broken, key.public_key, expected_uri=URI, now=1_000_100)


def test_a_compressed_status_list_bomb_is_refused() -> None:
    """A few kilobytes that would unpack into more than the largest possible list."""
    key = SigningKey.generate()
    bomb = zlib.compress(b"\0" * (MAX_LIST_SIZE // 4 + 1), 9)
    assert len(bomb) < 10_000
    with pytest.raises(StatusUnavailableError) as refused:
        read_token_status_list(
            _token(key, URI, bomb), key.public_key, expected_uri=URI, now=1_000_100
        )
    assert "more than" in str(refused.value)
    document = {
        "credentialSubject": {
            "encodedList": "u" + b64url_encode(gzip.compress(b"\0" * (MAX_LIST_SIZE // 4 + 1)))
        }
    }
    with pytest.raises(ValueError):
        read_bitstring_status_list(document)
