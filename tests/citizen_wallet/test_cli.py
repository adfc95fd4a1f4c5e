"""`govchain wallet ...`: the same functions as the web wallet, on the command line,
against the real issuer and verifier apps."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govchain.cli import app
from govchain.credentials import VerificationResult, _samples
from tests.citizen_wallet.conftest import PIN, chain_issuer
from tests.credentials.conftest import CredWorld
from tests.issuer.conftest import Issuing
from tests.verifier.conftest import Running

__all__ = ["chain_issuer"]

runner = CliRunner()
DOG = "dangerous_dog_permit_sd_jwt"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GOVCHAIN_WALLET_ALLOW_HTTP", "true")
    monkeypatch.setenv("GOVCHAIN_WALLET_SCRYPT_N", str(2**14))
    monkeypatch.setenv("GOVCHAIN_WALLET_USE_CHAIN", "false")
    monkeypatch.setenv("GOVCHAIN_WALLET_PIN", PIN)


def test_create_receive_list_present_and_log(
    env: None, chain_issuer: Issuing, server: Running, vw: CredWorld
) -> None:
    assert runner.invoke(app, ["wallet", "create"]).exit_code == 0
    claims = _samples.dog_permit(vw.today()).model_dump(mode="json")
    offer = chain_issuer.offer(claims, ctype=DOG, tx_code="731902")

    received = runner.invoke(
        app, ["wallet", "receive", str(offer["offer_uri"]), "--tx-code", "731902", "--yes"]
    )
    assert received.exit_code == 0, received.stderr
    assert "gespeichert" in received.stdout
    listed = runner.invoke(app, ["wallet", "list"])
    assert listed.exit_code == 0 and "Hund" in listed.stdout

    created = server.client.create_request("hund", {"chip_number": _samples.CHIP})
    presented = runner.invoke(app, ["wallet", "present", created.openid4vp_uri, "--yes"])
    assert presented.exit_code == 0, presented.stderr
    assert "offengelegt" in presented.stdout
    result = server.client.result(created.request_id)
    assert isinstance(result, VerificationResult) and result.valid

    log = runner.invoke(app, ["wallet", "log"])
    assert log.exit_code == 0 and "shared" in log.stdout


def test_a_wrong_pin_gives_one_sentence(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["wallet", "create"]).exit_code == 0
    wrong = runner.invoke(app, ["wallet", "list", "--pin", "000000"])
    assert wrong.exit_code == 1 and "Error:" in wrong.stderr
    assert "Traceback" not in wrong.stdout + wrong.stderr
