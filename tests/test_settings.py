"""Settings are validated at start; placeholder secrets are refused outside development."""

from __future__ import annotations

import pytest

from govchain.errors import SettingsError
from govchain.settings import ChainBackendKind, load_settings


def test_defaults_use_loopback_ganache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVCHAIN_DATA_DIR", raising=False)
    settings = load_settings()
    assert settings.chain_backend is ChainBackendKind.GANACHE
    assert settings.effective_rpc_url() == "http://127.0.0.1:8545"
    assert settings.chain_dir == settings.data_dir / "chain"


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_GANACHE_PORT", "9001")
    assert load_settings().effective_rpc_url() == "http://127.0.0.1:9001"


def test_placeholder_passphrase_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_ENVIRONMENT", "production")
    with pytest.raises(SettingsError, match="KEYSTORE_PASSPHRASE") as refused:
        load_settings()
    assert "Ungültige govchain-Einstellungen" in refused.value.message_de
    monkeypatch.setenv("GOVCHAIN_KEYSTORE_PASSPHRASE", "a-real-secret-from-the-vault")
    assert load_settings().environment.value == "production"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GOVCHAIN_GANACHE_PORT", "70000"),
        ("GOVCHAIN_CHAIN_BACKEND", "bitcoin"),
        ("GOVCHAIN_CHAIN_ID", "0"),
    ],
)
def test_bad_values_are_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match="Invalid govchain settings"):
        load_settings()


def test_rpc_backend_needs_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_CHAIN_BACKEND", "rpc")
    with pytest.raises(SettingsError, match="GOVCHAIN_RPC_URL"):
        load_settings()
