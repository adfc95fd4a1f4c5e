"""SD-JWT (RFC 9901): issuance, holder presentation, key binding and verification.

Written on jwcrypto keys (see ``keys``) and byte-compatible with the RFC:

- a Disclosure is base64url(UTF-8 JSON array): ``[salt, name, value]`` for an object
  property, ``[salt, value]`` for an array element; its digest is
  base64url(SHA-256(the ASCII Disclosure string)) (RFC 9901, 4.2.1-4.2.3). The JSON is
  written like the RFC's examples (``json.dumps`` with its default ", " separators), so
  the RFC's example Disclosures come out byte for byte;
- digests sit in ``_sd`` arrays (sorted, so the claim order is hidden) or as
  ``{"...": digest}`` array elements, decoys mixed in (4.2.4, 4.2.5); disclosed values
  may themselves contain digests (recursive disclosure, 4.2.6);
- the serialisation is ``<JWT>~<D1>~...~<Dn>~`` and, with key binding,
  ``<JWT>~<D1>~...~<Dn>~<KB-JWT>``; the KB-JWT (``typ: kb+jwt``) carries ``iat``,
  ``aud``, ``nonce`` and ``sd_hash`` = digest of everything before it (4.3).

Verification follows RFC 9901, section 7: every Disclosure must be referenced exactly
once, from the right kind of place, without overwriting a claim; the reason codes say
which rule a refused input broke.

Claim paths (``ClaimPath``) address claims for selective disclosure: a tuple of object
keys and array indexes, ``None`` standing for "every element", e.g.
``("dog", "chip_number")`` or ``("residents", None, "family_name")``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeIs

from govchain.credentials._encoding import (
    MAX_JSON_DEPTH,
    b64url_decode,
    b64url_encode,
    json_loads_strict,
    sha256_b64url,
)
from govchain.credentials._reasons import ReasonCode
from govchain.credentials.errors import InvalidCredentialError
from govchain.credentials.jose import CompactJws, parse_compact_jws, sign_compact_jws
from govchain.credentials.keys import PublicKey, SigningKey

__all__ = [
    "KB_JWT_TYP",
    "SD_ALG",
    "ClaimPath",
    "Disclosure",
    "KeyBindingExpectation",
    "SdArray",
    "SdJwtParts",
    "SdNode",
    "SdObject",
    "VerifiedSdJwt",
    "create_key_binding_jwt",
    "decoy_digest",
    "disclosure_paths",
    "holder_key_of",
    "is_unix_time",
    "issue_sd_jwt",
    "new_salt",
    "present",
    "process_disclosures",
    "split_sd_jwt",
    "verify_key_binding",
    "verify_sd_jwt",
]

SD_ALG: Final = "sha-256"
KB_JWT_TYP: Final = "kb+jwt"
_DIGEST_LENGTH: Final = 43  # base64url of 32 bytes
_RESERVED_NAMES: Final = frozenset({"_sd", "...", "_sd_alg"})
"""Claim names no Disclosure may carry, at any level (RFC 9901, 4.2.1 and 7.1)."""
MAX_UNFOLDED_DEPTH: Final = MAX_JSON_DEPTH
"""How deeply claims may nest once every Disclosure is put back in place."""
MAX_TIME: Final = 2**40
"""Unix times beyond this (about the year 36812) are not times but attacks."""


def is_unix_time(value: object) -> TypeIs[int]:
    """Whether ``value`` is a usable unix time: an integer (not a bool) in 0..2**40."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TIME


ClaimPath = tuple[str | int | None, ...]


def new_salt() -> str:
    """128 random bits, base64url-encoded (RFC 9901, 9.3)."""
    return b64url_encode(secrets.token_bytes(16))


