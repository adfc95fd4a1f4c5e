"""The archive in the platform app over real HTTP (uvicorn on loopback) with the anchoring
and archive workers on a real Ganache chain: handover, evidence, verification, release,
RFC 9457 problems for bad requests, and the auditor's page in headless Chromium."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from govchain.chain.accounts import AccountStore
from govchain.chain.backends import ChainBackend, GanacheBackend
from govchain.chain.deployment import DeploymentStore
from govchain.chain.ganache import GanacheProcess
from govchain.chain.types import Role
from govchain.platform.app import create_app
from govchain.platform.archive.evidence import load_evidence_record
from govchain.platform.settings import PlatformSettings
from govchain.settings import PLACEHOLDER_PASSPHRASE
from tests._server import ServedApp
from tests.conftest import World, free_port
from tests.platform.archive.conftest import INFO, PAYLOAD, make_bag, zip_bag

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Server(ServedApp):
    """The platform app, served on its configured loopback port."""

    def __init__(self, settings: PlatformSettings) -> None:
        super().__init__(create_app(settings), settings.platform_port, timeout=60)


def _environment(monkeypatch: pytest.MonkeyPatch, data: Path, rpc_url: str | None) -> None:
    values = {
        "GOVCHAIN_DATA_DIR": str(data),
        "GOVCHAIN_CHAIN_BACKEND": "ganache",
        "GOVCHAIN_PLATFORM_PORT": str(free_port()),
        "GOVCHAIN_ANCHORING_INTERVAL_SECONDS": "0.2",
        "GOVCHAIN_ANCHORING_BATCH_SIZE": "50",
        "GOVCHAIN_ARCHIVE_CITY": "aachen",
        "GOVCHAIN_ARCHIVE_WORKER_INTERVAL_SECONDS": "0.2",
    }
    if rpc_url is not None:
        values["GOVCHAIN_RPC_URL"] = rpc_url
    else:
        values["GOVCHAIN_GANACHE_PORT"] = str(free_port())  # nothing listens: no chain
    for name, value in values.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def backend(ganache: GanacheProcess) -> ChainBackend:
    """The platform app reaches its chain over JSON-RPC: Ganache."""
    return GanacheBackend(ganache.url, timeout=10)


@pytest.fixture
def settings(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlatformSettings:
    """Platform settings on the world's Ganache deployment; the service account may anchor."""
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
    _environment(monkeypatch, data, world.gateway.url)
    return PlatformSettings()


def _wait_for(client: httpx.Client, aip_id: str, state: str) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        detail = client.get(f"/archive/v1/aips/{aip_id}").json()
        if detail["aip"]["state"] == state:
            return detail  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"{aip_id} did not become {state}: {detail}")


def _artifacts(tmp_path: Path) -> Path:
    where = Path(os.environ.get("GOVCHAIN_TEST_ARTIFACTS") or tmp_path / "artifacts")
    where.mkdir(parents=True, exist_ok=True)
    return where


def _chromium(*args: str, profile: Path) -> str:
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=390,844",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.ganache
def test_handover_evidence_release_and_the_auditors_page(
    settings: PlatformSettings, world: World, tmp_path: Path
) -> None:
    protected_zip = zip_bag(make_bag(tmp_path, name="protected"))
    opened_bag = make_bag(tmp_path, info={**INFO, "Protection-End": "2020-12-31"}, name="opened")
    with Server(settings) as client:
        created = client.post(
            "/archive/v1/sips", content=protected_zip, headers={"content-type": "application/zip"}
        )
        assert created.status_code == 201, created.text
        protected = created.json()["aip_id"]
        assert created.json()["state"] == "stored"
        form = client.post(
            "/archive/v1/sips",
            files={"bag": ("opened.zip", zip_bag(opened_bag), "application/zip")},
        )
        assert form.status_code == 201, form.text
        opened = form.json()["aip_id"]

        detail = _wait_for(client, protected, "preserved")
        _wait_for(client, opened, "released")
        files = {f["path"]: f for f in detail["files"]}  # type: ignore[attr-defined]
        assert len(files["content/data/Bescheid.txt"]["sha512"]) == 128

        _check_evidence_api(client, protected, opened)
        _check_events_and_public_access(client, protected, opened)
        _check_auditors_page(client, protected, opened, tmp_path)


def _check_evidence_api(client: httpx.Client, protected: str, opened: str) -> None:
    response = client.get(f"/archive/v1/aips/{protected}/evidence-record")
    assert response.status_code == 200
    record = load_evidence_record(response.text)
    verified = client.post(
        f"/archive/v1/aips/{protected}/evidence-record/verify", content=response.text
    )
    assert verified.status_code == 200 and verified.json()["ok"] is True
    document = json.loads(response.text)
    stamp = document["archiveTimeStampSequence"][0][0]["timeStamp"]
    stamp["anchor"]["block_number"] += 1
    tampered = client.post(
        f"/archive/v1/aips/{protected}/evidence-record/verify", content=json.dumps(document)
    )
    assert tampered.status_code == 200 and tampered.json()["ok"] is False
    assert tampered.json()["failed"] == "time-stamp"
    foreign = client.post(
        f"/archive/v1/aips/{opened}/evidence-record/verify", content=record.to_json()
    )
    assert foreign.json()["ok"] is False  # another AIP's data objects
    unreadable = client.post(
        f"/archive/v1/aips/{protected}/evidence-record/verify", content=b'{"version": 1}'
    )
    assert unreadable.status_code == 400
    assert unreadable.headers["content-type"] == "application/problem+json"
    assert unreadable.json()["type"].endswith("evidence-format")


