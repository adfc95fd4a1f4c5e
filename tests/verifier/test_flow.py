"""The whole field check over real HTTP: an official starts a check, a wallet fetches
the signed request by reference, presents with DCQL, and the result comes back green
(or red with its reasons), with only the claims the check needs."""

from __future__ import annotations

from typing import Any

import pytest

from govchain.chain.types import CredentialStatus, LevelOfAssurance
from govchain.credentials import CheckName, Outcome, ReasonCode, VerificationResult, _samples
from govchain.credentials.types import CredentialClaims
from govchain.verifier import Pending, VerifierProblemError
from tests.credentials.conftest import CredWorld
from tests.verifier import _wallet
from tests.verifier.conftest import Running, issue, set_status

pytestmark = pytest.mark.ganache


def _record(vw: CredWorld, check: str) -> CredentialClaims:
    today = vw.today()
    return {
        "strassenmusik": _samples.street_music_permit(today),
        "hund": _samples.dog_permit(today),
        "wohnungsgeber": _samples.landlord_confirmation(today),
        "buergerid": _samples.citizen_id(today, level=LevelOfAssurance.SUBSTANTIAL),
    }[check]


def _check_once(
    server: Running, vw: CredWorld, check: str, params: dict[str, Any], record: CredentialClaims
) -> VerificationResult:
    created = server.client.create_request(check, params)
    request = _wallet.fetch_request(server.http, created.openid4vp_uri)
    response = _wallet.answer(
        server.http, request, issue(vw, record).serialized, vw.holder, issued_at=vw.now()
    )
    assert response.status_code == 200, response.text
    assert response.json() == {}
    result = server.client.result(created.request_id)
    assert isinstance(result, VerificationResult)
    return result


def test_street_music_check_is_green_with_only_the_needed_claims(
    server: Running, vw: CredWorld
) -> None:
    created = server.client.create_request(
        "strassenmusik", {"zone": "markt", "instrument": "Geige"}
    )
    assert created.openid4vp_uri.startswith("openid4vp://?client_id=decentralized_identifier%3A")
    assert created.title_de == "Straßenmusik, Zone markt (Geige)"
    assert isinstance(server.client.result(created.request_id), Pending)

    request = _wallet.fetch_request(server.http, created.openid4vp_uri)  # signature checked
    assert request.header["typ"] == "oauth-authz-req+jwt"
    assert request.payload["response_type"] == "vp_token"
    assert request.payload["response_mode"] == "direct_post"
    assert request.payload["response_uri"] == f"{server.url}/verifier/v1/responses"
    assert request.payload["dcql_query"]["credentials"][0]["meta"] == {
        "vct_values": ["https://vct.govchain.de/strassenmusik/v1"]
    }
    assert ("performers", None) in request.requested

    permit = issue(vw, _samples.street_music_permit(vw.today()))
    response = _wallet.answer(
        server.http, request, permit.serialized, vw.holder, issued_at=vw.now()
    )
    assert response.status_code == 200, response.text

    result = server.client.result(created.request_id)
    assert isinstance(result, VerificationResult)
    assert result.outcome is Outcome.VALID, result.reasons
    assert result.check(CheckName.STATUS).reason_code is ReasonCode.STATUS_VALID
    assert result.check(CheckName.TRUST).reason_code is ReasonCode.ISSUER_TRUSTED
    assert result.claims is not None
    # group size, amplification, office, ... are always in the credential, never shown
    assert set(result.claims) == {
        "permit_number",
        "performers",
        "instruments",
        "zones",
        "date_from",
        "date_to",
        "daily_windows",
    }
    assert result.claims["performers"] == ["Lena Klang", "Mehmet Saite"]


@pytest.mark.parametrize(
    ("check", "params"),
    [
        ("hund", {"chip_number": "276 098 106 543 210"}),
        ("hund", {}),
        ("wohnungsgeber", {}),
        ("buergerid", {"min_level": "substanziell"}),
    ],
)
def test_every_check_is_green_for_a_fitting_credential(
    server: Running, vw: CredWorld, check: str, params: dict[str, Any]
) -> None:
    result = _check_once(server, vw, check, params, _record(vw, check))
    assert result.outcome is Outcome.VALID, result.reasons


