"""Hostile and broken wallet responses: each is refused (HTTP 400, nothing changed) or
answered red with its reason, as OID4VP 1.0 and the check's data minimisation demand."""

from __future__ import annotations

import json

import httpx
import pytest

from govchain.credentials import (
    CheckName,
    Outcome,
    ReasonCode,
    SigningKey,
    VerificationResult,
    _samples,
    disclosable_claims,
)
from govchain.verifier import Pending
from tests.credentials.conftest import CredWorld
from tests.verifier import _wallet
from tests.verifier.conftest import Running, issue

pytestmark = pytest.mark.ganache


def _start(
    server: Running, check: str = "strassenmusik", **params: str
) -> tuple[str, _wallet.AuthorizationRequest]:
    if check == "strassenmusik" and not params:
        params = {"zone": "markt"}
    created = server.client.create_request(check, dict(params))
    return created.request_id, _wallet.fetch_request(server.http, created.openid4vp_uri)


def _permit(vw: CredWorld) -> str:
    return issue(vw, _samples.street_music_permit(vw.today())).serialized


def _result(server: Running, request_id: str) -> VerificationResult:
    result = server.client.result(request_id)
    assert isinstance(result, VerificationResult)
    return result


def _refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith(code)
    assert problem["error"] == "invalid_request"
    assert problem["detail"] and problem["detail_de"]


def test_a_replayed_response_is_refused_and_the_first_result_stands(
    server: Running, vw: CredWorld
) -> None:
    request_id, request = _start(server)
    shown = _wallet.presentation(request, _permit(vw), vw.holder, issued_at=vw.now())
    first = _wallet.post_response(server.http, request, {request.query_id: [shown]})
    assert first.status_code == 200
    replay = _wallet.post_response(server.http, request, {request.query_id: [shown]})
    _refused(replay, "response-replayed")
    assert _result(server, request_id).outcome is Outcome.VALID


def test_a_response_captured_for_another_request_is_red(server: Running, vw: CredWorld) -> None:
    _first_id, first = _start(server)
    second_id, second = _start(server)
    captured = _wallet.presentation(first, _permit(vw), vw.holder, issued_at=vw.now())
    # the attacker sends the first request's presentation under the second's state
    response = _wallet.post_response(server.http, second, {second.query_id: [captured]})
    assert response.status_code == 200
    result = _result(server, second_id)
    assert result.outcome is Outcome.INVALID
    assert result.check(CheckName.HOLDER_BINDING).reason_code is ReasonCode.KB_NONCE_MISMATCH


def test_a_response_with_an_unknown_state_is_refused(server: Running, vw: CredWorld) -> None:
    request_id, request = _start(server)
    shown = _wallet.presentation(request, _permit(vw), vw.holder, issued_at=vw.now())
    _refused(
        _wallet.post_response(server.http, request, {request.query_id: [shown]}, state="forged"),
        "unknown-state",
    )
    no_state = server.http.post(
        request.payload["response_uri"], data={"vp_token": json.dumps({request.query_id: [shown]})}
    )
    _refused(no_state, "unknown-state")
    assert isinstance(server.client.result(request_id), Pending)  # nothing changed


def test_a_presentation_signed_by_another_holder_key_is_red(server: Running, vw: CredWorld) -> None:
    request_id, request = _start(server)
    thief = SigningKey.generate()  # not the key in the credential's cnf
    response = _wallet.answer(server.http, request, _permit(vw), thief, issued_at=vw.now())
    assert response.status_code == 200
    result = _result(server, request_id)
    assert result.outcome is Outcome.INVALID
    assert result.check(CheckName.HOLDER_BINDING).reason_code is ReasonCode.KB_SIGNATURE_INVALID