def decoy_digest() -> str:
    """A decoy digest: the hash of a fresh random value (RFC 9901, 4.2.5)."""
    return sha256_b64url(new_salt())


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One Disclosure: salt, claim name (None for an array element) and value."""

    encoded: str
    salt: str
    name: str | None
    value: Any
    digest: str

    @classmethod
    def create(cls, salt: str, name: str | None, value: Any) -> Disclosure:
        """Encode a Disclosure the way the RFC's examples do."""
        content = [salt, value] if name is None else [salt, name, value]
        encoded = b64url_encode(json.dumps(content, ensure_ascii=False).encode())
        return cls(encoded, salt, name, value, sha256_b64url(encoded))

    @classmethod
    def parse(cls, encoded: str) -> Disclosure:
        """Decode a Disclosure; anything but a well-formed array is refused."""
        try:
            content = json_loads_strict(b64url_decode(encoded))
        except (ValueError, UnicodeDecodeError, RecursionError) as err:
            raise InvalidCredentialError(
                ReasonCode.DISCLOSURE_MALFORMED, detail="not base64url JSON"
            ) from err
        if not isinstance(content, list) or len(content) not in (2, 3):
            raise InvalidCredentialError(
                ReasonCode.DISCLOSURE_MALFORMED, detail="not an array of 2 or 3 elements"
            )
        if not isinstance(content[0], str):
            raise InvalidCredentialError(ReasonCode.DISCLOSURE_MALFORMED, detail="salt")
        if len(content) == 3 and not isinstance(content[1], str):
            raise InvalidCredentialError(ReasonCode.DISCLOSURE_MALFORMED, detail="claim name")
        name = content[1] if len(content) == 3 else None
        return cls(encoded, content[0], name, content[-1], sha256_b64url(encoded))


# --- issuance --------------------------------------------------------------------------


@dataclass(frozen=True)
class SdObject:
    """Which members of an object are selectively disclosable.

    A member maps to ``True`` (disclosable as a whole), ``False`` (always visible), or a
    nested ``SdObject``/``SdArray``; members not named get ``others`` (for objects keyed
    by data, such as service ids). ``disclosable=True`` hides this object itself behind
    a Disclosure too (recursive disclosure).
    """

    members: Mapping[str, SdNode] = field(default_factory=dict)
    disclosable: bool = False
    others: SdNode = False


@dataclass(frozen=True)
class SdArray:
    """How the elements of an array are disclosed: ``element`` applies to each one."""

    element: SdNode = True
    disclosable: bool = False


SdNode = bool | SdObject | SdArray


def _disclosable(node: SdNode) -> bool:
    return node is True or (not isinstance(node, bool) and node.disclosable)


class _Blinder:
    def __init__(self, salt: Callable[[], str], decoys: int) -> None:
        self.salt = salt
        self.decoys = decoys
        self.disclosures: list[Disclosure] = []

    def node(self, value: Any, node: SdNode) -> Any:
        if isinstance(node, SdObject) and isinstance(value, Mapping):
            return self.object(value, node)
        if isinstance(node, SdArray) and isinstance(value, list):
            return self.array(value, node)
        return value

    def object(self, value: Mapping[str, Any], frame: SdObject) -> dict[str, Any]:
        out: dict[str, Any] = {}
        digests: list[str] = []
        for name, item in value.items():
            node = frame.members.get(name, frame.others)
            processed = self.node(item, node)
            if _disclosable(node):
                disclosure = Disclosure.create(self.salt(), name, processed)
                self.disclosures.append(disclosure)
                digests.append(disclosure.digest)
            else:
                out[name] = processed
        if digests:
            if self.decoys:
                digests.extend(decoy_digest() for _ in range(1 + secrets.randbelow(self.decoys)))
            out["_sd"] = sorted(digests)
        return out

    def array(self, values: list[Any], frame: SdArray) -> list[Any]:
        out: list[Any] = []
        hide = _disclosable(frame.element)
        for item in values:
            processed = self.node(item, frame.element)
            if hide:
                disclosure = Disclosure.create(self.salt(), None, processed)
                self.disclosures.append(disclosure)
                out.append({"...": disclosure.digest})
            else:
                out.append(processed)
        return out


def issue_sd_jwt(
    claims: Mapping[str, Any],
    frame: SdObject,
    key: SigningKey,
    *,
    header: Mapping[str, Any],
    decoys: int = 0,
    salt: Callable[[], str] = new_salt,
) -> str:
    """Blind ``claims`` as ``frame`` says, sign, and serialise with all Disclosures.

    Args:
        claims: the full JWT claims set (registered claims and credential claims).
        frame: which claims are selectively disclosable.
        key: the issuer's signing key.
        header: JOSE header fields besides ``alg`` (``typ``, ``kid``).
        decoys: up to this many decoy digests are added to every ``_sd`` array.
        salt: where salts come from (tests pass fixed ones).
    """
    blinder = _Blinder(salt, decoys)
    payload = blinder.object(claims, frame)
    payload["_sd_alg"] = SD_ALG
    jwt = sign_compact_jws(header, payload, key)
    return jwt + "~" + "".join(d.encoded + "~" for d in blinder.disclosures)


# --- parsing and processing --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SdJwtParts:
    """An SD-JWT or SD-JWT+KB split at its tildes."""

    issuer_jwt: str
    disclosures: tuple[str, ...]
    key_binding_jwt: str | None
    sd_jwt: str
    """Everything up to and including the last '~': the input of ``sd_hash``."""


