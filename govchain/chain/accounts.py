"""Chain accounts of this installation, kept in encrypted keystore files.

Each account has a label ("deployer", "member-aachen", ...) and lives in
``<data dir>/chain/keys/<label>.json`` as a standard Web3 Secret Storage file
(scrypt + AES-128-CTR). Private keys are never written unencrypted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain._files import atomic_write_text
from govchain.chain.errors import ChainError

__all__ = ["AccountStore", "KeystoreError", "slug"]

_LABEL = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# scrypt work factor: 2**15 takes ~0.1 s here; the passphrase guards keys at rest.
_SCRYPT_N = 2**15


class KeystoreError(ChainError):
    """A keystore file is missing, unreadable, or the passphrase is wrong."""


def slug(name: str) -> str:
    """A label-safe form of a name: ``"Ordnungsamt Köln"`` becomes ``"ordnungsamt-koeln"``."""
    text = name.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:64] or "account"


class AccountStore:
    """Encrypted keystore files in one folder."""

    def __init__(self, directory: Path, passphrase: str) -> None:
        self.directory = directory
        self._passphrase = passphrase

    def _path(self, label: str) -> Path:
        if not _LABEL.match(label):
            raise KeystoreError(
                f"Invalid account label {label!r}: use lower-case letters, digits and dashes.",
                f"Ungültige Kontobezeichnung {label!r}: nur Kleinbuchstaben, Ziffern und "
                "Bindestriche.",
            )
        return self.directory / f"{label}.json"

    def exists(self, label: str) -> bool:
        """Whether an account with this label exists."""
        return self._path(label).is_file()

    def load(self, label: str) -> LocalAccount:
        """Decrypt and return the account `label`."""
        path = self._path(label)
        try:
            document = json.loads(path.read_text())
        except FileNotFoundError as err:
            raise KeystoreError(
                f"No account {label!r} in {self.directory}.",
                f"Kein Konto {label!r} in {self.directory}.",
            ) from err
        except (OSError, ValueError) as err:
            raise KeystoreError(
                f"The keystore file {path} is unreadable.",
                f"Die Schlüsseldatei {path} ist nicht lesbar.",
            ) from err
        try:
            key = Account.decrypt(document, self._passphrase)
        except ValueError as err:
            raise KeystoreError(
                f"Wrong keystore passphrase for {path} (GOVCHAIN_KEYSTORE_PASSPHRASE).",
                f"Falsche Passphrase für {path} (GOVCHAIN_KEYSTORE_PASSPHRASE).",
            ) from err
        account: LocalAccount = Account.from_key(key)
        return account

    def get_or_create(self, label: str) -> LocalAccount:
        """Load `label`, creating a fresh random account the first time."""
        if self.exists(label):
            return self.load(label)
        account: LocalAccount = Account.create()
        document = Account.encrypt(
            account.key, self._passphrase, kdf="scrypt", iterations=_SCRYPT_N
        )
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write_text(self._path(label), json.dumps(document), mode=0o600)
        return account

    def labels(self) -> list[str]:
        """All account labels in the store."""
        return sorted(p.stem for p in self.directory.glob("*.json"))
