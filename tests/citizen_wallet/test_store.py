"""The PIN-protected store: create, lock, unlock; a wrong PIN decrypts nothing and
repeated ones are throttled, durably; nothing readable lies on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govchain.citizen_wallet import (
    WalletCorruptError,
    WalletError,
    WalletExistsError,
    WalletLockedError,
    WalletNotFoundError,
    WalletSettings,
    WalletThrottledError,
    WrongPinError,
    open_wallet,
)
from tests.citizen_wallet.conftest import PIN, new_wallet


class FakeClock:
    """Seconds the test moves by hand (the throttle's delays)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_create_lock_unlock(tmp_path: Path) -> None:
    wallet = new_wallet(tmp_path / "w")
    assert not wallet.exists
    with pytest.raises(WalletNotFoundError):
        wallet.unlock(PIN)
    wallet.create(PIN)
    assert wallet.unlocked and wallet.credentials() == [] and wallet.log() == []
    wallet.lock()
    with pytest.raises(WalletLockedError):
        wallet.credentials()
    again = new_wallet(tmp_path / "w")
    again.unlock(PIN)
    assert again.credentials() == []
    with pytest.raises(WalletExistsError):
        new_wallet(tmp_path / "w").create(PIN)
    assert (tmp_path / "w").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "w" / "vault.json").stat().st_mode & 0o777 == 0o600


def test_short_pin_is_refused_and_nothing_written(tmp_path: Path) -> None:
    wallet = new_wallet(tmp_path / "w")
    with pytest.raises(WalletError) as err:
        wallet.create("123")
    assert "mindestens 6" in err.value.message_de
    assert not (tmp_path / "w").exists()


def test_wrong_pins_decrypt_nothing_and_are_throttled_durably(tmp_path: Path) -> None:
    clock = FakeClock()
    new_wallet(tmp_path / "w", clock=clock).create(PIN)
    wallet = new_wallet(tmp_path / "w", clock=clock)
    for attempt in (1, 2):
        with pytest.raises(WrongPinError) as err:
            wallet.unlock("000000")
        assert err.value.failures == attempt and err.value.retry_after == 0
        assert not wallet.unlocked
    with pytest.raises(WrongPinError) as err:
        wallet.unlock("111111")
    assert err.value.retry_after == 30
    # throttled: even the right PIN is not tried, also by a fresh process
    restarted = new_wallet(tmp_path / "w", clock=clock)
    with pytest.raises(WalletThrottledError) as throttled:
        restarted.unlock(PIN)
    assert 0 < throttled.value.retry_after <= 30
    assert "erneut versuchen" in throttled.value.message_de
    clock.now += 31
    with pytest.raises(WrongPinError) as err:
        restarted.unlock("222222")
    assert err.value.failures == 4 and err.value.retry_after == 60  # the delay doubles
    clock.now += 61
    restarted.unlock(PIN)
    assert restarted.unlocked and restarted.wrong_pin_count == 0


def test_tampered_vault_is_refused(tmp_path: Path) -> None:
    new_wallet(tmp_path / "w").create(PIN)
    path = tmp_path / "w" / "vault.json"
    sealed = json.loads(path.read_text())
    sealed["kdf"]["n"] = 2**30  # would cost gigabytes before the PIN is even tried
    path.write_text(json.dumps(sealed))
    with pytest.raises(WalletCorruptError):
        new_wallet(tmp_path / "w").unlock(PIN)
    sealed["kdf"]["n"] = 2**14
    sealed["ciphertext"] = sealed["ciphertext"][:-4] + "AAAA"
    path.write_text(json.dumps(sealed))
    with pytest.raises(WrongPinError):  # GCM refuses; counted like a wrong PIN
        new_wallet(tmp_path / "w").unlock(PIN)


def test_open_wallet_from_settings(tmp_path: Path) -> None:
    settings = WalletSettings(
        data_dir=tmp_path / "data",
        wallet_scrypt_n=2**14,
        wallet_known_issuers={"https://ordnungsamt.aachen.example/": "Ordnungsamt Aachen"},
    )
    assert settings.wallet_port == 8103
    wallet = open_wallet(settings)
    try:
        assert wallet.directory == tmp_path / "data" / "wallet"
        assert wallet.known_issuers == {"https://ordnungsamt.aachen.example": "Ordnungsamt Aachen"}
        assert wallet.status_source is None and wallet.trust_source is None
        wallet.create(PIN)
        assert (tmp_path / "data" / "wallet" / "vault.json").exists()
    finally:
        wallet.close()