def split_sd_jwt(text: str) -> SdJwtParts:
    """Split the compact serialisation (RFC 9901, 4); no tilde means no SD-JWT."""
    parts = text.split("~")
    if len(parts) < 2 or not parts[0]:
        raise InvalidCredentialError(ReasonCode.MALFORMED, detail="not an SD-JWT")
    middle = parts[1:-1]
    if any(not d for d in middle):
        raise InvalidCredentialError(ReasonCode.DISCLOSURE_MALFORMED, detail="empty disclosure")
    last = parts[-1]
    return SdJwtParts(parts[0], tuple(middle), last or None, text[: len(text) - len(last)])


Classifier = Callable[[Disclosure], ReasonCode]


def _unreferenced(_: Disclosure) -> ReasonCode:
    return ReasonCode.DISCLOSURE_TAMPERED


class _Unfolder:
    """Puts disclosed claims back in place, enforcing RFC 9901, 7.1, steps 3-5."""

    def __init__(self, by_digest: dict[str, Disclosure]) -> None:
        self.by_digest = by_digest
        self.used: set[str] = set()
        self.seen: set[str] = set()
        self.loose: set[str] = set()

    def _see(self, digest: object) -> Disclosure | None:
        if not isinstance(digest, str):
            raise InvalidCredentialError(ReasonCode.DISCLOSURE_MALFORMED, detail="digest type")
        if digest in self.seen:
            raise InvalidCredentialError(ReasonCode.DIGEST_REPEATED)
        self.seen.add(digest)
        return self.by_digest.get(digest)

    def any(self, value: Any, depth: int) -> Any:
        if isinstance(value, dict):
            return self.object(value, depth)
        if isinstance(value, list):
            return self.array(value, depth)
        if isinstance(value, str) and len(value) == _DIGEST_LENGTH:
            self.loose.add(value)
        return value

    @staticmethod
    def _enter(depth: int) -> int:
        # Each Disclosure is shallow, but Disclosures can nest inside one another; the
        # limit holds for the claims as put together, so no recursion runs away.
        if depth >= MAX_UNFOLDED_DEPTH:
            raise InvalidCredentialError(
                ReasonCode.DISCLOSURE_MALFORMED, detail="claims nested too deeply"
            )
        return depth + 1

    def object(self, value: dict[str, Any], depth: int = 0, top: bool = False) -> dict[str, Any]:
        inner = self._enter(depth)
        out = {
            k: self.any(v, inner)
            for k, v in value.items()
            if k != "_sd" and not (top and k == "_sd_alg")
        }
        digests = value.get("_sd")
        if digests is None:
            return out
        if not isinstance(digests, list):
            raise InvalidCredentialError(ReasonCode.DISCLOSURE_MALFORMED, detail="_sd")
        for digest in digests:
            disclosure = self._see(digest)
            if disclosure is None:
                continue
            name = disclosure.name
            if name is None:
                raise InvalidCredentialError(ReasonCode.DISCLOSURE_MISPLACED)
            if name in _RESERVED_NAMES or name in out:
                raise InvalidCredentialError(ReasonCode.DISCLOSURE_CLAIM_CONFLICT, claim=name)
            self.used.add(disclosure.digest)
            out[name] = self.any(disclosure.value, inner)
        return out

    def array(self, values: list[Any], depth: int) -> list[Any]:
        inner = self._enter(depth)
        out: list[Any] = []
        for item in values:
            if isinstance(item, dict) and len(item) == 1 and "..." in item:
                disclosure = self._see(item["..."])
                if disclosure is None:
                    continue  # not disclosed, or a decoy: the element disappears
                if disclosure.name is not None:
                    raise InvalidCredentialError(
                        ReasonCode.DISCLOSURE_NOT_IN_SD, claim=disclosure.name
                    )
                self.used.add(disclosure.digest)
                out.append(self.any(disclosure.value, inner))
            else:
                out.append(self.any(item, inner))
        return out