def test_the_dog_check_asks_for_the_chip_only_when_one_was_read(
    server: Running, vw: CredWorld
) -> None:
    without = server.client.create_request("hund", {})
    with_chip = server.client.create_request("hund", {"chip_number": _samples.CHIP})
    asked = _wallet.fetch_request(server.http, without.openid4vp_uri).requested
    asked_chip = _wallet.fetch_request(server.http, with_chip.openid4vp_uri).requested
    assert ("dog", "chip_number") not in asked
    assert ("dog", "chip_number") in asked_chip


def test_a_suspended_permit_is_red_with_its_reason(server: Running, vw: CredWorld) -> None:
    created = server.client.create_request("strassenmusik", {"zone": "markt"})
    request = _wallet.fetch_request(server.http, created.openid4vp_uri)
    permit = issue(vw, _samples.street_music_permit(vw.today()))
    set_status(vw, permit, CredentialStatus.SUSPENDED)
    response = _wallet.answer(
        server.http, request, permit.serialized, vw.holder, issued_at=vw.now()
    )
    assert response.status_code == 200
    result = server.client.result(created.request_id)
    assert isinstance(result, VerificationResult)
    assert result.outcome is Outcome.INVALID
    status = result.check(CheckName.STATUS)
    assert status.reason_code is ReasonCode.SUSPENDED
    assert "ausgesetzt" in status.message_de


@pytest.mark.parametrize(
    ("check", "params", "reason"),
    [
        ("strassenmusik", {"zone": "dom"}, ReasonCode.ZONE_NOT_ALLOWED),
        ("hund", {"chip_number": "276098106543211"}, ReasonCode.CHIP_MISMATCH),
        ("buergerid", {"min_level": "hoch"}, ReasonCode.LOA_BELOW_MINIMUM),
    ],
)
def test_the_check_parameters_reach_the_type_policy(
    server: Running, vw: CredWorld, check: str, params: dict[str, Any], reason: ReasonCode
) -> None:
    result = _check_once(server, vw, check, params, _record(vw, check))
    assert result.outcome is Outcome.INVALID
    assert result.check(CheckName.TYPE_POLICY).reason_code is reason


def test_bad_check_requests_are_refused_with_problems(server: Running) -> None:
    cases = [
        ({"check": "fischerei", "params": {}}, 400, "unknown-check"),
        ({"check": "strassenmusik", "params": {}}, 400, "invalid-check-parameters"),
        ({"check": "strassenmusik", "params": {"zone": "Markt!"}}, 400, "invalid-check-parameters"),
        ({"check": "hund", "params": {"colour": "brown"}}, 400, "invalid-check-parameters"),
        (
            {"check": "buergerid", "params": {"min_level": "mittel"}},
            400,
            "invalid-check-parameters",
        ),
        ({"params": {}}, 422, "invalid-request"),
    ]
    for body, status, code in cases:
        response = server.http.post("/verifier/v1/requests", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"].endswith(code)
        assert problem["detail"] and problem["detail_de"]
    with pytest.raises(VerifierProblemError) as caught:
        server.client.create_request("fischerei", {})
    assert caught.value.status == 400 and caught.value.code == "unknown-check"
    missing = server.http.get("/verifier/v1/requests/nope/result")
    assert missing.status_code == 404 and missing.json()["type"].endswith("request-not-found")
    assert server.http.get("/verifier/v1/request-objects/nope").status_code == 404


def test_the_checks_are_listed(server: Running) -> None:
    checks = {c["name"]: c for c in server.http.get("/verifier/v1/checks").json()}
    assert set(checks) == {"strassenmusik", "hund", "wohnungsgeber", "buergerid"}
    assert "zone" in checks["strassenmusik"]["params_schema"]["required"]
