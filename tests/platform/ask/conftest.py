"""The ASK over real HTTP: the platform app under uvicorn on loopback, real SQLite.

One server per session and mode (development, production); tests stay apart by using
tenants of their own, which is itself what the ASK promises.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from govchain.platform.app import create_app
from govchain.platform.settings import PlatformSettings
from tests.conftest import free_port

HEADER = "X-Govchain-Dev-Official"


@dataclass
class Running:
    """A platform app serving on loopback."""

    url: str
    settings: PlatformSettings

    def client(self, identity: str | None = None, **kwargs: Any) -> httpx.Client:
        """An HTTP client, acting as ``identity`` (``tenant/official[/role]``) if given."""
        headers = {HEADER: identity} if identity else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)


@dataclass
class Tenant:
    """A fresh tenant with an official and an archivist."""

    name: str
    server: Running

    @property
    def official(self) -> str:
        return f"{self.name}/anna.schmidt/official"

    @property
    def archivist(self) -> str:
        return f"{self.name}/bernd.archiv/archivist"

    def client(self, archivist: bool = False) -> httpx.Client:
        return self.server.client(self.archivist if archivist else self.official)


def _serve(settings: PlatformSettings) -> Iterator[Running]:
    config = uvicorn.Config(
        create_app(settings, run_worker=False),
        host="127.0.0.1",
        port=settings.platform_port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the platform app did not start")
        time.sleep(0.02)
    try:
        yield Running(f"http://127.0.0.1:{settings.platform_port}", settings)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The platform app in development mode (the development identity is accepted)."""
    settings = PlatformSettings(
        environment="development",
        data_dir=tmp_path_factory.mktemp("ask-dev") / "data",
        platform_port=free_port(),
    )
    yield from _serve(settings)


@pytest.fixture(scope="session")
def prod_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The platform app in production mode (the development identity is refused)."""
    settings = PlatformSettings(
        environment="production",
        data_dir=tmp_path_factory.mktemp("ask-prod") / "data",
        platform_port=free_port(),
        keystore_passphrase="a-real-secret-for-the-production-test",
        ask_csrf_secret="0123456789abcdef0123456789abcdef-test",
    )
    yield from _serve(settings)


@pytest.fixture
def tenant(dev_server: Running) -> Tenant:
    """A tenant no other test uses."""
    return Tenant(f"stadt-{uuid.uuid4().hex[:10]}", dev_server)


@pytest.fixture
def other_tenant(dev_server: Running) -> Tenant:
    """A second tenant, to prove tenants are kept apart."""
    return Tenant(f"amt-{uuid.uuid4().hex[:10]}", dev_server)


def entry(**overrides: Any) -> dict[str, Any]:
    """A valid questionnaire, changed by ``overrides`` (``None`` removes a field)."""
    body: dict[str, Any] = {
        "file_plan_number": "32.10.05",
        "title": "Erlaubnisse für gefährliche Hunde",
        "description": "Anträge, Sachkunde, Zuverlässigkeit, Haftpflichtversicherung (LHundG NRW)",
        "org_unit": "Ordnungsamt, Abteilung 32/1",
        "record_type": "case_file",
        "medium": "hybrid",
        "volume_amount": 2.5,
        "volume_unit": "lfm",
        "first_year": 2003,
        "last_year": None,
        "retention_years": 10,
        "retention_trigger": "closing",
        "legal_basis": "§ 4 LHundG NRW",
        "protection_period_years": 30,
        "contact_name": "Anna Schmidt",
        "contact_email": "anna.schmidt@aachen.example",
        "contact_phone": "+49 241 432-0",
    }
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem with this status and code, in English and German."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"https://govchain.example/problems/{code}", problem
    assert problem["status"] == status
    assert problem["detail"] and problem["detail_de"]
    return problem


def artifacts_dir(tmp_path: Path) -> Path:
    """Where screenshots go: ``$GOVCHAIN_TEST_ARTIFACTS`` if set, else the test's tmp dir."""
    folder = os.environ.get("GOVCHAIN_TEST_ARTIFACTS")
    path = Path(folder) if folder else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path