def process_disclosures(
    payload: Mapping[str, Any],
    disclosures: Sequence[str],
    *,
    classify: Classifier = _unreferenced,
) -> tuple[dict[str, Any], tuple[Disclosure, ...]]:
    """The claims with every Disclosure put back, and the Disclosures in order.

    Args:
        payload: the verified Issuer-signed JWT payload.
        disclosures: the Disclosure strings of the presentation.
        classify: names the reason for a Disclosure no digest refers to (a type-aware
            caller can tell an altered claim of its type from a foreign one).
    """
    sd_alg = payload.get("_sd_alg", SD_ALG)
    if sd_alg != SD_ALG:
        raise InvalidCredentialError(ReasonCode.SD_ALG_UNSUPPORTED, alg=sd_alg)
    by_digest: dict[str, Disclosure] = {}
    parsed: list[Disclosure] = []
    for encoded in disclosures:
        disclosure = Disclosure.parse(encoded)
        if disclosure.digest in by_digest:
            raise InvalidCredentialError(ReasonCode.DISCLOSURE_DUPLICATED)
        by_digest[disclosure.digest] = disclosure
        parsed.append(disclosure)
    unfolder = _Unfolder(by_digest)
    claims = unfolder.object(dict(payload), top=True)
    for disclosure in parsed:
        if disclosure.digest not in unfolder.used:
            claim = disclosure.name if disclosure.name is not None else "[…]"
            if disclosure.digest in unfolder.loose:
                raise InvalidCredentialError(ReasonCode.DISCLOSURE_NOT_IN_SD, claim=claim)
            raise InvalidCredentialError(classify(disclosure), claim=claim)
    return claims, tuple(parsed)


