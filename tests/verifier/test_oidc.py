""" "Login mit BürgerID" over real HTTP with an ordinary OIDC client (authlib): the
service redirects the browser, the citizen presents the BürgerID with the test wallet,
the service redeems the code (PKCE) and validates the ID token against the JWKS."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.integrations.base_client.errors import OAuthError  # type: ignore[import-untyped]
from authlib.integrations.httpx_client import OAuth2Client  # type: ignore[import-untyped]
from authlib.jose import JsonWebKey, jwt  # type: ignore[import-untyped]
from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]

from govchain.chain.types import LevelOfAssurance
from govchain.credentials import _samples
from govchain.credentials.types import CredentialClaims
from tests.credentials.conftest import CredWorld
from tests.verifier import _wallet
from tests.verifier.conftest import ARCHIVE_SECRET, Running, issue

pytestmark = pytest.mark.ganache

ARCHIVE = "stadtarchiv"
ARCHIVE_REDIRECT = "http://127.0.0.1:9/stadtarchiv/callback"
KITA = "kita-kompass"
KITA_REDIRECT = "http://127.0.0.1:9/kita/callback"
ACR = {
    LevelOfAssurance.LOW: "urn:govchain:loa:basisregistrierung",
    LevelOfAssurance.SUBSTANTIAL: "urn:govchain:loa:substanziell",
    LevelOfAssurance.HIGH: "urn:govchain:loa:hoch",
}


@pytest.fixture(scope="module")
def metadata(server: Running) -> dict[str, Any]:
    response = server.http.get("/oidc/.well-known/openid-configuration")
    assert response.status_code == 200
    meta: dict[str, Any] = response.json()
    return meta


def _oauth(client_id: str, scope: str = "openid profile") -> OAuth2Client:
    """The service's OIDC client: confidential (client_secret_basic) or public (none)."""
    redirect = ARCHIVE_REDIRECT if client_id == ARCHIVE else KITA_REDIRECT
    return OAuth2Client(
        client_id=client_id,
        client_secret=ARCHIVE_SECRET if client_id == ARCHIVE else None,
        token_endpoint_auth_method="client_secret_basic" if client_id == ARCHIVE else "none",
        scope=scope,
        redirect_uri=redirect,
        code_challenge_method="S256",
    )


@dataclass
class Login:
    oauth: OAuth2Client
    code_verifier: str
    nonce: str
    state: str
    location: str  # where the login page finally sent the browser

    @property
    def params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.location).query).items()}


def _wallet_link(page: str) -> str:
    found = re.search(r'id="wallet" href="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))


def _login(
    server: Running,
    vw: CredWorld,
    meta: dict[str, Any],
    client_id: str,
    record: CredentialClaims,
    *,
    scope: str = "openid profile",
    acr_values: str | None = None,
) -> Login:
    """The browser's round trip: authorize → login page with QR → wallet presents →
    the login page sends the browser back to the service."""
    oauth = _oauth(client_id, scope=scope)
    code_verifier, nonce = generate_token(48), generate_token(20)
    extra = {"acr_values": acr_values} if acr_values else {}
    url, state = oauth.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce, **extra
    )
    with httpx.Client(timeout=30) as browser:
        started = browser.get(url)
        assert started.status_code == 303, started.text
        page_url = started.headers["location"]
        page = browser.get(page_url)
        assert page.status_code == 200
        assert "Login mit BürgerID bei" in page.text
        assert 'http-equiv="refresh"' in page.text
        request = _wallet.fetch_request(server.http, _wallet_link(page.text))
        credential = issue(vw, record).serialized
        answered = _wallet.answer(server.http, request, credential, vw.holder, issued_at=vw.now())
        assert answered.status_code == 200, answered.text
        done = browser.get(page_url)
    if done.status_code == 303:
        location = done.headers["location"]
    else:
        assert done.status_code == 200, done.text
        found = re.search(r'id="zurueck" href="([^"]+)"', done.text)
        assert found, done.text
        location = html.unescape(found.group(1))
    return Login(oauth, code_verifier, nonce, state, location)


