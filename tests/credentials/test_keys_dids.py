"""Keys behind a key store (encrypted file first), and did:key / did:jwk."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from govchain.credentials import (
    DidError,
    EncryptedFileKeyStore,
    KeyKind,
    KeyStoreError,
    PublicKey,
    SigningKey,
    create_did,
    create_key_store,
    resolve_did,
)
from govchain.credentials._encoding import b64url_encode, json_compact
from govchain.credentials.dids import (
    MAX_DID_KEY_LENGTH,
    base58btc_decode,
    base58btc_encode,
    did_methods,
)
from govchain.credentials.errors import KeyExistsError, KeyNotFoundError, WrongPassphraseError
from govchain.credentials.keys import key_store_kinds

# did:key test vectors of the did:key method specification (P-256 and Ed25519).
DID_KEY_VECTORS = {
    "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169": {
        "kty": "EC",
        "crv": "P-256",
        "x": "fyNYMN0976ci7xqiSdag3buk-ZCwgXU4kz9XNkBlNUI",
        "y": "hW2ojTNfH7Jbi8--CJUo3OCbH3y5n91g-IMA9MLMbTU",
    },
    "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv": {
        "kty": "EC",
        "crv": "P-256",
        "x": "igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns",
        "y": "efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM",
    },
    "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp": {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik",
    },
}


@pytest.mark.parametrize("did", sorted(DID_KEY_VECTORS))
def test_did_key_vectors_resolve_and_round_trip(did: str) -> None:
    document = resolve_did(did)
    assert document.key == PublicKey(DID_KEY_VECTORS[did])
    assert document.verification_methods[0].id == f"{did}#{did.removeprefix('did:key:')}"
    assert create_did(document.key, "key") == did
    assert document.to_json()["verificationMethod"][0]["type"] == "JsonWebKey"


@pytest.mark.parametrize("kind", [k for k in KeyKind if k.signs])
def test_did_jwk_is_the_base64url_jwk(kind: KeyKind) -> None:
    key = SigningKey.generate(kind).public_key
    did = create_did(key, "jwk")
    assert did.startswith("did:jwk:eyJ")
    document = resolve_did(did)
    assert document.key == key and document.verification_methods[0].id == f"{did}#0"
    assert document.method("#0") is document.verification_methods[0]
    assert resolve_did(create_did(key, "key")).key == key


@pytest.mark.parametrize(
    "did",
    [
        "did:web:example.org",
        "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",  # secp256k1
        "did:key:mAbCd",  # not base58btc
        "did:jwk:eyJrdHkiOiJFQyJ9",  # {"kty":"EC"} without a key
        "did:jwk:" + "eyJrdHkiOiJPS1AiLCJjcnYiOiJFZDI1NTE5IiwieCI6IngiLCJkIjoiZCJ9",  # private
        "not-a-did",
    ],
)
def test_unusable_dids_are_refused(did: str) -> None:
    with pytest.raises(DidError):
        resolve_did(did)


def test_base58btc_keeps_leading_zeros() -> None:
    for data in (b"", b"\0\0abc", bytes(range(40))):
        assert base58btc_decode(base58btc_encode(data)) == data
    assert did_methods() == ["jwk", "key"]


def test_the_encrypted_file_store_never_writes_a_private_key_in_clear(tmp_path: Path) -> None:
    store = EncryptedFileKeyStore(tmp_path / "keys", "correct horse", scrypt_n=2**14)
    key = store.generate("ordnungsamt-aachen-1")
    path = tmp_path / "keys" / "ordnungsamt-aachen-1.key.json"
    text = path.read_text()
    private = json.loads(key._private_jwk_json())["d"]
    assert private not in text and '"d"' not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert [p.name for p in (tmp_path / "keys").iterdir()] == [path.name]  # no temp leftovers

    again = EncryptedFileKeyStore(tmp_path / "keys", "correct horse", scrypt_n=2**14)
    loaded = again.load("ordnungsamt-aachen-1")
    assert loaded.public_key == key.public_key
    assert again.public_key("ordnungsamt-aachen-1") == key.public_key
    assert loaded.public_key.verify(loaded.sign(b"x"), b"x")
    assert again.key_ids() == ["ordnungsamt-aachen-1"]


def test_a_wrong_passphrase_or_an_altered_file_is_refused(tmp_path: Path) -> None:
    store = EncryptedFileKeyStore(tmp_path, "right", scrypt_n=2**14)
    store.generate("k1")
    with pytest.raises(WrongPassphraseError):
        EncryptedFileKeyStore(tmp_path, "wrong", scrypt_n=2**14).load("k1")
    path = tmp_path / "k1.key.json"
    document = json.loads(path.read_text())
    document["public_jwk"] = SigningKey.generate().public_key.jwk  # re-labelled file
    path.write_text(json.dumps(document))
    with pytest.raises(WrongPassphraseError) as refused:
        store.load("k1")
    assert "falsche Passphrase" in refused.value.message_de


def test_key_ids_are_checked_and_keys_never_replaced(tmp_path: Path) -> None:
    store = create_key_store("encrypted-file", directory=tmp_path, passphrase="p", scrypt_n=2**14)
    assert isinstance(store, EncryptedFileKeyStore)
    store.generate("a")
    with pytest.raises(KeyExistsError):
        store.generate("a")
    for bad in ("../escape", "", "a/b", ".hidden", "x" * 65):
        with pytest.raises(KeyStoreError):
            store.generate(bad)
    with pytest.raises(KeyNotFoundError):
        store.load("missing")
    with pytest.raises(KeyStoreError):
        EncryptedFileKeyStore(tmp_path, "", scrypt_n=2**14)
    with pytest.raises(KeyStoreError):
        create_key_store("pkcs11")
    assert {"encrypted-file", "memory"} <= set(key_store_kinds())
    memory = create_key_store("memory")
    assert memory.generate("m", KeyKind.ED25519).alg == "EdDSA"


# --- DIDs from presentations are bounded and canonical (security review) -----------------------


@pytest.mark.parametrize("depth", [700, 20_000])
def test_a_deeply_nested_did_jwk_is_refused_cleanly(depth: int) -> None:
    did = "did:jwk:" + b64url_encode(("[" * depth + "]" * depth).encode())
    with pytest.raises(DidError):
        resolve_did(did)


def test_a_did_jwk_must_be_the_canonical_encoding_of_its_key() -> None:
    """One key, one did:jwk: padded, reordered or re-spaced twins would each take a
    place in the resolver's cache and dodge a lookup by DID."""
    key = SigningKey.generate().public_key
    assert resolve_did(create_did(key, "jwk")).key == key
    reordered = {"kty": "EC", "crv": "P-256", "x": key.jwk["x"], "y": key.jwk["y"]}
    for twin in (
        json_compact({**key.jwk, "pad": "A" * 10}),
        json_compact({**key.jwk, "kid": "k1"}),
        json_compact(reordered),
        json.dumps(key.jwk),  # with spaces
        json_compact(key.jwk)[:-1] + f',"x":"{key.jwk["x"]}"}}',  # duplicate member
    ):
        with pytest.raises(DidError):
            resolve_did("did:jwk:" + b64url_encode(twin.encode()))


