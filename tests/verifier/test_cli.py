"""`govchain verifier request` and `govchain verifier result` against the running service."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from govchain.cli import app
from govchain.credentials import _samples
from tests.credentials.conftest import CredWorld
from tests.verifier import _wallet
from tests.verifier.conftest import Running, issue

runner = CliRunner()


def test_request_prints_the_uri_and_result_prints_json(server: Running, vw: CredWorld) -> None:
    started = runner.invoke(
        app,
        [
            "verifier",
            "request",
            "--check",
            "strassenmusik",
            "--param",
            "zone=markt",
            "--url",
            server.url,
        ],
    )
    assert started.exit_code == 0, started.stderr
    uri = started.stdout.strip()
    assert uri.startswith("openid4vp://?client_id=")
    request_id = started.stderr.split("request id:")[1].split()[0]

    pending = runner.invoke(app, ["verifier", "result", request_id, "--url", server.url])
    assert pending.exit_code == 2 and json.loads(pending.stdout)["status"] == "pending"

    request = _wallet.fetch_request(server.http, uri)
    credential = issue(vw, _samples.street_music_permit(vw.today()))
    response = _wallet.answer(
        server.http, request, credential.serialized, vw.holder, issued_at=vw.now()
    )
    assert response.status_code == 200

    done = runner.invoke(app, ["verifier", "result", request_id, "--url", server.url])
    assert done.exit_code == 0, done.stdout
    assert json.loads(done.stdout)["outcome"] == "valid"


def test_bad_input_gives_one_sentence(server: Running) -> None:
    unknown = runner.invoke(app, ["verifier", "request", "--check", "nope", "--url", server.url])
    assert unknown.exit_code == 1 and "Error:" in unknown.stderr
    bad = runner.invoke(
        app,
        ["verifier", "request", "--check", "strassenmusik", "--param", "zone", "--url", server.url],
    )
    assert bad.exit_code == 1 and "KEY=VALUE" in bad.stderr
    away = runner.invoke(app, ["verifier", "result", "x", "--url", "http://127.0.0.1:9"])
    assert away.exit_code == 1 and "Error:" in away.stderr
