"""Agent settings: placeholder secrets, storage and ports are checked at start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from govchain.agents import AgentProcess, AgentRole, AgentSettings, AgentStorageKind
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


def test_extra_webhooks_per_role_come_from_the_environment_as_a_json_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert AgentSettings(data_dir=tmp_path).extra_webhooks(AgentRole.VERIFIER) == ()
    target = "http://127.0.0.1:8102/verifier/v1/didcomm/webhooks#hook-key-4711"
    monkeypatch.setenv("GOVCHAIN_AGENTS_VERIFIER_EXTRA_WEBHOOKS", json.dumps([target]))
    settings = AgentSettings(data_dir=tmp_path)
    (extra,) = settings.extra_webhooks(AgentRole.VERIFIER)
    assert extra.get_secret_value() == target
    assert settings.extra_webhooks(AgentRole.ISSUER) == ()
    assert "hook-key-4711" not in repr(settings)

    # the agent gets both targets in one variable, which ACA-Py splits into --webhook-url
    verifier = AgentProcess(AgentRole.VERIFIER, settings, "http://127.0.0.1:8039/agents/v#k")
    assert json.loads(verifier.webhook_urls()) == ["http://127.0.0.1:8039/agents/v#k", target]
    holder = AgentProcess(AgentRole.HOLDER, settings, "http://127.0.0.1:8039/agents/h#k")
    assert holder.webhook_urls() == "http://127.0.0.1:8039/agents/h#k"  # unchanged


def test_an_extra_webhook_that_is_no_url_is_refused_without_showing_it(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="HOLDER_EXTRA_WEBHOOKS: entry 2") as caught:
        AgentSettings(
            data_dir=tmp_path,
            agents_holder_extra_webhooks=["http://127.0.0.1:1/x#k", "ftp://host/y#secret-99"],
        )
    shown = "; ".join(e["msg"] for e in caught.value.errors())  # what govchain prints
    assert "entry 2" in shown and "secret-99" not in shown