def disclosure_paths(
    payload: Mapping[str, Any], disclosures: Iterable[Disclosure]
) -> dict[str, ClaimPath]:
    """Where each Disclosure (by digest) sits in the claims: the holder's map for
    choosing what to disclose."""
    by_digest = {d.digest: d for d in disclosures}
    paths: dict[str, ClaimPath] = {}

    def walk(value: Any, path: ClaimPath) -> None:
        if len(path) > MAX_UNFOLDED_DEPTH:
            raise InvalidCredentialError(
                ReasonCode.DISCLOSURE_MALFORMED, detail="claims nested too deeply"
            )
        if isinstance(value, dict):
            for name, item in value.items():
                if name != "_sd":
                    walk(item, (*path, name))
            for digest in value.get("_sd", ()):
                found = by_digest.get(digest) if isinstance(digest, str) else None
                if found is not None and found.name is not None:
                    paths[digest] = (*path, found.name)
                    walk(found.value, (*path, found.name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict) and len(item) == 1 and "..." in item:
                    found = by_digest.get(item["..."]) if isinstance(item["..."], str) else None
                    if found is not None:
                        paths[found.digest] = (*path, index)
                        walk(found.value, (*path, index))
                else:
                    walk(item, (*path, index))

    walk(dict(payload), ())
    return paths


def _covers(requested: ClaimPath, path: ClaimPath) -> bool:
    """A requested path covers a Disclosure at ``path`` if one is a prefix of the other
    (the claim itself, everything inside it, and every enclosing Disclosure)."""
    for want, have in zip(requested, path, strict=False):
        if want is None and isinstance(have, int):
            continue
        if want != have:
            return False
    return True


# --- key binding ---------------------------------------------------------------------------


def create_key_binding_jwt(
    sd_jwt: str, key: SigningKey, *, nonce: str, audience: str, issued_at: int
) -> str:
    """The KB-JWT over an SD-JWT (which must end with '~')."""
    payload = {
        "iat": issued_at,
        "aud": audience,
        "nonce": nonce,
        "sd_hash": sha256_b64url(sd_jwt),
    }
    return sign_compact_jws({"typ": KB_JWT_TYP}, payload, key)


def present(
    sd_jwt: str,
    *,
    disclose: Iterable[ClaimPath],
    holder_key: SigningKey | None = None,
    nonce: str | None = None,
    audience: str | None = None,
    issued_at: int | None = None,
) -> str:
    """A presentation with only the Disclosures the requested claims need.

    With a ``holder_key`` (and ``nonce``, ``audience``, ``issued_at``) a KB-JWT is
    appended (SD-JWT+KB); without, the result is a plain SD-JWT.
    """
    parts = split_sd_jwt(sd_jwt)
    jws = parse_compact_jws(parts.issuer_jwt)
    parsed = [Disclosure.parse(d) for d in parts.disclosures]
    paths = disclosure_paths(jws.payload, parsed)
    requested = list(disclose)
    chosen = [
        d.encoded
        for d in parsed
        if d.digest in paths and any(_covers(r, paths[d.digest]) for r in requested)
    ]
    presented = parts.issuer_jwt + "~" + "".join(d + "~" for d in chosen)
    if holder_key is None:
        return presented
    if nonce is None or audience is None or issued_at is None:
        raise ValueError("key binding needs nonce, audience and issued_at")
    return presented + create_key_binding_jwt(
        presented, holder_key, nonce=nonce, audience=audience, issued_at=issued_at
    )


@dataclass(frozen=True)
class KeyBindingExpectation:
    """What the verifier asked for: its nonce and audience, and how fresh the KB-JWT
    must be at ``now`` (unix seconds)."""

    nonce: str
    audience: str
    now: int
    max_age: int = 300
    leeway: int = 60


def verify_key_binding(
    parts: SdJwtParts, holder_key: PublicKey, expected: KeyBindingExpectation
) -> dict[str, Any]:
    """Check the KB-JWT (RFC 9901, 7.3, step 5); returns its payload."""
    if parts.key_binding_jwt is None:
        raise InvalidCredentialError(ReasonCode.KB_MISSING)
    kb: CompactJws = parse_compact_jws(
        parts.key_binding_jwt,
        malformed=ReasonCode.KB_MALFORMED,
        alg_reason=ReasonCode.KB_SIGNATURE_INVALID,
    )
    if kb.header.get("typ") != KB_JWT_TYP:
        raise InvalidCredentialError(ReasonCode.KB_MALFORMED, detail="typ is not kb+jwt")
    if not kb.verify_with(holder_key):
        raise InvalidCredentialError(ReasonCode.KB_SIGNATURE_INVALID)
    claims = kb.payload
    iat, aud, nonce, sd_hash = (claims.get(k) for k in ("iat", "aud", "nonce", "sd_hash"))
    if not (is_unix_time(iat) and isinstance(aud, str) and isinstance(nonce, str)):
        raise InvalidCredentialError(ReasonCode.KB_MALFORMED, detail="iat, aud or nonce")
    if not isinstance(sd_hash, str):
        raise InvalidCredentialError(ReasonCode.KB_MALFORMED, detail="sd_hash")
    if sd_hash != sha256_b64url(parts.sd_jwt):
        raise InvalidCredentialError(ReasonCode.KB_SD_HASH_MISMATCH)
    if aud != expected.audience:
        raise InvalidCredentialError(ReasonCode.KB_AUD_MISMATCH, aud=aud)
    if not secrets.compare_digest(nonce.encode(), expected.nonce.encode()):
        raise InvalidCredentialError(ReasonCode.KB_NONCE_MISMATCH)
    if iat > expected.now + expected.leeway or iat < expected.now - expected.max_age:
        raise InvalidCredentialError(ReasonCode.KB_IAT_INVALID)
    return claims


# --- verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedSdJwt:
    """An SD-JWT whose signature, Disclosures and (if asked) key binding hold."""

    header: dict[str, Any]
    payload: dict[str, Any]
    claims: dict[str, Any]
    disclosures: tuple[Disclosure, ...]
    key_binding: dict[str, Any] | None


def holder_key_of(payload: Mapping[str, Any]) -> PublicKey:
    """The holder's key from ``cnf.jwk`` (RFC 7800), or refusal with ``cnf_missing``."""
    cnf = payload.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict):
        raise InvalidCredentialError(ReasonCode.CNF_MISSING)
    try:
        return PublicKey.from_jwk(jwk)
    except ValueError as err:
        raise InvalidCredentialError(ReasonCode.CNF_MISSING) from err


def verify_sd_jwt(
    text: str,
    issuer_key: PublicKey,
    *,
    expected_typ: str | None = None,
    key_binding: KeyBindingExpectation | None = None,
    classify: Classifier = _unreferenced,
) -> VerifiedSdJwt:
    """Verify an SD-JWT or SD-JWT+KB against a known issuer key (RFC 9901, 7.1 and 7.3).

    Time claims are not judged here (the credential verifier does that, with reasons);
    key binding is checked when ``key_binding`` is given.
    """
    parts = split_sd_jwt(text)
    jws = parse_compact_jws(parts.issuer_jwt)
    if expected_typ is not None and jws.header.get("typ") != expected_typ:
        raise InvalidCredentialError(
            ReasonCode.TYP_INVALID, typ=jws.header.get("typ"), expected=expected_typ
        )
    if not jws.verify_with(issuer_key):
        raise InvalidCredentialError(ReasonCode.SIGNATURE_INVALID)
    claims, disclosures = process_disclosures(jws.payload, parts.disclosures, classify=classify)
    kb = None
    if key_binding is not None:
        kb = verify_key_binding(parts, holder_key_of(jws.payload), key_binding)
    return VerifiedSdJwt(jws.header, jws.payload, claims, disclosures, kb)