def _redeem(login: Login, meta: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    token: dict[str, Any] = login.oauth.fetch_token(
        meta["token_endpoint"],
        authorization_response=login.location,
        code_verifier=kwargs.pop("code_verifier", login.code_verifier),
        **kwargs,
    )
    return token


def _id_token(
    server: Running, vw: CredWorld, meta: dict[str, Any], token: dict[str, Any], login: Login
) -> dict[str, Any]:
    """The ID token, signature checked against the JWKS and claims by OIDC Core rules."""
    keys = JsonWebKey.import_key_set(server.http.get(meta["jwks_uri"]).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": meta["issuer"]}},
        claims_params={"nonce": login.nonce, "client_id": login.oauth.client_id},
    )
    claims.validate(now=vw.now())
    assert claims.header["alg"] == "ES256"
    return dict(claims)


def _citizen(vw: CredWorld, level: LevelOfAssurance, **changes: Any) -> CredentialClaims:
    record = _samples.citizen_id(vw.today(), level=level)
    return record.model_copy(update=changes) if changes else record


def test_discovery_and_jwks_describe_the_provider(
    server: Running, metadata: dict[str, Any]
) -> None:
    assert metadata["issuer"] == f"{server.url}/oidc"
    assert metadata["authorization_endpoint"] == f"{server.url}/oidc/authorize"
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["grant_types_supported"] == ["authorization_code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["subject_types_supported"] == ["pairwise"]
    assert metadata["id_token_signing_alg_values_supported"] == ["ES256"]
    assert metadata["acr_values_supported"] == list(ACR.values())
    assert set(metadata["scopes_supported"]) == {"openid", "profile", "address"}
    keys = server.http.get(metadata["jwks_uri"]).json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "EC" and keys[0]["crv"] == "P-256"
    assert "d" not in keys[0]


def test_a_full_login_gives_a_valid_id_token_and_pairwise_subjects(
    server: Running, vw: CredWorld, metadata: dict[str, Any]
) -> None:
    citizen = _citizen(vw, LevelOfAssurance.SUBSTANTIAL)
    first = _login(server, vw, metadata, ARCHIVE, citizen)
    assert first.location.startswith(ARCHIVE_REDIRECT + "?")
    assert first.params["state"] == first.state
    assert first.params["iss"] == metadata["issuer"]
    token = _redeem(first, metadata)
    assert token["token_type"] == "Bearer"
    claims = _id_token(server, vw, metadata, token, first)
    assert claims["aud"] == ARCHIVE
    assert claims["acr"] == ACR[LevelOfAssurance.SUBSTANTIAL]
    assert claims["amr"] == ["oid4vp"]
    assert claims["nonce"] == first.nonce
    assert claims["auth_time"] <= claims["iat"] < claims["exp"]

    info = first.oauth.get(metadata["userinfo_endpoint"])
    assert info.status_code == 200
    assert info.json() == {
        "sub": claims["sub"],
        "given_name": "Ana",
        "family_name": "Silva",
        "birthdate": "1996-02-03",
    }

    second = _login(server, vw, metadata, ARCHIVE, citizen)
    again = _id_token(server, vw, metadata, _redeem(second, metadata), second)
    assert again["sub"] == claims["sub"]  # stable at one service

    kita = _login(server, vw, metadata, KITA, citizen)  # public client, PKCE only
    at_kita = _id_token(server, vw, metadata, _redeem(kita, metadata), kita)
    assert at_kita["aud"] == KITA
    assert at_kita["sub"] != claims["sub"]  # unlinkable across services

    other = _login(
        server, vw, metadata, ARCHIVE, _citizen(vw, LevelOfAssurance.SUBSTANTIAL, given_name="Bea")
    )
    assert _id_token(server, vw, metadata, _redeem(other, metadata), other)["sub"] != claims["sub"]


def test_a_self_registered_buergerid_with_someone_elses_data_gets_another_sub(
    server: Running, vw: CredWorld, metadata: dict[str, Any]
) -> None:
    """Basisregistrierung checks no identity: a BürgerID enrolled with a victim's name,
    birth date and place must not log in to the account of the victim's checked
    (substanziell) BürgerID. The level is part of the pairwise ``sub``; each level's
    ``sub`` stays stable and pairwise."""
    victim, impostor = LevelOfAssurance.SUBSTANTIAL, LevelOfAssurance.LOW  # same data
    subs: dict[str, str] = {}
    for name, level in (("victim", victim), ("impostor", impostor), ("again", impostor)):
        login = _login(server, vw, metadata, KITA, _citizen(vw, level))  # Kita takes Basis
        claims = _id_token(server, vw, metadata, _redeem(login, metadata), login)
        assert claims["acr"] == ACR[level]
        subs[name] = claims["sub"]
    assert subs["impostor"] != subs["victim"]
    assert subs["again"] == subs["impostor"]  # stable for the same person at one level


def test_scope_address_adds_the_address_and_nothing_else(
    server: Running, vw: CredWorld, metadata: dict[str, Any]
) -> None:
    login = _login(
        server, vw, metadata, KITA, _citizen(vw, LevelOfAssurance.LOW), scope="openid address"
    )
    token = _redeem(login, metadata)
    assert token["scope"] == "openid address"
    claims = _id_token(server, vw, metadata, token, login)
    assert claims["acr"] == ACR[LevelOfAssurance.LOW]  # Kita-Kompass accepts the lowest level
    info = login.oauth.get(metadata["userinfo_endpoint"]).json()
    assert info == {
        "sub": claims["sub"],
        "address": {
            "street_address": "Pontstraße 12",
            "postal_code": "52062",
            "locality": "Aachen",
        },
    }


@pytest.mark.parametrize(
    ("client_id", "level", "acr_values"),
    [
        (ARCHIVE, LevelOfAssurance.LOW, None),  # below the client's registered minimum
        (KITA, LevelOfAssurance.SUBSTANTIAL, ACR[LevelOfAssurance.HIGH]),  # below acr_values
    ],
)
def test_a_too_low_level_ends_with_access_denied(
    server: Running,
    vw: CredWorld,
    metadata: dict[str, Any],
    client_id: str,
    level: LevelOfAssurance,
    acr_values: str | None,
) -> None:
    login = _login(server, vw, metadata, client_id, _citizen(vw, level), acr_values=acr_values)
    assert login.params["error"] == "access_denied"
    assert login.params["state"] == login.state
    assert "code" not in login.params


def test_the_denied_page_explains_in_german(
    server: Running, vw: CredWorld, metadata: dict[str, Any]
) -> None:
    oauth = _oauth(ARCHIVE)
    url, _ = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(48)
    )
    with httpx.Client(timeout=30) as browser:
        page_url = browser.get(url).headers["location"]
        page = browser.get(page_url)
        assert "Digitales Stadtarchiv" in page.text and "substanziell" in page.text
        request = _wallet.fetch_request(server.http, _wallet_link(page.text))
        credential = issue(vw, _citizen(vw, LevelOfAssurance.LOW)).serialized
        _wallet.answer(server.http, request, credential, vw.holder, issued_at=vw.now())
        denied = browser.get(page_url)
    assert denied.status_code == 200
    assert "Anmeldung abgelehnt" in denied.text
    assert "Vertrauensniveau" in denied.text
    assert "error=access_denied" in html.unescape(denied.text)


def test_a_code_is_redeemed_once_and_its_reuse_revokes_the_token(
    server: Running, vw: CredWorld, metadata: dict[str, Any]
) -> None:
    login = _login(server, vw, metadata, ARCHIVE, _citizen(vw, LevelOfAssurance.SUBSTANTIAL))
    _redeem(login, metadata)
    assert login.oauth.get(metadata["userinfo_endpoint"]).status_code == 200
    with pytest.raises(OAuthError) as caught:
        _redeem(login, metadata)
    assert caught.value.error == "invalid_grant"
    revoked = login.oauth.get(metadata["userinfo_endpoint"])
    assert revoked.status_code == 401
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]