def test_a_wallet_disclosing_more_is_accepted_but_the_extra_claims_are_dropped(
    server: Running, vw: CredWorld
) -> None:
    request_id, request = _start(server, "hund")
    permit = issue(vw, _samples.dog_permit(vw.today())).serialized
    everything = disclosable_claims(permit)
    assert ("holder", "birth_date") in everything and ("dog", "chip_number") in everything
    response = _wallet.answer(
        server.http, request, permit, vw.holder, issued_at=vw.now(), disclose=everything
    )
    assert response.status_code == 200
    result = _result(server, request_id)
    assert result.outcome is Outcome.VALID, result.reasons
    assert result.claims is not None
    assert result.claims["holder"] == {"given_name": "Erika", "family_name": "Mustermann"}
    assert set(result.claims["dog"]) == {"name", "breed"}  # no chip number, sex, birth year
    assert set(result.claims["insurance"]) == {"valid_until"}  # no insurer, no policy number
    stored = server.http.get(f"/verifier/v1/requests/{request_id}/result").text
    for secret in ("1985-08-12", _samples.CHIP, "HP-7781-22", "Rheinische"):
        assert secret not in stored


def test_a_wallet_disclosing_less_than_asked_is_red(server: Running, vw: CredWorld) -> None:
    request_id, request = _start(server)
    fewer = [p for p in request.requested if p != ("performers", None)]
    response = _wallet.answer(
        server.http, request, _permit(vw), vw.holder, issued_at=vw.now(), disclose=fewer
    )
    assert response.status_code == 200
    result = _result(server, request_id)
    assert result.outcome is Outcome.INVALID
    policy = result.check(CheckName.TYPE_POLICY)
    assert policy.reason_code is ReasonCode.CLAIM_NOT_DISCLOSED
    assert "performers.*" in policy.message_de


def test_a_wallet_withholding_a_claim_the_policy_needs_is_red(
    server: Running, vw: CredWorld
) -> None:
    request_id, request = _start(server, "hund", chip_number=_samples.CHIP)
    fewer = [p for p in request.requested if p != ("dog", "chip_number")]
    permit = issue(vw, _samples.dog_permit(vw.today())).serialized
    _wallet.answer(server.http, request, permit, vw.holder, issued_at=vw.now(), disclose=fewer)
    result = _result(server, request_id)
    assert result.outcome is Outcome.INVALID
    assert result.check(CheckName.TYPE_POLICY).reason_code is ReasonCode.CLAIM_NOT_DISCLOSED


@pytest.mark.parametrize(
    "vp_token",
    [
        "",
        "not json",
        "[]",
        '{"hund": ["x"]}',
        '{"strassenmusik": "bare-string"}',
        '{"strassenmusik": []}',
        '{"strassenmusik": ["a", "b"]}',
        '{"strassenmusik": ["a"], "hund": ["b"]}',
    ],
)
def test_a_vp_token_not_in_the_dcql_shape_is_refused_and_the_request_stays_open(
    server: Running, vw: CredWorld, vp_token: str
) -> None:
    request_id, request = _start(server)
    _refused(_wallet.post_response(server.http, request, vp_token), "malformed-response")
    assert isinstance(server.client.result(request_id), Pending)
    # the real wallet can still answer
    response = _wallet.answer(server.http, request, _permit(vw), vw.holder, issued_at=vw.now())
    assert response.status_code == 200
    assert _result(server, request_id).outcome is Outcome.VALID


def test_a_tampered_credential_is_red(server: Running, vw: CredWorld) -> None:
    request_id, request = _start(server)
    shown = _wallet.presentation(request, _permit(vw), vw.holder, issued_at=vw.now())
    signature = shown.split("~")[0].rsplit(".", 1)[1]
    middle = len(signature) // 2
    flipped = "B" if signature[middle] == "A" else "A"
    forged = shown.replace(signature, signature[:middle] + flipped + signature[middle + 1 :], 1)
    _wallet.post_response(server.http, request, {request.query_id: [forged]})
    result = _result(server, request_id)
    assert result.outcome is Outcome.INVALID
    assert result.check(CheckName.SIGNATURE).reason_code is ReasonCode.SIGNATURE_INVALID
    assert result.claims is None
