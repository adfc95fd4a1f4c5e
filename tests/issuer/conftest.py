"""The issuer over real HTTP (uvicorn on loopback, real SQLite), and a wallet's side of
OID4VCI written with httpx and govchain.credentials."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from govchain.credentials.jose import sign_compact_jws
from govchain.credentials.keys import SigningKey
from govchain.issuer import IssuerSettings, create_app
from govchain.issuer._proof import PROOF_TYP
from govchain.issuer.schemas import PRE_AUTHORIZED_GRANT
from govchain.platform.anchoring.service import AnchoringService
from tests.conftest import free_port

OFFICIAL = {"X-Govchain-Dev-Official": "ordnungsamt-aachen/erika.beispiel"}
# A well-formed status list URI; the offline tests never read the chain.
OFFLINE_LIST = "https://status.govchain.de/v1/1337/0x5FbDB2315678afecb367f032d93F642f64180aa3/0"


class Clock:
    """Wall-clock (or chain) seconds plus an offset the tests move forward."""

    def __init__(self, base: Callable[[], float] = time.time) -> None:
        self.base = base
        self.offset = 0

    def __call__(self) -> float:
        return self.base() + self.offset


def issuer_settings(data: Path, **overrides: Any) -> IssuerSettings:
    port = free_port()
    values: dict[str, Any] = {
        "data_dir": data,
        "issuer_port": port,
        "issuer_key_scrypt_n": 2**14,
        "issuer_status_list_uri": OFFLINE_LIST,
        "environment": "development",
        **overrides,
    }
    return IssuerSettings(**values)


class Server:
    """An app served by uvicorn on loopback in a thread."""

    def __init__(self, app: FastAPI, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "the issuer did not start"
        self.client = httpx.Client(base_url=self.url, timeout=30)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)


@dataclass
class Issuing:
    """A running issuer: its HTTP client, settings, clock and the app's service."""

    client: httpx.Client
    settings: IssuerSettings
    clock: Clock
    app: FastAPI
    anchoring: AnchoringService | None = None

    @property
    def issuer(self) -> str:
        return self.settings.credential_issuer

    def offer(
        self, claims: dict[str, Any], *, ctype: str, tx_code: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        body = {"credential_type": ctype, "claims": claims, "tx_code": tx_code, **extra}
        response = self.client.post("/issuer/v1/offers", json=body, headers=OFFICIAL)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issuing]:
    """One issuer for a test module, on a fresh data directory, without a chain."""
    settings = issuer_settings(tmp_path_factory.mktemp("issuer") / "data")
    clock = Clock()
    app = create_app(settings, clock=clock)
    with Server(app, settings.issuer_port) as client:
        yield Issuing(client, settings, clock, app)


@dataclass
class Wallet:
    """The holder's side of OID4VCI: resolve an offer, redeem it, prove a key."""

    client: httpx.Client
    key: SigningKey = field(default_factory=SigningKey.generate)

    def resolve(self, offer_uri: str) -> dict[str, Any]:
        parts = urlsplit(offer_uri)
        assert parts.scheme == "openid-credential-offer"
        query = parse_qs(parts.query)
        if "credential_offer" in query:
            offer: dict[str, Any] = json.loads(query["credential_offer"][0])
            return offer
        response = httpx.get(query["credential_offer_uri"][0], timeout=30)
        assert response.status_code == 200, response.text
        resolved: dict[str, Any] = response.json()
        return resolved

    @staticmethod
    def code_of(offer: dict[str, Any]) -> str:
        return str(offer["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"])

    def token_response(self, code: str, tx_code: str | None = None, **form: str) -> httpx.Response:
        data = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, **form}
        if tx_code is not None:
            data["tx_code"] = tx_code
        return self.client.post("/token", data=data)

    def token(self, code: str, tx_code: str | None = None) -> str:
        response = self.token_response(code, tx_code)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def nonce(self) -> str:
        response = self.client.post("/nonce")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        return str(response.json()["c_nonce"])

    def proof(
        self,
        nonce: str | None,
        audience: str,
        iat: int,
        *,
        key: SigningKey | None = None,
        header: dict[str, Any] | None = None,
    ) -> str:
        signer = key or self.key
        payload: dict[str, Any] = {"aud": audience, "iat": iat}
        if nonce is not None:
            payload["nonce"] = nonce
        head = {"typ": PROOF_TYP, "jwk": self.key.public_key.jwk, **(header or {})}
        return sign_compact_jws(head, payload, signer)

    def credential_response(self, token: str | None, body: dict[str, Any]) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return self.client.post("/credential", json=body, headers=headers)


def oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """Assert a spec-conformant protocol error and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert body["error_description"] and body["detail_de"]
    return body
