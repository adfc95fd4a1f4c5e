"""Signing keys, verification keys and the key stores that keep them.

A ``SigningKey`` (P-256 for ES256, Ed25519 for EdDSA) signs JWS; a ``PublicKey``
verifies. BLS12-381 G2 keys (BBS+, in the agents' wallets) are ``PublicKey``s too, so
DIDs resolve to them and the TrustRegistry records their thumbprint; they verify nothing
here. Private keys live in a ``KeyStore``; the first kind is an encrypted file per
key (scrypt + AES-256-GCM, mode 0600, written atomically), a PKCS#11 store can follow
under the same interface. A private key is never written unencrypted.

Stores register themselves by ``kind``; ``create_key_store(kind, ...)`` builds one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import secrets
import stat
from abc import ABC, abstractmethod
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Final, TypeIs

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from jwcrypto import jwk

from govchain._files import create_file
from govchain.credentials._encoding import b64url_decode, b64url_encode, json_compact
from govchain.credentials.errors import (
    KeyExistsError,
    KeyNotFoundError,
    KeyStoreError,
    WrongPassphraseError,
)

__all__ = [
    "BLS12381G2_KEY_BYTES",
    "EncryptedFileKeyStore",
    "InMemoryKeyStore",
    "KeyFormatError",
    "KeyKind",
    "KeyStore",
    "PublicKey",
    "SigningKey",
    "check_bls12381g2_key",
    "create_key_store",
    "key_store_kinds",
]


class KeyKind(StrEnum):
    """The key types govchain knows, named by their curve (the JWK ``crv``).

    govchain signs with P-256 and Ed25519. BLS12-381 G2 keys are the BBS+ keys of
    issuers and holders in ACA-Py's wallets: govchain resolves them (did:key) and takes
    their thumbprint for the TrustRegistry, but never signs or verifies with them; the
    agents do the BBS+ cryptography.
    """

    P256 = "P-256"
    ED25519 = "Ed25519"
    BLS12381G2 = "BLS12381G2"

    @property
    def alg(self) -> str:
        """The JWS algorithm of this key type.

        A BLS12-381 G2 key signs no JWS, only BBS+ Data Integrity proofs; its ``alg`` is
        the suite's name, which is no JWS algorithm, so it never matches a JWS header.
        """
        return _ALGS[self]

    @property
    def signs(self) -> bool:
        """Whether govchain holds private keys of this kind and signs with them."""
        return self is not KeyKind.BLS12381G2


_ALGS: Final = {
    KeyKind.P256: "ES256",
    KeyKind.ED25519: "EdDSA",
    KeyKind.BLS12381G2: "BbsBlsSignature2020",
}


class KeyFormatError(ValueError):
    """A public key whose encoding is wrong, with the reason in English and German."""

    def __init__(self, message: str, message_de: str) -> None:
        super().__init__(message)
        self.message_de = message_de


# BLS12-381 G2 public keys, compressed: 96 bytes, the three top bits of the first byte
# are flags (compressed, infinity, sign), then x = x_1 * I + x_0 as two 48-byte big-endian
# field elements. This is the point serialization of the BBS signature draft
# (draft-irtf-cfrg-bbs-signatures, appendix "Point serialization": octets_to_point_E2,
# the ZCash format) that draft-ietf-cose-bls-key-representations-08 (section 2.2.1)
# names for a JWK's "x".
BLS12381G2_KEY_BYTES: Final = 96
_BLS12381_P: Final = int(
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf"
    "6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab",
    16,
)


def check_bls12381g2_key(raw: bytes) -> None:
    """Refuse bytes that are not a compressed BLS12-381 G2 public key (KeyFormatError).

    Checks what the encoding says: length, flags, not the identity, both coordinates
    below the field modulus. It does not compute on the curve (square root, subgroup):
    govchain never uses the key, and ACA-Py refuses an invalid key when it verifies a
    BBS+ proof, so a key that is no curve point can never have signed anything. The
    arithmetic in pure Python would cost tens of milliseconds per unknown DID.
    """
    if len(raw) != BLS12381G2_KEY_BYTES:
        raise KeyFormatError(
            f"a BLS12-381 G2 public key is {BLS12381G2_KEY_BYTES} bytes (compressed), "
            f"not {len(raw)}",
            f"ein öffentlicher BLS12-381-G2-Schlüssel hat {BLS12381G2_KEY_BYTES} Bytes "
            f"(komprimiert), nicht {len(raw)}",
        )
    compressed, infinity = raw[0] & 0x80, raw[0] & 0x40
    if not compressed:
        raise KeyFormatError(
            "not a compressed BLS12-381 G2 point (the compression flag is not set)",
            "kein komprimierter BLS12-381-G2-Punkt (das Kompressionsbit fehlt)",
        )
    if infinity:
        raise KeyFormatError(
            "the point at infinity is not a public key",
            "der unendlich ferne Punkt ist kein öffentlicher Schlüssel",
        )
    x_1 = int.from_bytes(bytes([raw[0] & 0x1F]) + raw[1:48], "big")
    x_0 = int.from_bytes(raw[48:], "big")
    if x_1 >= _BLS12381_P or x_0 >= _BLS12381_P:
        raise KeyFormatError(
            "a coordinate of the BLS12-381 G2 key is not below the field modulus",
            "eine Koordinate des BLS12-381-G2-Schlüssels liegt nicht unter dem Modul des Körpers",
        )


_ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())
_P256: Final = ec.SECP256R1()
_P256_ORDER: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
# base64url of a 32-byte coordinate is 43 characters, of a 96-byte BLS12-381 G2 key 128
_MAX_JWK_MEMBER: Final = 128


class PublicKey:
    """A verification key (P-256 or Ed25519) built from a public JWK, or a BLS12-381 G2
    key (BBS+, held by the agents) that govchain only identifies and thumbprints.

    Construction checks the point (for BLS12-381 G2: its encoding); use
    ``PublicKey.from_jwk`` to share parsed keys, which a verifier sees again and again
    (issuer keys, holder keys of one wallet).
    """

    __slots__ = ("_key", "_thumbprint", "alg", "jwk", "kind")

    def __init__(self, public_jwk: Mapping[str, Any]) -> None:
        kty, crv, x = public_jwk.get("kty"), public_jwk.get("crv"), public_jwk.get("x")
        if not isinstance(x, str):
            raise ValueError("JWK without x")
        # None for a BLS12-381 G2 key: govchain never verifies with it
        self._key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | None
        if kty == "EC" and crv == "P-256":
            y = public_jwk.get("y")
            xb, yb = b64url_decode(x), b64url_decode(y if isinstance(y, str) else "")
            if len(xb) != 32 or len(yb) != 32:
                raise ValueError("P-256 coordinates must be 32 bytes")
            numbers = ec.EllipticCurvePublicNumbers(
                int.from_bytes(xb, "big"), int.from_bytes(yb, "big"), _P256
            )
            self._key = numbers.public_key()  # raises ValueError for a point off the curve
            self.jwk: dict[str, str] = {"crv": "P-256", "kty": "EC", "x": x, "y": str(y)}
            self.kind = KeyKind.P256
        elif kty == "OKP" and crv == "Ed25519":
            xb = b64url_decode(x)
            if len(xb) != 32:
                raise ValueError("Ed25519 keys are 32 bytes")
            self._key = ed25519.Ed25519PublicKey.from_public_bytes(xb)
            self.jwk = {"crv": "Ed25519", "kty": "OKP", "x": x}
            self.kind = KeyKind.ED25519
        elif kty == "OKP" and crv == "BLS12381G2":
            # JWK of draft-ietf-cose-bls-key-representations-08, section 2.2.1 (and its
            # appendix A.1 examples): kty "OKP", crv "BLS12381G2", x = base64url of the
            # 96-byte compressed point. Drafts -00 to -02 spelled the curve "Bls12381G2",
            # -03 to -07 used kty "EC" with x and y; -08 is the current one. The
            # RFC 7638 thumbprint is taken over exactly these three members.
            check_bls12381g2_key(b64url_decode(x))
            self._key = None
            self.jwk = {"crv": "BLS12381G2", "kty": "OKP", "x": x}
            self.kind = KeyKind.BLS12381G2
        else:
            raise ValueError(f"unsupported key type {kty}/{crv}")
        self.alg = self.kind.alg
        self._thumbprint: bytes | None = None

    @staticmethod
    def from_jwk(public_jwk: Mapping[str, Any]) -> PublicKey:
        """A (shared, cached) key for a public JWK; raises ValueError for a bad one.

        Only string members of a sane length reach the cache, so a presentation cannot
        park large values in it.
        """
        kty, crv, x = public_jwk.get("kty"), public_jwk.get("crv"), public_jwk.get("x")
        y = public_jwk.get("y", "") if kty == "EC" else ""
        if not (_short(kty) and _short(crv) and _short(x) and _short(y)):
            raise ValueError("JWK members must be short strings")
        return _cached_public_key(kty, crv, x, y)

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` (JWS format: raw r||s for ES256) signs ``data``.

        Always False for a BLS12-381 G2 key: BBS+ proofs are verified by ACA-Py.
        """
        if self._key is None:
            return False
        try:
            if isinstance(self._key, ec.EllipticCurvePublicKey):
                if len(signature) != 64:
                    return False
                der = encode_dss_signature(
                    int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                )
                self._key.verify(der, data, _ECDSA_SHA256)
            else:
                self._key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def thumbprint(self) -> bytes:
        """The RFC 7638 SHA-256 thumbprint, as the TrustRegistry records it."""
        if self._thumbprint is None:
            self._thumbprint = hashlib.sha256(json_compact(self.jwk).encode()).digest()
        return self._thumbprint

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self.jwk == other.jwk

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.jwk.items())))

    def __repr__(self) -> str:
        return f"PublicKey({self.kind.value}, x={self.jwk['x'][:8]}…)"


