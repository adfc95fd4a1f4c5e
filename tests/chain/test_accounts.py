"""Chain account keys are stored encrypted only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from govchain.chain.accounts import AccountStore, KeystoreError, slug


def test_keys_are_encrypted_at_rest_and_reloadable(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "keys", "correct horse")
    account = store.get_or_create("member-aachen")
    path = tmp_path / "keys" / "member-aachen.json"
    text = path.read_text()
    assert account.key.hex().removeprefix("0x") not in text
    assert '"kdf": "scrypt"' in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.get_or_create("member-aachen").address == account.address
    assert store.labels() == ["member-aachen"]


def test_wrong_passphrase_decrypts_nothing(tmp_path: Path) -> None:
    AccountStore(tmp_path, "correct horse").get_or_create("deployer")
    with pytest.raises(KeystoreError, match="Wrong keystore passphrase"):
        AccountStore(tmp_path, "battery staple").load("deployer")


def test_bad_labels_and_missing_accounts(tmp_path: Path) -> None:
    store = AccountStore(tmp_path, "pw")
    with pytest.raises(KeystoreError, match="Invalid account label"):
        store.get_or_create("../../etc/passwd")
    with pytest.raises(KeystoreError, match="No account"):
        store.load("nobody")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(KeystoreError, match="unreadable"):
        store.load("broken")


def test_slug_folds_umlauts() -> None:
    assert slug("Ordnungsamt Köln") == "ordnungsamt-koeln"
    assert slug("Gelsenkirchen") == "gelsenkirchen"
