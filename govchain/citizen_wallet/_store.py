"""The encrypted wallet file and the durable PIN throttle.

Everything the wallet keeps (holder private keys, credentials, the presentation log) is
one JSON document, encrypted with AES-256-GCM under a key that scrypt derives from the
PIN. ``vault.json`` holds only the KDF parameters, a nonce and the ciphertext; the
header is bound to the ciphertext as associated data, so a file cannot be re-labelled.
A wrong PIN yields a failing GCM tag and nothing else. The file is replaced atomically
(temporary file, fsync, rename, fsync of the directory), so a crash leaves the old or
the new wallet, never half; that is also what makes a PIN change safe: the document
re-encrypted under the new PIN replaces the old file in one rename, so at every moment
exactly one of the two PINs opens the wallet.

Wrong PINs are counted in ``throttle.json`` (not secret, written durably): from the
third wrong PIN in a row the wallet refuses every try, right or wrong, for a delay that
doubles with each further failure (30 s, 60 s, ... up to one hour).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from govchain._files import atomic_write_text, sync_directory
from govchain.citizen_wallet.errors import (
    PinChangeFailedError,
    WalletCorruptError,
    WalletExistsError,
    WalletNotFoundError,
    WalletThrottledError,
    WrongPinError,
)
from govchain.credentials.keys import MAX_SCRYPT_N, MIN_SCRYPT_N

__all__ = ["Throttle", "Vault", "decrypt_document", "encrypt_document"]

VAULT_FORMAT: Final = "govchain-wallet/1"
BACKUP_FORMAT: Final = "govchain-wallet-backup/1"
VAULT_FILE: Final = "vault.json"
THROTTLE_FILE: Final = "throttle.json"
FREE_TRIES: Final = 2
BASE_DELAY: Final = 30.0
MAX_DELAY: Final = 3600.0
_R, _P = 8, 1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64url text")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(secret: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=_R, p=_P).derive(secret.encode())


def _write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` (mode 0600) in one rename, then sync the directory so that the
    rename itself survives a power cut."""
    atomic_write_text(path, text, 0o600)
    sync_directory(path.parent)


def _header(fmt: str, salt: bytes, n: int) -> dict[str, Any]:
    return {"format": fmt, "kdf": {"name": "scrypt", "n": n, "r": _R, "p": _P, "salt": _b64(salt)}}


