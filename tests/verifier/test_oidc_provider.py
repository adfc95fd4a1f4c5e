""" "Login mit BürgerID" in process with a controlled clock: codes and access tokens
expire, a login nobody answers ends denied, and the settings refuse unsafe clients."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from govchain.chain.types import LevelOfAssurance
from govchain.credentials import SigningKey, _samples
from govchain.credentials.jose import parse_compact_jws
from govchain.settings import Environment
from govchain.verifier import OidcClient, OidcProvider, VerifierService
from govchain.verifier._oidc_store import LoginPhase, LoginStore
from govchain.verifier._store import RequestStore
from govchain.verifier.errors import InvalidGrantError, InvalidTokenError
from govchain.verifier.settings import VerifierSettings
from tests.credentials.conftest import CredWorld
from tests.verifier import _wallet
from tests.verifier.conftest import issue

pytestmark = pytest.mark.ganache

REDIRECT = "https://dienst.example/callback"
CLIENT = OidcClient(client_id="dienst", name_de="Ein Dienst", redirect_uris=(REDIRECT,))


@dataclass
class World:
    provider: OidcProvider
    now: list[float]


@pytest.fixture
def world(vw: CredWorld, tmp_path: Path) -> Iterator[World]:
    now = [float(vw.now())]
    service = VerifierService(
        store=RequestStore(tmp_path / "v.sqlite3"),
        key=SigningKey.generate(),
        base_url="http://127.0.0.1:1",
        status=vw.status,
        trust=vw.trust,
        clock=lambda: now[0],
        ttl=60,
    )
    provider = OidcProvider(
        verifier=service,
        store=LoginStore(tmp_path / "oidc.sqlite3"),
        clients=(CLIENT,),
        pairwise_secret=secrets.token_bytes(32),
        code_ttl=30,
        token_ttl=120,
        clock=lambda: now[0],
    )
    yield World(provider, now)
    provider.store.close()
    service.store.close()


def _begin(world: World, verifier: str) -> str:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return world.provider.begin(
        {
            "response_type": "code",
            "client_id": CLIENT.client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid profile",
            "state": "st",
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
    )


def _present(world: World, vw: CredWorld, login_id: str) -> None:
    """What the wallet does: the request object by reference, then direct_post."""
    view = world.provider.login(login_id)
    assert view.phase is LoginPhase.PENDING and view.openid4vp_uri is not None
    service = world.provider.verifier
    ref = parse_qs(urlsplit(view.openid4vp_uri).query)["request_uri"][0].rsplit("/", 1)[-1]
    jws = parse_compact_jws(service.request_object(ref))
    request = _wallet.AuthorizationRequest(service.client_id, jws.header, jws.payload)
    record = _samples.citizen_id(vw.today(), level=LevelOfAssurance.SUBSTANTIAL)
    shown = _wallet.presentation(
        request, issue(vw, record).serialized, vw.holder, issued_at=int(world.now[0])
    )
    service.receive_response(request.state, json.dumps({request.query_id: [shown]}))


def _code(world: World, login_id: str) -> str:
    view = world.provider.login(login_id)
    assert view.phase is LoginPhase.CODE_ISSUED and view.redirect_to is not None
    return parse_qs(urlsplit(view.redirect_to).query)["code"][0]


def test_a_code_expires_after_its_short_lifetime(world: World, vw: CredWorld) -> None:
    verifier = secrets.token_urlsafe(48)
    login_id = _begin(world, verifier)
    _present(world, vw, login_id)
    code = _code(world, login_id)
    assert world.provider.login(login_id).redirect_to is None  # the code is shown once
    world.now[0] += 31
    with pytest.raises(InvalidGrantError, match="expired"):
        world.provider.token(
            CLIENT,
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT,
            code_verifier=verifier,
        )


def test_an_access_token_expires(world: World, vw: CredWorld) -> None:
    verifier = secrets.token_urlsafe(48)
    login_id = _begin(world, verifier)
    _present(world, vw, login_id)
    issued = world.provider.token(
        CLIENT,
        grant_type="authorization_code",
        code=_code(world, login_id),
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )
    assert world.provider.userinfo(issued.access_token)["given_name"] == "Ana"
    world.now[0] += 121
    with pytest.raises(InvalidTokenError):
        world.provider.userinfo(issued.access_token)


def test_a_login_nobody_answers_ends_denied(world: World) -> None:
    login_id = _begin(world, secrets.token_urlsafe(48))
    world.now[0] += 61
    view = world.provider.login(login_id)
    assert view.phase is LoginPhase.DENIED
    assert view.denied_de is not None and "Zeit" in view.denied_de
    assert view.redirect_to is not None
    query = parse_qs(urlsplit(view.redirect_to).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st"]


def test_the_settings_refuse_unsafe_clients_and_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="absolute"):
        OidcClient(client_id="x", name_de="X", redirect_uris=("/relative",))
    with pytest.raises(ValidationError, match="hex"):
        OidcClient(client_id="x", name_de="X", redirect_uris=(REDIRECT,), client_secret_sha256="s")
    with pytest.raises(ValidationError, match="twice"):
        VerifierSettings(data_dir=tmp_path, verifier_oidc_clients=(CLIENT, CLIENT))
    with pytest.raises(ValidationError, match="PAIRWISE_SECRET"):
        VerifierSettings(
            data_dir=tmp_path,
            environment=Environment.PRODUCTION,
            keystore_passphrase="a-real-passphrase-for-production",
        )
