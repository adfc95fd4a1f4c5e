"""The issuer's persistence, audit log, scripted issuance and settings, on real SQLite."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from govchain.credentials import _samples
from govchain.issuer import IssuerSettings, create_app, offer_from_file
from govchain.issuer._db import current_revision, head_revision
from govchain.issuer._models import AnchorState, Base
from govchain.issuer.errors import IssuerNotReadyError, OfferInputError
from govchain.issuer.service import IssuerService
from govchain.platform.anchoring.service import AnchoringService
from tests.issuer.conftest import OFFICIAL, Server, Wallet, issuer_settings

MUSIC = "street_music_permit_sd_jwt"


def claims_file(tmp_path: Path) -> Path:
    path = tmp_path / "claims.json"
    claims = _samples.street_music_permit(date.today()).model_dump(mode="json")
    path.write_text(json.dumps(claims), encoding="utf-8")
    return path


def test_migrations_match_the_models_and_use_their_own_version_table(tmp_path: Path) -> None:
    service = IssuerService.open(issuer_settings(tmp_path / "data"), load_key=False)
    try:
        assert current_revision(service.engine) == head_revision() == "i0005"
        with service.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": "alembic_version_issuer"}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        service.close()


def test_scripted_offer_is_redeemed_by_the_running_issuer(tmp_path: Path) -> None:
    settings = issuer_settings(tmp_path / "data")
    created = offer_from_file(settings, MUSIC, claims_file(tmp_path), tx_code="5151")
    assert created.offer_uri.startswith("openid-credential-offer://?credential_offer=")
    assert "5151" not in created.offer_uri
    with Server(create_app(settings), settings.issuer_port) as client:
        wallet = Wallet(client)
        token = wallet.token(wallet.code_of(wallet.resolve(created.offer_uri)), "5151")
        assert token


def test_scripted_offer_refusals(tmp_path: Path) -> None:
    settings = issuer_settings(tmp_path / "data")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(OfferInputError):
        offer_from_file(settings, MUSIC, broken)
    with pytest.raises(OfferInputError):
        offer_from_file(settings, "passport", claims_file(tmp_path))
    unready = issuer_settings(tmp_path / "data", issuer_status_list_uri=None)
    with pytest.raises(IssuerNotReadyError):
        offer_from_file(unready, MUSIC, claims_file(tmp_path))


def test_audit_entries_wait_queued_until_an_anchoring_service_takes_them(tmp_path: Path) -> None:
    settings = issuer_settings(tmp_path / "data")
    offer_from_file(settings, MUSIC, claims_file(tmp_path))
    offer_from_file(settings, "https://vct.govchain.de/strassenmusik/v1", claims_file(tmp_path))
    service = IssuerService.open(settings, load_key=False)
    assert [r.anchor_state for r in service.audit_log()] == [AnchorState.QUEUED] * 2
    assert service.verify_audit_chain()
    service.close()
    anchoring = AnchoringService(tmp_path / "anchoring", None)
    service = IssuerService.open(settings, load_key=False, anchoring=anchoring)
    try:
        rows = service.audit_log()
        assert [r.receipt_id for r in rows] == ["issuer.aachen:0", "issuer.aachen:1"]
        assert anchoring.store.size("issuer.aachen") == 2
    finally:
        service.close()
        anchoring.close()


def test_a_tampered_audit_log_is_detected(tmp_path: Path) -> None:
    settings = issuer_settings(tmp_path / "data")
    offer_from_file(settings, MUSIC, claims_file(tmp_path))
    offer_from_file(settings, MUSIC, claims_file(tmp_path))
    service = IssuerService.open(settings, load_key=False)
    try:
        with service.engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE issuer_audit_log SET body = replace(body, 'cli/govchain', 'cli/mallory')"
            )
        assert service.verify_audit_chain() is False
    finally:
        service.close()


def test_the_official_header_is_refused_in_production(tmp_path: Path) -> None:
    settings = issuer_settings(
        tmp_path / "data",
        environment="production",
        keystore_passphrase="a-real-secret-for-this-test",
        issuer_url="https://ausstellung.aachen.example",
    )
    with Server(create_app(settings), settings.issuer_port) as client:
        body = {"credential_type": MUSIC, "claims": {}}
        response = client.post("/issuer/v1/offers", json=body, headers=OFFICIAL)
        assert response.status_code == 403
        assert response.json()["type"].endswith("/dev-identity-refused")


def test_settings_defaults_and_refusals(tmp_path: Path) -> None:
    settings = IssuerSettings(data_dir=tmp_path)
    assert settings.issuer_port == 8101
    assert settings.credential_issuer == "http://127.0.0.1:8101"
    assert settings.issuer_db_url.endswith("/issuer/issuer.sqlite3")
    with pytest.raises(ValueError, match="https"):
        IssuerSettings(
            data_dir=tmp_path,
            environment="production",
            keystore_passphrase="a-real-secret",
            issuer_url="http://plain.example",
        )
    with pytest.raises(ValueError, match="status list"):
        IssuerSettings(data_dir=tmp_path, issuer_status_list_uri="https://elsewhere.example/1")


def test_c_nonces_hold_across_workers_and_not_across_issuers(tmp_path: Path) -> None:
    """Two services on one data directory (two worker processes) share the nonce key,
    made once with mode 0600; an issuer with another data directory refuses the nonce."""
    settings = issuer_settings(tmp_path / "data")
    first = IssuerService.open(settings, load_key=False)
    second = IssuerService.open(settings, load_key=False)
    stranger = IssuerService.open(issuer_settings(tmp_path / "other"), load_key=False)
    try:
        nonce = first.nonce().c_nonce
        now = first.now()
        assert second._nonce_expiry(nonce, now) == now + settings.issuer_nonce_ttl_seconds
        assert stranger._nonce_expiry(nonce, now) is None
        assert first._nonce_expiry(nonce, now + settings.issuer_nonce_ttl_seconds) is None
        key = settings.issuer_dir / "nonce-mac.key"
        assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32
        assert [p.name for p in key.parent.iterdir() if p.name.startswith(".nonce")] == []
    finally:
        for service in (first, second, stranger):
            service.close()
