"""OID4VCI over real HTTP without a chain: metadata, offers, and every refusal the spec
names, each with its error code (and nothing half-written)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from govchain.credentials import _samples
from govchain.credentials._encoding import b64url_decode, b64url_encode
from govchain.credentials.holder import stored_claims
from govchain.credentials.jose import parse_compact_jws
from govchain.credentials.keys import SigningKey
from govchain.credentials.sd_jwt import split_sd_jwt
from govchain.issuer.schemas import PRE_AUTHORIZED_GRANT
from tests.issuer.conftest import OFFICIAL, Issuing, Wallet, oauth_error

MUSIC = "street_music_permit_sd_jwt"


def music_claims() -> dict[str, Any]:
    return _samples.street_music_permit(date.today()).model_dump(mode="json")


def redeemed(offline: Issuing, *, tx_code: str | None = None) -> tuple[Wallet, str]:
    wallet = Wallet(offline.client)
    created = offline.offer(music_claims(), ctype=MUSIC, tx_code=tx_code)
    code = wallet.code_of(wallet.resolve(created["offer_uri"]))
    return wallet, wallet.token(code, tx_code)


def request_body(proofs: list[str], cid: str = MUSIC) -> dict[str, Any]:
    return {"credential_configuration_id": cid, "proofs": {"jwt": proofs}}


def now(offline: Issuing) -> int:
    return int(offline.clock())


# --- metadata ---------------------------------------------------------------------------


def test_issuer_metadata_lists_one_sd_jwt_configuration_per_type(offline: Issuing) -> None:
    meta = offline.client.get("/.well-known/openid-credential-issuer").json()
    assert meta["credential_issuer"] == offline.issuer
    assert meta["credential_endpoint"] == f"{offline.issuer}/credential"
    assert meta["nonce_endpoint"] == f"{offline.issuer}/nonce"
    configs = meta["credential_configurations_supported"]
    assert set(configs) == {
        "citizen_id_sd_jwt",
        "dangerous_dog_permit_sd_jwt",
        "landlord_confirmation_sd_jwt",
        MUSIC,
    }
    music = configs[MUSIC]
    assert music["format"] == "dc+sd-jwt"
    assert music["vct"] == "https://vct.govchain.de/strassenmusik/v1"
    assert music["cryptographic_binding_methods_supported"] == ["jwk"]
    assert music["credential_signing_alg_values_supported"] == ["ES256"]
    assert music["proof_types_supported"] == {
        "jwt": {"proof_signing_alg_values_supported": ["ES256"]}
    }
    display = {d["locale"]: d["name"] for d in music["credential_metadata"]["display"]}
    assert display == {"de-DE": "Erlaubnis für Straßenmusik", "en-US": display["en-US"]}
    assert display["en-US"]


def test_authorization_server_metadata_offers_the_pre_authorized_grant(offline: Issuing) -> None:
    meta = offline.client.get("/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == offline.issuer
    assert meta["token_endpoint"] == f"{offline.issuer}/token"
    assert meta["grant_types_supported"] == [PRE_AUTHORIZED_GRANT]
    assert meta["pre-authorized_grant_anonymous_access_supported"] is True


# --- offers -----------------------------------------------------------------------------


def test_the_tx_code_is_never_inside_the_offer(offline: Issuing) -> None:
    for by_reference in (False, True):
        created = offline.offer(
            music_claims(), ctype=MUSIC, tx_code="493817", by_reference=by_reference
        )
        assert created["tx_code"] == "493817"
        assert "493817" not in created["offer_uri"]
        offer = Wallet(offline.client).resolve(created["offer_uri"])
        assert "493817" not in str(offer)
        grant = offer["grants"][PRE_AUTHORIZED_GRANT]
        assert grant["tx_code"]["length"] == 6
        assert grant["tx_code"]["input_mode"] == "numeric"
        assert offer["credential_configuration_ids"] == [MUSIC]
        assert offer["credential_issuer"] == offline.issuer


def test_offer_by_reference_and_its_german_page(offline: Issuing) -> None:
    created = offline.offer(music_claims(), ctype=MUSIC, by_reference=True)
    query = parse_qs(urlsplit(created["offer_uri"]).query)
    assert set(query) == {"credential_offer_uri"}
    page = httpx.get(created["page_url"], timeout=30)
    assert page.status_code == 200
    assert "Erlaubnis für Straßenmusik" in page.text and "<svg" in page.text
    assert page.headers["cache-control"] == "no-store"
    gone = httpx.get(created["page_url"].replace("angebote/", "angebote/x"), timeout=30)
    assert gone.status_code == 404 and "Nachweisangebot" in gone.text


def test_offers_need_an_official(offline: Issuing) -> None:
    body = {"credential_type": MUSIC, "claims": music_claims()}
    response = offline.client.post("/issuer/v1/offers", json=body)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/not-authenticated")
    bad = offline.client.post(
        "/issuer/v1/offers", json=body, headers={"X-Govchain-Dev-Official": "nobody"}
    )
    assert bad.status_code == 400


def test_offer_bodies_that_are_not_json_or_too_large_are_refused(offline: Issuing) -> None:
    headers = {**OFFICIAL, "content-type": "application/json"}
    broken = offline.client.post("/issuer/v1/offers", content=b"{not json", headers=headers)
    assert broken.status_code == 422, broken.text
    assert broken.json()["type"].endswith("/invalid-request")
    assert "ungültig bei body" in broken.json()["detail_de"]
    huge = {"credential_type": MUSIC, "claims": {"x": "a" * 300_000}}
    too_large = offline.client.post("/issuer/v1/offers", json=huge, headers=OFFICIAL)
    assert too_large.status_code == 413, too_large.text
    assert too_large.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"credential_type": "passport", "claims": {}}, "invalid-offer"),
        ({"credential_type": MUSIC, "claims": {"permit_number": "x"}}, "invalid-offer"),
        ({"credential_type": MUSIC, "claims": {}, "tx_code": "12"}, "invalid-request"),
        ({"claims": {}}, "invalid-request"),
    ],
)
def test_invalid_offers_are_refused_with_problems(
    offline: Issuing, body: dict[str, Any], problem: str
) -> None:
    response = offline.client.post("/issuer/v1/offers", json=body, headers=OFFICIAL)
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith(f"/{problem}")
    assert response.json()["detail_de"]


def test_invalid_claims_list_every_problem(offline: Issuing) -> None:
    claims = music_claims() | {"group_size": 0, "permit_number": ""}
    response = offline.client.post(
        "/issuer/v1/offers", json={"credential_type": MUSIC, "claims": claims}, headers=OFFICIAL
    )
    assert response.status_code == 422
    assert len(response.json()["problems"]) >= 2


# --- token endpoint ---------------------------------------------------------------------


def test_a_pre_authorized_code_works_once(offline: Issuing) -> None:
    wallet = Wallet(offline.client)
    code = wallet.code_of(wallet.resolve(offline.offer(music_claims(), ctype=MUSIC)["offer_uri"]))
    first = wallet.token_response(code)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    assert first.json()["token_type"] == "Bearer"
    oauth_error(wallet.token_response(code), 400, "invalid_grant")


def test_unknown_code_and_unknown_grant_type(offline: Issuing) -> None:
    wallet = Wallet(offline.client)
    oauth_error(wallet.token_response("no-such-code"), 400, "invalid_grant")
    response = offline.client.post(
        "/token", data={"grant_type": "authorization_code", "code": "abc"}
    )
    oauth_error(response, 400, "unsupported_grant_type")
    oauth_error(offline.client.post("/token", data={}), 400, "invalid_request")


def test_tx_code_wrong_missing_and_unexpected(offline: Issuing) -> None:
    wallet = Wallet(offline.client)
    created = offline.offer(music_claims(), ctype=MUSIC, tx_code="2468")
    code = wallet.code_of(wallet.resolve(created["offer_uri"]))
    oauth_error(wallet.token_response(code, "1357"), 400, "invalid_grant")
    # OID4VCI 1.0, 6.3: a missing tx_code the offer requires is invalid_request.
    oauth_error(wallet.token_response(code), 400, "invalid_request")
    assert wallet.token_response(code, "2468").status_code == 200
    plain = offline.offer(music_claims(), ctype=MUSIC)
    plain_code = wallet.code_of(wallet.resolve(plain["offer_uri"]))
    oauth_error(wallet.token_response(plain_code, "1234"), 400, "invalid_request")


def test_too_many_wrong_tx_codes_block_the_offer(offline: Issuing) -> None:
    wallet = Wallet(offline.client)
    created = offline.offer(music_claims(), ctype=MUSIC, tx_code="2468")
    code = wallet.code_of(wallet.resolve(created["offer_uri"]))
    for _ in range(offline.settings.issuer_tx_code_max_attempts):
        oauth_error(wallet.token_response(code, "0000"), 400, "invalid_grant")
    oauth_error(wallet.token_response(code, "2468"), 400, "invalid_grant")


def test_an_expired_code_is_refused(offline: Issuing) -> None:
    wallet = Wallet(offline.client)
    code = wallet.code_of(wallet.resolve(offline.offer(music_claims(), ctype=MUSIC)["offer_uri"]))
    offline.clock.offset += offline.settings.issuer_offer_ttl_seconds + 1
    try:
        body = oauth_error(wallet.token_response(code), 400, "invalid_grant")
        assert "abgelaufen" in body["detail_de"]
    finally:
        offline.clock.offset = 0


# --- credential endpoint ----------------------------------------------------------------


def test_missing_and_invalid_access_tokens(offline: Issuing) -> None:
    wallet = Wallet(offline.client)
    proof = wallet.proof(wallet.nonce(), offline.issuer, now(offline))
    missing = wallet.credential_response(None, request_body([proof]))
    oauth_error(missing, 401, "invalid_token")
    assert missing.headers["www-authenticate"] == 'Bearer realm="govchain-issuer"'
    wrong = wallet.credential_response("not-a-token", request_body([proof]))
    oauth_error(wrong, 401, "invalid_token")
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]


def test_the_full_offline_flow_and_a_used_token(offline: Issuing) -> None:
    wallet, token = redeemed(offline, tx_code="8080")
    proof = wallet.proof(wallet.nonce(), offline.issuer, now(offline))
    response = wallet.credential_response(token, request_body([proof]))
    assert response.status_code == 200, response.text
    [item] = response.json()["credentials"]
    issued = parse_compact_jws(split_sd_jwt(item["credential"]).issuer_jwt)
    assert issued.header["typ"] == "dc+sd-jwt"
    assert issued.payload["cnf"]["jwk"] == wallet.key.public_key.jwk
    assert issued.payload["status"]["status_list"]["uri"] == offline.settings.issuer_status_list_uri
    assert stored_claims(item["credential"])["performers"] == ["Lena Klang", "Mehmet Saite"]
    again = wallet.proof(wallet.nonce(), offline.issuer, now(offline))
    oauth_error(wallet.credential_response(token, request_body([again])), 401, "invalid_token")


def test_wrong_or_reused_nonce_is_invalid_nonce_and_consumes_nothing(offline: Issuing) -> None:
    wallet, token = redeemed(offline)
    bad = wallet.proof("made-up-nonce", offline.issuer, now(offline))
    oauth_error(wallet.credential_response(token, request_body([bad])), 400, "invalid_nonce")
    nonce = wallet.nonce()
    good = wallet.proof(nonce, offline.issuer, now(offline))
    assert wallet.credential_response(token, request_body([good])).status_code == 200
    # the same nonce in another wallet's request is a replay
    other, other_token = redeemed(offline)
    replay = other.proof(nonce, offline.issuer, now(offline))
    oauth_error(
        other.credential_response(other_token, request_body([replay])), 400, "invalid_nonce"
    )


def test_expired_altered_and_forged_nonces_are_invalid_nonce(offline: Issuing) -> None:
    """The c_nonce is stateless (expiry and 16 random bytes, MAC'd with the issuer's
    key): an expired one, one whose expiry was pushed out, one with a forged MAC and a
    second spelling of a good one are refused, and consume neither token nor nonce."""
    wallet, token = redeemed(offline)
    aud, ttl = offline.issuer, offline.settings.issuer_nonce_ttl_seconds
    offline.clock.offset = -(ttl + 5)
    try:
        expired = wallet.nonce()  # made ttl + 5 seconds ago
    finally:
        offline.clock.offset = 0
    nonce = wallet.nonce()
    raw = b64url_decode(nonce)
    pushed = (int.from_bytes(raw[:8], "big") + 3600).to_bytes(8, "big") + raw[8:]
    forged = raw[:-1] + bytes([raw[-1] ^ 1])
    for bad in (expired, b64url_encode(pushed), b64url_encode(forged), nonce + "="):
        proof = wallet.proof(bad, aud, now(offline))
        oauth_error(wallet.credential_response(token, request_body([proof])), 400, "invalid_nonce")
    good = wallet.proof(nonce, aud, now(offline))
    assert wallet.credential_response(token, request_body([good])).status_code == 200


@pytest.mark.parametrize(
    "case", ["stale", "future", "foreign_audience", "bad_signature", "typ", "no_nonce", "kid"]
)
def test_bad_proofs_are_invalid_proof(offline: Issuing, case: str) -> None:
    wallet, token = redeemed(offline)
    nonce, t, aud = wallet.nonce(), now(offline), offline.issuer
    proof = {
        "stale": lambda: wallet.proof(nonce, aud, t - 3600),
        "future": lambda: wallet.proof(nonce, aud, t + 3600),
        "foreign_audience": lambda: wallet.proof(nonce, "https://evil.example", t),
        "bad_signature": lambda: wallet.proof(nonce, aud, t, key=SigningKey.generate()),
        "typ": lambda: wallet.proof(nonce, aud, t, header={"typ": "JWT"}),
        "no_nonce": lambda: wallet.proof(None, aud, t),
        "kid": lambda: wallet.proof(nonce, aud, t, header={"kid": "did:example:1#0"}),
    }[case]()
    oauth_error(wallet.credential_response(token, request_body([proof])), 400, "invalid_proof")
    # nothing was consumed: the same token and nonce still work with a good proof
    good = wallet.proof(nonce, aud, t)
    assert wallet.credential_response(token, request_body([good])).status_code == 200


def test_missing_proofs_and_malformed_requests(offline: Issuing) -> None:
    wallet, token = redeemed(offline)
    no_proof = wallet.credential_response(token, {"credential_configuration_id": MUSIC})
    oauth_error(no_proof, 400, "invalid_proof")
    proof = wallet.proof(wallet.nonce(), offline.issuer, now(offline))
    both = request_body([proof]) | {"proof": {"proof_type": "jwt", "jwt": proof}}
    oauth_error(wallet.credential_response(token, both), 400, "invalid_credential_request")
    oauth_error(
        wallet.credential_response(token, {"proofs": {"jwt": [proof]}}),
        400,
        "invalid_credential_request",
    )
    legacy = {"credential_configuration_id": MUSIC, "proof": {"proof_type": "jwt", "jwt": proof}}
    assert wallet.credential_response(token, legacy).status_code == 200


def test_unknown_and_ungranted_credential_configurations(offline: Issuing) -> None:
    wallet, token = redeemed(offline)
    proof = wallet.proof(wallet.nonce(), offline.issuer, now(offline))
    unknown = wallet.credential_response(token, request_body([proof], "passport_sd_jwt"))
    oauth_error(unknown, 400, "unknown_credential_configuration")
    other = wallet.credential_response(token, request_body([proof], "citizen_id_sd_jwt"))
    oauth_error(other, 400, "invalid_credential_request")


def test_a_batch_issues_one_credential_per_key(offline: Issuing) -> None:
    wallet, token = redeemed(offline)
    nonce, t = wallet.nonce(), now(offline)
    keys = [SigningKey.generate() for _ in range(2)]
    proofs = [Wallet(offline.client, key).proof(nonce, offline.issuer, t) for key in keys]
    response = wallet.credential_response(token, request_body(proofs))
    assert response.status_code == 200
    bound = [
        parse_compact_jws(split_sd_jwt(c["credential"]).issuer_jwt).payload["cnf"]["jwk"]
        for c in response.json()["credentials"]
    ]
    assert bound == [k.public_key.jwk for k in keys]
    too_many = [wallet.proof(wallet.nonce(), offline.issuer, t)] * 4
    _, token2 = redeemed(offline)
    oauth_error(
        wallet.credential_response(token2, request_body(too_many)),
        400,
        "invalid_credential_request",
    )
