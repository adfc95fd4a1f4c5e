"""DIDs: ``did:jwk`` and ``did:key``, created from a public key and resolved back to it.

Both methods carry the key in the identifier itself, so resolution needs no network;
who an issuer *is* comes from the TrustRegistry, never from the DID. Methods register
themselves by name; ``create_did`` and ``resolve_did`` dispatch on it.

- did:jwk: ``did:jwk:`` + base64url(UTF-8 JSON of the public JWK); one verification
  method ``<did>#0``.
- did:key: ``did:key:z`` + base58btc(multicodec varint + public key); P-256 as
  ``p256-pub`` (0x1200) with the compressed point, Ed25519 as ``ed25519-pub`` (0xed)
  with the 32-byte key, BLS12-381 G2 (the BBS+ keys of ACA-Py's wallets) as
  ``bls12_381-g2-pub`` (0xeb, ``did:key:zUC7...``) with the 96-byte compressed point
  (did:key method, W3C CCG, section "BLS 12381"; multiformats' multicodec table);
  one verification method ``<did>#<multibase value>``.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from govchain.chain.types import Did
from govchain.credentials._encoding import (
    b64url_decode,
    b64url_encode,
    json_compact,
    json_loads_strict,
)
from govchain.credentials.errors import DidError
from govchain.credentials.keys import (
    BLS12381G2_KEY_BYTES,
    KeyFormatError,
    KeyKind,
    PublicKey,
    check_bls12381g2_key,
)

__all__ = [
    "MAX_DID_JWK_LENGTH",
    "MAX_DID_KEY_LENGTH",
    "Did",
    "DidDocument",
    "DidJwk",
    "DidKey",
    "DidMethod",
    "VerificationMethod",
    "base58btc_decode",
    "base58btc_encode",
    "create_did",
    "did_methods",
    "resolve_did",
]


@dataclass(frozen=True)
class VerificationMethod:
    """A key of a DID, addressable by its DID URL ``id``."""

    id: str
    controller: Did
    public_key: PublicKey


@dataclass(frozen=True)
class DidDocument:
    """A resolved DID: its verification methods (govchain's methods have exactly one)."""

    id: Did
    verification_methods: tuple[VerificationMethod, ...]

    def method(self, kid: str) -> VerificationMethod | None:
        """The verification method with DID URL ``kid`` (or relative ``#fragment``)."""
        for vm in self.verification_methods:
            if kid in (vm.id, vm.id[len(self.id) :]):
                return vm
        return None

    @property
    def key(self) -> PublicKey:
        """The DID's (first) key."""
        return self.verification_methods[0].public_key

    def to_json(self) -> dict[str, Any]:
        """The W3C DID document (DID Core 1.0) with JsonWebKey verification methods."""
        ids = [vm.id for vm in self.verification_methods]
        return {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
            "id": self.id,
            "verificationMethod": [
                {
                    "id": vm.id,
                    "type": "JsonWebKey",
                    "controller": vm.controller,
                    "publicKeyJwk": vm.public_key.jwk,
                }
                for vm in self.verification_methods
            ],
            "authentication": ids,
            "assertionMethod": ids,
        }


_METHODS: dict[str, DidMethod] = {}
MAX_DID_JWK_LENGTH: Final = 2_000
"""A did:jwk of a P-256 key is about 140 characters; nothing longer is decoded."""
MAX_DID_KEY_LENGTH: Final = 200
"""A did:key of a P-256 key is 57 characters, of a BLS12-381 G2 key 143; nothing longer
is decoded (base58 decoding takes time quadratic in the length)."""


class DidMethod(ABC):
    """One DID method; subclasses register under their ``name``."""

    name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _METHODS[cls.name] = cls()

    @abstractmethod
    def create(self, key: PublicKey) -> Did:
        """The DID of ``key``."""

    @abstractmethod
    def resolve(self, did: Did) -> DidDocument:
        """The DID document; raises DidError if the DID is malformed."""


def _document(did: Did, fragment: str, key: PublicKey) -> DidDocument:
    return DidDocument(did, (VerificationMethod(f"{did}#{fragment}", did, key),))


class DidJwk(DidMethod):
    """did:jwk (the JWK itself, base64url-encoded)."""

    name = "jwk"

    def create(self, key: PublicKey) -> Did:
        """did:jwk of the public JWK (members sorted, no whitespace)."""
        return Did("did:jwk:" + b64url_encode(json_compact(key.jwk).encode()))

    def resolve(self, did: Did) -> DidDocument:
        """Decode the JWK; private or extra members and any encoding but the canonical
        one (``create``'s) are refused, so one key has exactly one did:jwk."""
        try:
            if len(did) > MAX_DID_JWK_LENGTH:
                raise ValueError("too long")
            members = json_loads_strict(b64url_decode(did.removeprefix("did:jwk:")))
            if not isinstance(members, dict) or "d" in members:
                raise ValueError("not a public JWK")
            key = PublicKey.from_jwk(members)
            if self.create(key) != did:
                raise ValueError("not the canonical encoding of the JWK")
        except (ValueError, RecursionError) as err:
            raise DidError(
                did, f"not a valid did:jwk ({err})", f"keine gültige did:jwk ({err})"
            ) from err
        return _document(did, "0", key)


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_P256_PUB = bytes([0x80, 0x24])  # multicodec 0x1200 as unsigned varint
_ED25519_PUB = bytes([0xED, 0x01])  # multicodec 0xed as unsigned varint
_BLS12381G2_PUB = bytes([0xEB, 0x01])  # multicodec 0xeb (bls12_381-g2-pub) as unsigned varint
# multicodec prefix -> (name in the multicodec table, key bytes after the prefix)
_DID_KEY_CODECS: Final = {
    _P256_PUB: ("p256-pub", 33),
    _ED25519_PUB: ("ed25519-pub", 32),
    _BLS12381G2_PUB: ("bls12_381-g2-pub", BLS12381G2_KEY_BYTES),
}
# Key types a did:key may carry that govchain does not take, named in the refusal
_OTHER_CODECS: Final = {
    0xE7: "secp256k1-pub",
    0xEA: "bls12_381-g1-pub",
    0xEC: "x25519-pub",
    0xEE: "bls12_381-g1g2-pub",
    0x1201: "p384-pub",
    0x1202: "p521-pub",
}


def _varint(data: bytes) -> int | None:
    """The unsigned varint at the start of ``data`` (at most 3 bytes), or None."""
    value = 0
    for shift, byte in enumerate(data[:3]):
        value |= (byte & 0x7F) << (7 * shift)
        if not byte & 0x80:
            return value
    return None


def _key_bytes(raw: bytes) -> tuple[bytes, bytes]:
    """Split a decoded did:key into its multicodec prefix and key, refusing other key
    types and wrong lengths with a message that names them."""
    prefix = raw[:2]
    known = _DID_KEY_CODECS.get(prefix)
    if known is None:
        code = _varint(raw)
        name = _OTHER_CODECS.get(code, "unknown") if code is not None else "unknown"
        shown = f"0x{code:x} ({name})" if code is not None else "(no varint)"
        takes = ", ".join(n for n, _ in _DID_KEY_CODECS.values())
        raise KeyFormatError(
            f"unsupported multicodec key type {shown}; govchain takes {takes}",
            f"nicht unterstützter Multicodec-Schlüsseltyp {shown}; govchain nimmt {takes}",
        )
    name, length = known
    if len(raw) - 2 != length:
        raise KeyFormatError(
            f"a key of type {name} is {length} bytes, this one {len(raw) - 2}",
            f"ein Schlüssel vom Typ {name} hat {length} Bytes, dieser {len(raw) - 2}",
        )
    return prefix, raw[2:]


def base58btc_encode(data: bytes) -> str:
    """Bitcoin base58 (leading zero bytes become '1')."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rest = divmod(number, 58)
        out.append(_B58[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def base58btc_decode(text: str) -> bytes:
    """Inverse of ``base58btc_encode``; raises ValueError for foreign characters."""
    number = 0
    for char in text:
        try:
            number = number * 58 + _B58_INDEX[char]
        except KeyError as err:
            raise ValueError(f"not base58btc: {char!r}") from err
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


class DidKey(DidMethod):
    """did:key with the multicodec p256-pub (compressed point), ed25519-pub or
    bls12_381-g2-pub (compressed G2 point) key."""

    name = "key"

    def create(self, key: PublicKey) -> Did:
        """did:key of a P-256, Ed25519 or BLS12-381 G2 key."""
        if key.kind is KeyKind.BLS12381G2:
            raw = _BLS12381G2_PUB + b64url_decode(key.jwk["x"])
        elif key.kind is KeyKind.P256:
            point = ec.EllipticCurvePublicNumbers(
                int.from_bytes(b64url_decode(key.jwk["x"]), "big"),
                int.from_bytes(b64url_decode(key.jwk["y"]), "big"),
                ec.SECP256R1(),
            ).public_key()
            raw = _P256_PUB + point.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        else:
            raw = _ED25519_PUB + b64url_decode(key.jwk["x"])
        return Did("did:key:z" + base58btc_encode(raw))

    def resolve(self, did: Did) -> DidDocument:
        """Decode the multicodec key; other codecs are refused."""
        value = did.removeprefix("did:key:")
        try:
            if len(did) > MAX_DID_KEY_LENGTH:
                raise ValueError("too long")
            if not value.startswith("z"):
                raise ValueError("only base58btc multibase ('z') is supported")
            prefix, key_bytes = _key_bytes(base58btc_decode(value[1:]))
            if prefix == _P256_PUB:
                point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key_bytes)
                numbers = point.public_numbers()
                key = PublicKey.from_jwk(
                    {
                        "kty": "EC",
                        "crv": "P-256",
                        "x": b64url_encode(numbers.x.to_bytes(32, "big")),
                        "y": b64url_encode(numbers.y.to_bytes(32, "big")),
                    }
                )
            elif prefix == _ED25519_PUB:
                key = PublicKey.from_jwk(
                    {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(key_bytes)}
                )
            else:
                check_bls12381g2_key(key_bytes)  # the reason, in both languages
                key = PublicKey.from_jwk(
                    {"kty": "OKP", "crv": "BLS12381G2", "x": b64url_encode(key_bytes)}
                )
            if self.create(key) != did:
                raise ValueError("not the canonical encoding of the key")
        except ValueError as err:
            de = err.message_de if isinstance(err, KeyFormatError) else str(err)
            raise DidError(
                did, f"not a valid did:key ({err})", f"keine gültige did:key ({de})"
            ) from err
        return _document(did, value, key)


def did_methods() -> list[str]:
    """The registered DID method names."""
    return sorted(_METHODS)


def create_did(key: PublicKey, method: str = "jwk") -> Did:
    """The DID of ``key`` under ``method`` (``jwk`` or ``key``)."""
    try:
        return _METHODS[method].create(key)
    except KeyError as err:
        raise DidError(
            f"did:{method}:", "unsupported DID method", "nicht unterstützte DID-Methode"
        ) from err


def resolve_did(did: str) -> DidDocument:
    """Resolve a DID of a registered method.

    Documents are cached (these DIDs never change). The cache is bounded in entries and,
    since over-long and non-canonical DIDs are refused before they reach it, in bytes.
    """
    if not isinstance(did, str) or len(did) > MAX_DID_JWK_LENGTH:
        raise DidError(str(did)[:80], "too long to be a DID", "zu lang für eine DID")
    return _resolve_cached(did)


@functools.lru_cache(maxsize=2048)
def _resolve_cached(did: str) -> DidDocument:
    parts = did.split(":", 2)
    if len(parts) != 3 or parts[0] != "did" or not parts[2]:
        raise DidError(did, "not a DID", "keine DID")
    method = _METHODS.get(parts[1])
    if method is None:
        raise DidError(
            did, f"the method {parts[1][:20]!r} is not supported", "nicht unterstützte Methode"
        )
    return method.resolve(Did(did))
