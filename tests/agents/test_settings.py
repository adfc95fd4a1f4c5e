"""Agent settings: placeholder secrets, storage and ports are checked at start."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from govchain.agents import AgentRole, AgentSettings, AgentStorageKind
from govchain.settings import Environment


def test_defaults_are_loopback_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = AgentSettings(data_dir=tmp_path)
    assert settings.agents_storage is AgentStorageKind.SQLITE
    assert settings.agents_dir == tmp_path / "agents"
    assert settings.admin_url(AgentRole.HOLDER) == "http://127.0.0.1:8041"


def test_placeholder_secrets_are_refused_outside_development(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="GOVCHAIN_AGENTS_ISSUER_ADMIN_API_KEY"):
        AgentSettings(
            data_dir=tmp_path,
            environment=Environment.PRODUCTION,
            keystore_passphrase="a-real-passphrase",
        )


def test_real_secrets_are_accepted_in_production(tmp_path: Path) -> None:
    settings = AgentSettings(
        data_dir=tmp_path,
        environment=Environment.PRODUCTION,
        keystore_passphrase="a-real-passphrase",
        agents_issuer_admin_api_key="k1",
        agents_holder_admin_api_key="k2",
        agents_verifier_admin_api_key="k3",
        agents_wallet_key="k4",
        agents_holder_jwt_secret="k5",
    )
    assert "k1" not in repr(settings)


def test_postgres_storage_needs_url_and_credentials(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="GOVCHAIN_AGENTS_POSTGRES_URL"):
        AgentSettings(data_dir=tmp_path, agents_storage="postgres")
    settings = AgentSettings(
        data_dir=tmp_path,
        agents_storage="postgres",
        agents_postgres_url="127.0.0.1:5432",
        agents_postgres_account="acapy",
        agents_postgres_password="secret",
    )
    assert settings.agents_storage is AgentStorageKind.POSTGRES


def test_ports_must_differ(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="must all differ"):
        AgentSettings(data_dir=tmp_path, agents_webhook_port=8031)
