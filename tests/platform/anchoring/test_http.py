"""The anchoring HTTP API over real HTTP (uvicorn on loopback), with the worker anchoring
on a real chain, and RFC 9457 problems for every bad request."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import httpx
import pytest

from govchain.chain.accounts import AccountStore
from govchain.chain.backends import ChainBackend, GanacheBackend
from govchain.chain.deployment import DeploymentStore
from govchain.chain.ganache import GanacheProcess
from govchain.chain.types import Role
from govchain.platform.anchoring._wiring import connect_chain, open_service
from govchain.platform.anchoring.receipts import load_receipt, verify_receipt
from govchain.platform.app import create_app
from govchain.platform.settings import PlatformSettings
from govchain.settings import PLACEHOLDER_PASSPHRASE
from tests._server import ServedApp
from tests.conftest import World, free_port

NS = "opendata.soest"


class Server(ServedApp):
    """The platform app, served on its configured loopback port."""

    def __init__(self, settings: PlatformSettings) -> None:
        super().__init__(create_app(settings), settings.platform_port, timeout=30)


pytestmark = pytest.mark.ganache


@pytest.fixture
def backend(ganache: GanacheProcess) -> ChainBackend:
    """The platform app reaches its chain over JSON-RPC: these tests use Ganache only."""
    return GanacheBackend(ganache.url, timeout=10)


@pytest.fixture
def settings(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlatformSettings:
    """Platform settings whose chain and deployment are the world's."""
    data = tmp_path / "data"
    DeploymentStore(data / "chain").save(world.d.record)
    account = AccountStore(data / "chain" / "keys", PLACEHOLDER_PASSPHRASE).get_or_create(
        "anchoring-service"
    )
    world.gateway.fund(account.address, 10**20)
    world.d.consortium.decide(
        world.aachen,
        world.cities[1:],
        world.d.anchors.grant_role_call(Role.ANCHORER, account.address),
    )
    for name, value in {
        "GOVCHAIN_DATA_DIR": str(data),
        "GOVCHAIN_CHAIN_BACKEND": "ganache",
        "GOVCHAIN_RPC_URL": world.gateway.url,
        "GOVCHAIN_PLATFORM_PORT": str(free_port()),
        "GOVCHAIN_ANCHORING_INTERVAL_SECONDS": "0.2",
        "GOVCHAIN_ANCHORING_BATCH_SIZE": "50",
    }.items():
        monkeypatch.setenv(name, value)
    return PlatformSettings()


def _add_namespace(settings: PlatformSettings) -> None:
    service = open_service(settings, connect_chain(settings))
    service.add_namespace(NS)
    service.close()


def wait_for_receipt(client: httpx.Client, rid: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = client.get(f"/anchoring/v1/receipts/{rid}")
        if response.status_code == 200:
            return response
        assert response.status_code == 202
        time.sleep(0.1)
    raise AssertionError(f"{rid} was not anchored in time")


def test_submit_over_http_and_get_a_verifiable_receipt(
    settings: PlatformSettings, world: World
) -> None:
    _add_namespace(settings)
    documents = [f"Datensatz {n}".encode() for n in range(120)]
    hashes = [hashlib.sha256(d).hexdigest() for d in documents]
    with Server(settings) as client:
        response = client.post(
            f"/anchoring/v1/namespaces/{NS}/hashes", json={"hashes": hashes[:100]}
        )
        assert response.status_code == 202
        ids = response.json()["receipt_ids"]
        raw = b"".join(bytes.fromhex(h) for h in hashes[100:])
        binary = client.post(
            f"/anchoring/v1/namespaces/{NS}/hashes:binary",
            content=raw,
            headers={"content-type": "application/octet-stream"},
        )
        assert binary.status_code == 202
        ids += binary.json()["receipt_ids"]
        assert ids[-1] == f"{NS}:119"
        for n in (0, 57, 119):
            receipt = load_receipt(wait_for_receipt(client, ids[n]).text)
            assert verify_receipt(receipt, document=documents[n], gateway=world.gateway).ok
        status = client.get("/anchoring/v1/status").json()
        assert status["chain_reachable"] is True
        mine = next(n for n in status["namespaces"] if n["namespace"] == NS)
        assert mine["size"] == 120


def test_bad_requests_get_precise_problems(settings: PlatformSettings) -> None:
    _add_namespace(settings)
    with Server(settings) as client:
        cases = [
            (f"/anchoring/v1/namespaces/{NS}/hashes", {"hashes": ["abc"]}, 400, "malformed-hash"),
            (
                f"/anchoring/v1/namespaces/{NS}/hashes",
                {"hashes": ["zz" * 32]},
                400,
                "malformed-hash",
            ),
            (f"/anchoring/v1/namespaces/{NS}/hashes", {"hashes": []}, 422, "invalid-request"),
            (f"/anchoring/v1/namespaces/{NS}/hashes", {"hash": "00" * 32}, 422, "invalid-request"),
            (
                "/anchoring/v1/namespaces/archive.nowhere/hashes",
                {"hashes": ["00" * 32]},
                404,
                "unknown-namespace",
            ),
        ]
        for path, body, status, code in cases:
            response = client.post(path, json=body)
            assert response.status_code == status, (body, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["type"].endswith(code) and problem["status"] == status
            assert problem["detail"] and problem["detail_de"]
        odd = client.post(f"/anchoring/v1/namespaces/{NS}/hashes:binary", content=b"\x00" * 33)
        assert odd.status_code == 400 and "multiple of 32" in odd.json()["detail"]
        missing = client.get(f"/anchoring/v1/receipts/{NS}:999")
        assert missing.status_code == 404 and missing.json()["type"].endswith("receipt-not-found")
        # Nothing of the refused requests was accepted.
        namespaces = client.get("/anchoring/v1/status").json()["namespaces"]
        assert next(n for n in namespaces if n["namespace"] == NS)["size"] == 0


def test_status_reports_the_backlog_while_the_chain_is_away(
    settings: PlatformSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_namespace(settings)
    monkeypatch.setenv("GOVCHAIN_RPC_URL", f"http://127.0.0.1:{free_port()}")  # nobody there
    away = PlatformSettings()
    with Server(away) as client:
        response = client.post(
            f"/anchoring/v1/namespaces/{NS}/hashes", json={"hashes": ["ab" * 32, "cd" * 32]}
        )
        assert response.status_code == 202  # still accepted
        deadline = time.monotonic() + 10
        while client.get("/anchoring/v1/status").json()["last_error"] is None:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        status = client.get("/anchoring/v1/status").json()
        assert status["chain_reachable"] is False
        assert "not reachable" in status["last_error"]
        assert status["backlog"] == 2
        pending = client.get(f"/anchoring/v1/receipts/{NS}:1")
        assert pending.status_code == 202 and pending.json()["status"] == "pending"
