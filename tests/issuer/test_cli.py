"""`govchain issuer offer`: scripted issuance for cities' batch jobs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govchain.cli import app
from govchain.credentials import _samples
from tests.issuer.conftest import OFFLINE_LIST

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVCHAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GOVCHAIN_ISSUER_STATUS_LIST_URI", OFFLINE_LIST)
    claims = tmp_path / "claims.json"
    record = _samples.street_music_permit(date.today()).model_dump(mode="json")
    claims.write_text(json.dumps(record), encoding="utf-8")
    return claims


def test_offer_prints_the_uri_and_the_tx_code_separately(env: Path) -> None:
    result = runner.invoke(
        app,
        [
            "issuer",
            "offer",
            "--type",
            "street_music_permit_sd_jwt",
            "--claims",
            str(env),
            "--tx-code",
            "5151",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("openid-credential-offer://?credential_offer=")
    assert "5151" not in result.stdout and "5151" in result.stderr


def test_bad_offers_give_one_sentence(env: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    for args in (
        ["--type", "street_music_permit_sd_jwt", "--claims", str(broken)],
        ["--type", "passport", "--claims", str(env)],
        ["--type", "street_music_permit_sd_jwt", "--claims", str(tmp_path / "missing.json")],
    ):
        result = runner.invoke(app, ["issuer", "offer", *args])
        assert result.exit_code == 1, args
        assert "Error:" in result.stderr and "Traceback" not in result.stdout + result.stderr


def test_official_add_registers_and_lists_and_refuses_clearly(env: Path) -> None:
    person = ["--given-name", "Olga", "--family-name", "Ordnung", "--birth-date", "1980-05-06"]
    added = runner.invoke(
        app,
        [
            "issuer",
            "official",
            "add",
            "--office",
            "ordnungsamt-aachen",
            "--role",
            "leitung",
            *person,
        ],
    )
    assert added.exit_code == 0, added.output
    assert "ordnungsamt-aachen  leitung  Olga Ordnung" in added.stdout
    listed = runner.invoke(app, ["issuer", "official", "list"])
    assert "Olga Ordnung  (noch nicht angemeldet)" in listed.stdout
    twice = runner.invoke(
        app,
        [
            "issuer",
            "official",
            "add",
            "--office",
            "buergeramt-aachen",
            "--role",
            "leitung",
            *person,
        ],
    )
    assert twice.exit_code == 1 and "bereits als Sachbearbeitung eingetragen" in twice.output
    unknown = runner.invoke(
        app, ["issuer", "official", "add", "--office", "nirgendwo", "--role", "leitung", *person]
    )
    assert unknown.exit_code == 1 and "Unbekanntes Amt" in unknown.output
    bad_role = runner.invoke(
        app,
        ["issuer", "official", "add", "--office", "ordnungsamt-aachen", "--role", "chef", *person],
    )
    assert bad_role.exit_code == 1 and "Rolle" in bad_role.output