def test_a_wrong_pkce_verifier_is_invalid_grant_and_burns_the_code(
    server: Running, vw: CredWorld, metadata: dict[str, Any]
) -> None:
    login = _login(server, vw, metadata, ARCHIVE, _citizen(vw, LevelOfAssurance.SUBSTANTIAL))
    with pytest.raises(OAuthError) as caught:
        _redeem(login, metadata, code_verifier=generate_token(48))
    assert caught.value.error == "invalid_grant"
    with pytest.raises(OAuthError) as again:
        _redeem(login, metadata)  # the right verifier now comes too late
    assert again.value.error == "invalid_grant"


def test_a_code_is_bound_to_its_client_and_redirect_uri(
    server: Running, vw: CredWorld, metadata: dict[str, Any]
) -> None:
    citizen = _citizen(vw, LevelOfAssurance.SUBSTANTIAL)
    stolen = _login(server, vw, metadata, ARCHIVE, citizen)
    thief = _oauth(KITA)
    with pytest.raises(OAuthError) as caught:
        thief.fetch_token(
            metadata["token_endpoint"],
            code=stolen.params["code"],
            code_verifier=stolen.code_verifier,
            redirect_uri=ARCHIVE_REDIRECT,
        )
    assert caught.value.error == "invalid_grant"

    login = _login(server, vw, metadata, ARCHIVE, citizen)
    response = httpx.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": login.params["code"],
            "code_verifier": login.code_verifier,
            "redirect_uri": "http://127.0.0.1:9/elsewhere",
        },
        auth=(ARCHIVE, ARCHIVE_SECRET),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_wrong_client_secret_is_invalid_client(
    server: Running, vw: CredWorld, metadata: dict[str, Any]
) -> None:
    login = _login(server, vw, metadata, ARCHIVE, _citizen(vw, LevelOfAssurance.SUBSTANTIAL))
    login.oauth.client_secret = "not-the-secret"
    with pytest.raises(OAuthError) as caught:
        _redeem(login, metadata)
    assert caught.value.error == "invalid_client"
    bare = httpx.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": login.params["code"],
            "client_id": ARCHIVE,
        },
    )
    assert bare.status_code == 401 and bare.json()["error"] == "invalid_client"
    # the failed attempts did not burn the code: the real service still redeems it
    login.oauth.client_secret = ARCHIVE_SECRET
    assert "id_token" in _redeem(login, metadata)