def _short(member: object) -> TypeIs[str]:
    return isinstance(member, str) and len(member) <= _MAX_JWK_MEMBER


@functools.lru_cache(maxsize=8192)
def _cached_public_key(kty: str, crv: str, x: str, y: str) -> PublicKey:
    members = {"kty": kty, "crv": crv, "x": x}
    if y:
        members["y"] = y
    return PublicKey(members)


class SigningKey:
    """A private key that signs JWS (ES256 or EdDSA); never serialised in the clear
    except to hand it to a key store, which encrypts it."""

    __slots__ = ("_private", "kind", "public_key")

    def __init__(self, private_jwk: jwk.JWK) -> None:
        if not private_jwk.has_private:
            raise ValueError("a signing key needs the private part")
        public = PublicKey(private_jwk.export_public(as_dict=True))
        self.public_key = public
        self.kind = public.kind
        private = private_jwk.get_op_key("sign")
        if not isinstance(private, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
            raise ValueError("only P-256 and Ed25519 keys sign")
        self._private: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = private

    @classmethod
    def generate(cls, kind: KeyKind = KeyKind.P256) -> SigningKey:
        """A fresh random key (P-256 or Ed25519; BLS keys live in the agents' wallets)."""
        if kind is KeyKind.P256:
            return cls(jwk.JWK.generate(kty="EC", crv="P-256"))
        if kind is KeyKind.ED25519:
            return cls(jwk.JWK.generate(kty="OKP", crv="Ed25519"))
        raise ValueError(
            f"govchain does not sign with {kind.value} keys; an agent's wallet holds them"
        )

    @classmethod
    def from_private_jwk(cls, private_jwk: Mapping[str, Any]) -> SigningKey:
        """A key from a private JWK (e.g. the RFC's example keys in tests)."""
        return cls(jwk.JWK(**dict(private_jwk)))

    @property
    def alg(self) -> str:
        """The JWS algorithm this key signs with."""
        return self.kind.alg

    def sign(self, data: bytes) -> bytes:
        """A JWS signature over ``data`` (raw r||s for ES256, as RFC 7518 requires)."""
        if isinstance(self._private, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(self._private.sign(data, _ECDSA_SHA256))
            # (r, s) and (r, n - s) both verify; always emit the low one, so that every
            # signature govchain makes has a single encoding.
            s = min(s, _P256_ORDER - s)
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self._private.sign(data)

    def _private_jwk_json(self) -> str:
        """The private JWK as JSON; only for key stores, which encrypt it at once."""
        return jwk.JWK.from_pyca(self._private).export_private()

    def __repr__(self) -> str:
        return f"SigningKey({self.kind.value}, public x={self.public_key.jwk['x'][:8]}…)"


_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_STORES: dict[str, type[KeyStore]] = {}


def _checked_key_id(key_id: str) -> str:
    if not _KEY_ID.fullmatch(key_id):
        raise KeyStoreError(
            f"Invalid key id {key_id!r}: use 1-64 letters, digits, '.', '_' or '-'.",
            f"Ungültige Schlüsselkennung {key_id!r}: 1-64 Buchstaben, Ziffern, '.', '_' "
            "oder '-' verwenden.",
        )
    return key_id


class KeyStore(ABC):
    """Where private keys live; subclasses register under their ``kind``."""

    kind: ClassVar[str]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            _STORES[cls.kind] = cls

    def generate(self, key_id: str, kind: KeyKind = KeyKind.P256) -> SigningKey:
        """Create a fresh key under ``key_id`` (never replacing an existing one)."""
        key = SigningKey.generate(kind)
        self.add(key_id, key)
        return key

    @abstractmethod
    def add(self, key_id: str, key: SigningKey) -> None:
        """Keep ``key`` under ``key_id``; refuse if the id is taken."""

    @abstractmethod
    def load(self, key_id: str) -> SigningKey:
        """The signing key under ``key_id``."""

    @abstractmethod
    def public_key(self, key_id: str) -> PublicKey:
        """The public half of the key under ``key_id``, without unlocking the private part."""

    @abstractmethod
    def key_ids(self) -> list[str]:
        """The ids of all keys, sorted."""


def key_store_kinds() -> list[str]:
    """The registered key store kinds."""
    return sorted(_STORES)


def create_key_store(kind: str, **options: Any) -> KeyStore:
    """A key store of a registered ``kind`` (``encrypted-file``, ``memory``, ...)."""
    try:
        store_class = _STORES[kind]
    except KeyError as err:
        raise KeyStoreError(
            f"Unknown key store kind {kind!r}; known: {', '.join(key_store_kinds())}.",
            f"Unbekannte Art von Schlüsselspeicher {kind!r}; bekannt: "
            f"{', '.join(key_store_kinds())}.",
        ) from err
    return store_class(**options)


class InMemoryKeyStore(KeyStore):
    """Keys in process memory only (tests, benchmarks, short-lived demo wallets)."""

    kind = "memory"

    def __init__(self) -> None:
        self._keys: dict[str, SigningKey] = {}

    def add(self, key_id: str, key: SigningKey) -> None:
        if _checked_key_id(key_id) in self._keys:
            raise KeyExistsError(key_id)
        self._keys[key_id] = key

    def load(self, key_id: str) -> SigningKey:
        try:
            return self._keys[key_id]
        except KeyError as err:
            raise KeyNotFoundError(key_id) from err

    def public_key(self, key_id: str) -> PublicKey:
        return self.load(key_id).public_key

    def key_ids(self) -> list[str]:
        return sorted(self._keys)


_FILE_FORMAT: Final = "govchain-key/1"
MIN_SCRYPT_N: Final = 2**14
MAX_SCRYPT_N: Final = 2**20
MAX_SCRYPT_R: Final = 16
MAX_SCRYPT_P: Final = 4
_MAX_SCRYPT_MEMORY: Final = 2**30  # scrypt needs 128 * r * N bytes
_HEADER_MEMBERS: Final = ("format", "key_id", "public_jwk", "kdf")


def _integer(value: object) -> TypeIs[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _scrypt_parameters(kdf: object) -> tuple[bytes, int, int, int]:
    """Salt, N, r and p of a key file, refused unless sane.

    A key file is input like any other: without bounds, a tampered file could ask for
    gigabytes of memory or hours of work before the passphrase is even tried.
    """
    if not isinstance(kdf, Mapping) or kdf.get("name") != "scrypt":
        raise ValueError("the KDF is not scrypt")
    n, r, p, salt = (kdf.get(k) for k in ("n", "r", "p", "salt"))
    if not (_integer(n) and _integer(r) and _integer(p)):
        raise ValueError("scrypt parameters must be integers")
    if not (MIN_SCRYPT_N <= n <= MAX_SCRYPT_N and n & (n - 1) == 0):
        raise ValueError(f"scrypt N must be a power of two in {MIN_SCRYPT_N}..{MAX_SCRYPT_N}")
    if not (1 <= r <= MAX_SCRYPT_R and 1 <= p <= MAX_SCRYPT_P):
        raise ValueError(f"scrypt r must be in 1..{MAX_SCRYPT_R}, p in 1..{MAX_SCRYPT_P}")
    if 128 * r * n > _MAX_SCRYPT_MEMORY:
        raise ValueError("scrypt N and r together need too much memory")
    if not isinstance(salt, str):
        raise ValueError("scrypt salt missing")
    salt_bytes = b64url_decode(salt)
    if not 16 <= len(salt_bytes) <= 64:
        raise ValueError("scrypt salt must be 16 to 64 bytes")
    return salt_bytes, n, r, p


class EncryptedFileKeyStore(KeyStore):
    """One file per key in a directory (mode 0700), each file mode 0600.

    The private JWK is encrypted with AES-256-GCM under a key derived from the
    passphrase by scrypt (N=2**17, r=8, p=1 by default). The public JWK, the key id
    and the KDF parameters stay readable and are bound to the ciphertext as associated
    data, so a file cannot be re-labelled. Files are written atomically and never
    overwritten, not even by two processes adding the same id at once.

    The store creates its directory with mode 0700. It never changes the mode of a
    directory that exists already: if that directory is open to group or others, adding
    a key is refused (fix the mode, ``chmod 700``, and try again).

    Args:
        directory: where the key files are.
        passphrase: the secret all keys of this store are encrypted under.
        scrypt_n: scrypt's cost parameter for new keys (a power of two in 2**14..2**20).
    """

    kind = "encrypted-file"

    def __init__(self, directory: Path, passphrase: str, *, scrypt_n: int = 2**17) -> None:
        if not passphrase:
            raise KeyStoreError(
                "The key store needs a non-empty passphrase.",
                "Der Schlüsselspeicher braucht eine nicht leere Passphrase.",
            )
        if not MIN_SCRYPT_N <= scrypt_n <= MAX_SCRYPT_N or scrypt_n & (scrypt_n - 1):
            raise KeyStoreError(
                f"scrypt N must be a power of two from {MIN_SCRYPT_N} to {MAX_SCRYPT_N}.",
                f"scrypt-N muss eine Zweierpotenz von {MIN_SCRYPT_N} bis {MAX_SCRYPT_N} sein.",
            )
        self.directory = Path(directory)
        self._passphrase = passphrase.encode("utf-8")
        self._scrypt_n = scrypt_n

    def _path(self, key_id: str) -> Path:
        return self.directory / f"{_checked_key_id(key_id)}.key.json"

    @staticmethod
    def _kek(passphrase: bytes, kdf: Mapping[str, Any]) -> bytes:
        salt, n, r, p = _scrypt_parameters(kdf)
        return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)

    @staticmethod
    def _aad(header: Mapping[str, Any]) -> bytes:
        return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()

    def _private_directory(self) -> None:
        """Create the directory 0700, or check that an existing one is not open to others."""
        try:
            self.directory.mkdir(mode=0o700, parents=True)
        except FileExistsError:
            pass
        else:
            os.chmod(self.directory, 0o700)  # mkdir's mode is subject to the umask
            return
        try:
            mode = stat.S_IMODE(self.directory.stat().st_mode)
        except OSError as err:
            raise KeyStoreError(
                f"The key directory {self.directory} cannot be read ({type(err).__name__}).",
                f"Das Schlüsselverzeichnis {self.directory} ist nicht lesbar "
                f"({type(err).__name__}).",
            ) from err
        if not self.directory.is_dir() or mode & 0o077:
            raise KeyStoreError(
                f"The key directory {self.directory} is accessible to others (mode "
                f"{mode:04o}); restrict it with 'chmod 700' first.",
                f"Das Schlüsselverzeichnis {self.directory} ist für andere zugänglich "
                f"(Modus {mode:04o}); bitte zuerst mit 'chmod 700' einschränken.",
            )

    def add(self, key_id: str, key: SigningKey) -> None:
        """Encrypt and write the key; refuses an existing id (keys are never replaced)."""
        path = self._path(key_id)
        if path.exists():
            raise KeyExistsError(key_id)
        kdf: dict[str, Any] = {
            "name": "scrypt",
            "n": self._scrypt_n,
            "r": 8,
            "p": 1,
            "salt": b64url_encode(secrets.token_bytes(16)),
        }
        header: dict[str, Any] = {
            "format": _FILE_FORMAT,
            "key_id": key_id,
            "public_jwk": key.public_key.jwk,
            "kdf": kdf,
        }
        nonce = secrets.token_bytes(12)
        ciphertext = AESGCM(self._kek(self._passphrase, kdf)).encrypt(
            nonce, key._private_jwk_json().encode(), self._aad(header)
        )
        document = {
            **header,
            "cipher": {
                "name": "A256GCM",
                "nonce": b64url_encode(nonce),
                "ciphertext": b64url_encode(ciphertext),
            },
        }
        self._private_directory()
        try:
            create_file(path, (json.dumps(document, indent=2) + "\n").encode(), 0o600)
        except FileExistsError as err:
            raise KeyExistsError(key_id) from err  # another writer was faster
        except OSError as err:
            raise KeyStoreError(
                f"The key file {path} cannot be written ({type(err).__name__}).",
                f"Die Schlüsseldatei {path} lässt sich nicht schreiben ({type(err).__name__}).",
            ) from err

    def _damaged(self, key_id: str, what: str) -> KeyStoreError:
        path = self._path(key_id)
        return KeyStoreError(
            f"The key file {path} is damaged or was altered ({what}).",
            f"Die Schlüsseldatei {path} ist beschädigt oder wurde verändert ({what}).",
        )

    def _read(self, key_id: str) -> dict[str, Any]:
        path = self._path(key_id)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise KeyNotFoundError(key_id) from err
        except (OSError, ValueError, RecursionError) as err:
            raise KeyStoreError(
                f"The key file {path} cannot be read ({type(err).__name__}).",
                f"Die Schlüsseldatei {path} ist nicht lesbar ({type(err).__name__}).",
            ) from err
        if not isinstance(document, dict) or document.get("format") != _FILE_FORMAT:
            raise KeyStoreError(
                f"The key file {path} has an unknown format.",
                f"Die Schlüsseldatei {path} hat ein unbekanntes Format.",
            )
        missing = [k for k in (*_HEADER_MEMBERS, "cipher") if k not in document]
        if missing:
            raise self._damaged(key_id, f"missing {', '.join(missing)}")
        return document

    def load(self, key_id: str) -> SigningKey:
        """Decrypt the key; a wrong passphrase or an altered file is refused."""
        document = self._read(key_id)
        header = {k: document[k] for k in _HEADER_MEMBERS}
        try:
            kek = self._kek(self._passphrase, header["kdf"])
        except ValueError as err:
            raise self._damaged(key_id, f"KDF parameters: {err}") from err
        try:
            cipher = document["cipher"]
            plaintext = AESGCM(kek).decrypt(
                b64url_decode(cipher["nonce"]),
                b64url_decode(cipher["ciphertext"]),
                self._aad(header),
            )
        except (InvalidTag, KeyError, TypeError, ValueError) as err:
            raise WrongPassphraseError(key_id) from err
        key = SigningKey(jwk.JWK.from_json(plaintext.decode()))
        if header["key_id"] != key_id or key.public_key.jwk != header["public_jwk"]:
            raise WrongPassphraseError(key_id)
        return key

    def public_key(self, key_id: str) -> PublicKey:
        """The public key from the file's readable header (no passphrase needed)."""
        public_jwk = self._read(key_id)["public_jwk"]
        try:
            if not isinstance(public_jwk, Mapping):
                raise ValueError("not a JWK object")
            return PublicKey(public_jwk)
        except ValueError as err:
            raise self._damaged(key_id, f"public_jwk: {err}") from err

    def key_ids(self) -> list[str]:
        """The ids of the key files in the directory."""
        if not self.directory.is_dir():
            return []
        return sorted(p.name.removesuffix(".key.json") for p in self.directory.glob("*.key.json"))