def _aad(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def encrypt_document(
    document: dict[str, Any], secret: str, *, fmt: str, scrypt_n: int
) -> dict[str, Any]:
    """``document`` encrypted under ``secret`` with a fresh salt (for backups)."""
    salt = secrets.token_bytes(16)
    return _seal(document, _derive(secret, salt, scrypt_n), _header(fmt, salt, scrypt_n))


def _seal(document: dict[str, Any], key: bytes, header: dict[str, Any]) -> dict[str, Any]:
    nonce = secrets.token_bytes(12)
    plain = json.dumps(document, separators=(",", ":")).encode()
    cipher = AESGCM(key).encrypt(nonce, plain, _aad(header))
    return {**header, "nonce": _b64(nonce), "ciphertext": _b64(cipher)}


def _parse_header(sealed: object, fmt: str, what: str) -> tuple[dict[str, Any], bytes, int]:
    """The header, salt and N of a sealed file; refuses absurd scrypt parameters, so a
    tampered file cannot make the wallet spend gigabytes before trying the PIN."""
    try:
        if not isinstance(sealed, dict) or sealed.get("format") != fmt:
            raise ValueError("wrong format")
        kdf = sealed["kdf"]
        n, salt = kdf["n"], _unb64(kdf["salt"])
        if kdf != {"name": "scrypt", "n": n, "r": _R, "p": _P, "salt": kdf["salt"]}:
            raise ValueError("unexpected KDF")
        if not (isinstance(n, int) and MIN_SCRYPT_N <= n <= MAX_SCRYPT_N and n & (n - 1) == 0):
            raise ValueError("bad scrypt N")
        if not 16 <= len(salt) <= 64:
            raise ValueError("bad salt")
    except (KeyError, TypeError, ValueError) as err:
        raise WalletCorruptError(what) from err
    return _header(fmt, salt, n), salt, n


def _open(sealed: dict[str, Any], key: bytes, header: dict[str, Any], what: str) -> dict[str, Any]:
    """Decrypt; InvalidTag means a wrong key (or tampering) and escapes to the caller."""
    try:
        nonce, cipher = _unb64(sealed["nonce"]), _unb64(sealed["ciphertext"])
    except (KeyError, ValueError) as err:
        raise WalletCorruptError(what) from err
    plain = AESGCM(key).decrypt(nonce, cipher, _aad(header))
    document = json.loads(plain)
    if not isinstance(document, dict):
        raise WalletCorruptError(what)
    return document


def decrypt_document(sealed: object, secret: str, *, fmt: str, what: str) -> dict[str, Any]:
    """A document sealed by ``encrypt_document``; WrongPinError if ``secret`` is wrong."""
    header, salt, n = _parse_header(sealed, fmt, what)
    assert isinstance(sealed, dict)
    try:
        return _open(sealed, _derive(secret, salt, n), header, what)
    except InvalidTag as err:
        raise WrongPinError(0, 0) from err


@dataclass
class Throttle:
    """Wrong PINs in a row and the time before which no try is made, kept on disk."""

    path: Path
    clock: Callable[[], float]

    def _read(self) -> tuple[int, float]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return int(data["failures"]), float(data["locked_until"])
        except FileNotFoundError:
            return 0, 0.0
        except (ValueError, KeyError, TypeError):
            # An unreadable throttle file must not reset the count to zero.
            return FREE_TRIES + 1, self.clock() + BASE_DELAY

    def check(self) -> None:
        """Refuse a try while the wallet is throttled."""
        _, locked_until = self._read()
        wait = locked_until - self.clock()
        if wait > 0:
            raise WalletThrottledError(wait)

    def failed(self) -> WrongPinError:
        """Count a wrong PIN, durably, and return the error to raise."""
        failures = self._read()[0] + 1
        delay = 0.0
        if failures > FREE_TRIES:
            delay = min(MAX_DELAY, BASE_DELAY * 2 ** (failures - FREE_TRIES - 1))
        record = {"failures": failures, "locked_until": self.clock() + delay}
        _write_atomic(self.path, json.dumps(record))
        return WrongPinError(failures, delay)

    def succeeded(self) -> None:
        """A right PIN resets the count."""
        if self.path.exists():
            _write_atomic(self.path, json.dumps({"failures": 0, "locked_until": 0}))

    @property
    def failures(self) -> int:
        """Wrong PINs in a row so far."""
        return self._read()[0]


class Vault:
    """The encrypted wallet document in a directory (mode 0700, file mode 0600)."""

    def __init__(self, directory: Path, *, clock: Callable[[], float]) -> None:
        self.directory = directory
        self.path = directory / VAULT_FILE
        self.throttle = Throttle(directory / THROTTLE_FILE, clock)
        self._key: bytes | None = None
        self._header: dict[str, Any] | None = None

    @property
    def exists(self) -> bool:
        """Whether a wallet lives in the directory."""
        return self.path.exists()

    @property
    def unlocked(self) -> bool:
        """Whether the key is in memory."""
        return self._key is not None

    def create(self, pin: str, document: dict[str, Any], *, scrypt_n: int) -> None:
        """A new wallet under ``pin``; refuses to replace an existing one."""
        if self.exists:
            raise WalletExistsError(str(self.directory))
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        salt = secrets.token_bytes(16)
        self._header = _header(VAULT_FORMAT, salt, scrypt_n)
        self._key = _derive(pin, salt, scrypt_n)
        self.save(document)

    def _verify(self, pin: str) -> tuple[dict[str, Any], bytes, dict[str, Any]]:
        """The document on disk, its key and header, if ``pin`` opens it; a wrong PIN is
        counted, and while throttled no PIN is tried at all."""
        if not self.exists:
            raise WalletNotFoundError(str(self.directory))
        self.throttle.check()
        try:
            sealed = json.loads(self.path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise WalletCorruptError(VAULT_FILE) from err
        header, salt, n = _parse_header(sealed, VAULT_FORMAT, VAULT_FILE)
        key = _derive(pin, salt, n)
        try:
            document = _open(sealed, key, header, VAULT_FILE)
        except InvalidTag as err:
            raise self.throttle.failed() from err
        self.throttle.succeeded()
        return document, key, header

    def unlock(self, pin: str) -> dict[str, Any]:
        """Derive the key from ``pin`` and decrypt; throttled after repeated failures."""
        document, key, header = self._verify(pin)
        self._key, self._header = key, header
        return document

    def change_pin(self, old_pin: str, new_pin: str, *, scrypt_n: int) -> dict[str, Any]:
        """Re-encrypt the wallet under ``new_pin`` (fresh salt, key and nonce) after
        ``old_pin`` opened it (counted and throttled like unlocking).

        The whole document as it is on disk — credentials, holder keys, the log, the
        DIDComm sub-wallet's secrets — is sealed under the new key and replaces the old
        file in one atomic rename. If writing fails, the old file and the key in memory
        stay as they were, so the old PIN still opens the wallet; only after the rename
        does the vault switch to the new key. Returns the document (left unlocked).
        """
        document, _, _ = self._verify(old_pin)
        salt = secrets.token_bytes(16)
        header = _header(VAULT_FORMAT, salt, scrypt_n)
        key = _derive(new_pin, salt, scrypt_n)
        try:
            atomic_write_text(self.path, json.dumps(_seal(document, key, header)), 0o600)
        except OSError as err:  # the old file is untouched: the old PIN still opens it
            raise PinChangeFailedError(err.strerror or type(err).__name__) from err
        # Renamed: from here on only the new PIN opens the file.
        self._key, self._header = key, header
        sync_directory(self.directory)
        return document

    def save(self, document: dict[str, Any]) -> None:
        """Encrypt and replace the wallet file atomically (fresh nonce each time)."""
        if self._key is None or self._header is None:
            raise RuntimeError("vault is locked")
        _write_atomic(self.path, json.dumps(_seal(document, self._key, self._header)))

    def lock(self) -> None:
        """Forget the key."""
        self._key = None
        self._header = None