@pytest.mark.parametrize(
    ("client_id", "redirect_uri"),
    [
        (ARCHIVE, "https://attacker.example/callback"),
        (ARCHIVE, ARCHIVE_REDIRECT + "/../evil"),
        (ARCHIVE, KITA_REDIRECT),  # another client's URI
        ("unbekannt", ARCHIVE_REDIRECT),
        (ARCHIVE, None),
    ],
)
def test_an_unregistered_redirect_uri_or_client_gets_an_error_page_and_no_redirect(
    server: Running, metadata: dict[str, Any], client_id: str, redirect_uri: str | None
) -> None:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "scope": "openid",
        "state": "s1",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    if redirect_uri is not None:
        params["redirect_uri"] = redirect_uri
    response = server.http.get("/oidc/authorize", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Login mit BürgerID" in response.text
    assert "nicht weitergeleitet" in response.text


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
    ],
)
def test_a_faulty_request_from_a_known_client_goes_back_with_an_error(
    server: Running, metadata: dict[str, Any], change: dict[str, str | None], error: str
) -> None:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": ARCHIVE,
        "redirect_uri": ARCHIVE_REDIRECT,
        "scope": "openid",
        "state": "s2",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        **change,
    }
    sent = {k: v for k, v in params.items() if v is not None}
    response = server.http.get("/oidc/authorize", params=sent)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(ARCHIVE_REDIRECT + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == [error] and query["state"] == ["s2"]


def test_repeated_parameters_are_refused(server: Running) -> None:
    base: list[tuple[str, str | int | float | bool | None]] = [
        ("response_type", "code"),
        ("client_id", ARCHIVE),
        ("scope", "openid"),
        ("state", "s3"),
        ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        ("code_challenge_method", "S256"),
    ]
    twice = [*base, ("redirect_uri", ARCHIVE_REDIRECT), ("redirect_uri", KITA_REDIRECT)]
    page = server.http.get("/oidc/authorize", params=twice)
    assert page.status_code == 400 and "location" not in page.headers
    scope_twice = [*base, ("redirect_uri", ARCHIVE_REDIRECT), ("scope", "openid profile")]
    back = server.http.get("/oidc/authorize", params=scope_twice)
    assert back.status_code == 303
    assert parse_qs(urlsplit(back.headers["location"]).query)["error"] == ["invalid_request"]


def test_the_login_check_is_not_offered_to_officials(server: Running) -> None:
    response = server.http.post(
        "/verifier/v1/requests", json={"check": "buergerid-login", "params": {}}
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("unknown-check")


def test_userinfo_without_a_valid_token_is_refused(
    server: Running, metadata: dict[str, Any]
) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = server.http.get(metadata["userinfo_endpoint"], headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