def test_an_overlong_or_non_canonical_did_key_is_refused_before_decoding() -> None:
    key = SigningKey.generate().public_key
    did = create_did(key, "key")
    for bad in (
        "did:key:z" + "2" * (MAX_DID_KEY_LENGTH + 1),
        "did:key:z" + "2" * 300_000,  # would take many seconds to decode
        did.replace("did:key:z", "did:key:z1"),  # a leading zero byte
    ):
        with pytest.raises(DidError):
            resolve_did(bad)
    assert resolve_did(did).key == key


def test_es256_signatures_are_emitted_in_low_s_form() -> None:
    key = SigningKey.generate()
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    for n in range(64):
        signature = key.sign(b"message %d" % n)
        assert int.from_bytes(signature[32:], "big") <= order // 2
        assert key.public_key.verify(signature, b"message %d" % n)


# --- the encrypted file store under pressure (security review) ---------------------------------


def test_two_concurrent_adds_of_one_id_leave_exactly_one_key(tmp_path: Path) -> None:
    store = EncryptedFileKeyStore(tmp_path / "keys", "pw", scrypt_n=2**14)
    keys = [SigningKey.generate() for _ in range(2)]
    start = threading.Barrier(2)
    winners: list[SigningKey] = []
    losers: list[Exception] = []

    def add(key: SigningKey) -> None:
        start.wait()
        try:
            store.add("race", key)
            winners.append(key)
        except KeyExistsError as err:
            losers.append(err)

    threads = [threading.Thread(target=add, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1 and len(losers) == 1
    assert store.load("race").public_key == winners[0].public_key
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["race.key.json"]


@pytest.mark.parametrize("member", ["kdf", "public_jwk", "cipher", "key_id"])
def test_a_key_file_missing_a_member_raises_the_stores_error(tmp_path: Path, member: str) -> None:
    store = EncryptedFileKeyStore(tmp_path, "pw", scrypt_n=2**14)
    store.generate("k1")
    path = tmp_path / "k1.key.json"
    document = json.loads(path.read_text())
    del document[member]
    path.write_text(json.dumps(document))
    for read in (store.load, store.public_key):
        with pytest.raises(KeyStoreError) as refused:
            read("k1")
        assert member in str(refused.value) and refused.value.message_de != str(refused.value)


@pytest.mark.parametrize(
    "kdf",
    [
        {"n": 2**30},
        {"n": 2**21},
        {"n": 2**14 + 1},
        {"n": "16384"},
        {"r": 1000},
        {"r": 0},
        {"p": 64},
        {"n": 2**20, "r": 16},  # each in bounds, together 2 GiB of memory
        {"salt": 5},
    ],
    ids=repr,
)
def test_tampered_scrypt_parameters_are_refused_before_any_work(
    tmp_path: Path, kdf: dict[str, object]
) -> None:
    store = EncryptedFileKeyStore(tmp_path, "pw", scrypt_n=2**14)
    store.generate("k1")
    path = tmp_path / "k1.key.json"
    document = json.loads(path.read_text())
    document["kdf"] = {**document["kdf"], **kdf}
    path.write_text(json.dumps(document))
    began = time.monotonic()
    with pytest.raises(KeyStoreError) as refused:
        store.load("k1")
    assert not isinstance(refused.value, WrongPassphraseError)  # the file, not the passphrase
    assert time.monotonic() - began < 2


def test_an_existing_key_directory_open_to_others_is_refused_not_changed(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    directory.mkdir()
    os.chmod(directory, 0o755)
    store = EncryptedFileKeyStore(directory, "pw", scrypt_n=2**14)
    with pytest.raises(KeyStoreError) as refused:
        store.generate("k1")
    assert "chmod 700" in str(refused.value)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o755 and not list(directory.iterdir())
    os.chmod(directory, 0o700)
    store.generate("k1")
    assert store.key_ids() == ["k1"]