def _check_events_and_public_access(client: httpx.Client, protected: str, opened: str) -> None:
    events = client.get(f"/archive/v1/aips/{protected}/events").json()
    assert [e["event_type"] for e in events][:2] == ["ingestion", "anchoring"]

    refused = client.get(f"/archive/v1/public/aips/{protected}")
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["type"].endswith("protection-period")
    assert "2054-12-31" in problem["detail"]
    assert "Schutzfrist" in problem["detail_de"] and "31.12.2054" in problem["detail_de"]
    assert (
        client.get(f"/archive/v1/public/aips/{protected}/files/data/Bescheid.txt").status_code
        == 403
    )
    public = client.get(f"/archive/v1/public/aips/{opened}").json()
    url = next(f["url"] for f in public["files"] if f["path"] == "data/Bauantrag.pdf")
    assert client.get(url).content == PAYLOAD["Bauantrag.pdf"]


def _check_auditors_page(client: httpx.Client, protected: str, opened: str, tmp_path: Path) -> None:
    page = client.get(f"/archive/audit/{protected}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for label in (
        '<html lang="de">',
        'name="viewport"',
        "Nachweis bestätigt",
        "Dienststelle",
        "Bauordnungsamt Aachen",
        "Aktenplankennzeichen",
        "Ende der Schutzfrist",
        "31.12.2054",
        "Zeitstempelkette 1 (SHA-256)",
        "Erhaltungsereignisse",
        "content/data/… (geschützt)",
    ):
        assert label in html, label
    assert "<script" not in html
    assert "Bauantrag.pdf" not in html  # payload names stay hidden while protected
    assert "Bauantrag.pdf" in client.get(f"/archive/audit/{opened}").text
    assert protected in client.get("/archive/audit").text
    missing = client.get("/archive/audit/aip-gibt-es-nicht")
    assert missing.status_code == 404 and "Es gibt kein Archivpaket" in missing.text

    url = f"{client.base_url}/archive/audit/{protected}"
    artifacts = _artifacts(tmp_path)
    dom = _chromium("--dump-dom", url, profile=tmp_path / "chromium-dom")
    assert "Nachweis bestätigt" in dom
    assert "Archivzeitstempel 1.1" in dom
    assert "Prüfung des Beweisdatensatzes" in dom
    screenshot = artifacts / "archive-auditor.png"
    _chromium(f"--screenshot={screenshot}", url, profile=tmp_path / "chromium-shot")
    header = screenshot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height) == (390, 844)


@pytest.fixture
def chainless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlatformSettings]:
    """Platform settings without any chain: handovers are still validated and refused."""
    _environment(monkeypatch, tmp_path / "data", None)
    yield PlatformSettings()


def test_bad_handovers_get_precise_problems_and_leave_nothing(
    chainless: PlatformSettings, tmp_path: Path
) -> None:
    good = make_bag(tmp_path, name="good")
    missing = make_bag(tmp_path, name="missing")
    (missing / "data" / "Bescheid.txt").unlink()
    undated = make_bag(tmp_path, info={**INFO, "Protection-End": "demnächst"}, name="undated")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Akte/Bauantrag.pdf", b"%PDF")
    zip_headers = {"content-type": "application/zip"}
    with Server(chainless) as client:
        cases = [
            (b"kein zip", "not-a-bag", "not a ZIP"),
            (buffer.getvalue(), "not-a-bag", "bagit.txt"),
            (zip_bag(missing), "payload-file-missing", "data/Bescheid.txt"),
            (zip_bag(undated), "bag-metadata", "Protection-End"),
        ]
        for body, code, words in cases:
            response = client.post("/archive/v1/sips", content=body, headers=zip_headers)
            assert response.status_code == 400, response.text
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["type"].endswith(code) and words in problem["detail"]
            assert problem["detail_de"] and problem["detail_de"] != problem["detail"]
        no_field = client.post("/archive/v1/sips", files={"akte": ("a.zip", zip_bag(good))})
        assert no_field.status_code == 400 and "'bag'" in no_field.json()["detail"]
        assert client.get("/archive/v1/aips").json() == []
        unknown = client.get("/archive/v1/aips/aip-unbekannt")
        assert unknown.status_code == 404 and unknown.json()["type"].endswith("aip-not-found")
        accepted = client.post("/archive/v1/sips", content=zip_bag(good), headers=zip_headers)
        assert accepted.status_code == 201
        aip_id = accepted.json()["aip_id"]
        pending = client.get(f"/archive/v1/aips/{aip_id}/evidence-record")
        assert pending.status_code == 409 and pending.json()["type"].endswith("evidence-pending")
        page = client.get(f"/archive/audit/{aip_id}").text
        assert "Noch kein verankerter Zeitstempel" in page
    data = Path(chainless.archive_dir)
    assert [p.name for p in (data / "aips").iterdir()] == [aip_id]
    assert list((data / "incoming").iterdir()) == [] and list((data / "staging").iterdir()) == []
