"""Offline mode: with the chain unreachable a field check answers from the signed
snapshot and says how old it is; tampered or too-old snapshots are not used."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from govchain.chain.backends import GanacheBackend
from govchain.chain.clients.status_registry import StatusRegistryClient
from govchain.chain.clients.trust_registry import TrustRegistryClient
from govchain.chain.gateway import ChainGateway
from govchain.chain.types import CredentialStatus
from govchain.credentials import (
    ChainStatusSource,
    ChainTrustSource,
    Outcome,
    _samples,
    present_credential,
)
from govchain.verifier._wiring import open_service
from govchain.verifier.checks import field_check
from govchain.verifier.errors import SnapshotInvalidError
from govchain.verifier.service import VerifierService
from govchain.verifier.settings import VerifierSettings
from tests._cable import Cable
from tests.credentials.conftest import CredWorld
from tests.verifier.conftest import issue, set_status

pytestmark = pytest.mark.ganache

PARAMS = {"zone": "markt"}


def _settings(base: VerifierSettings, tmp_path: Path) -> VerifierSettings:
    return base.model_copy(update={"data_dir": tmp_path, "verifier_offline_fallback": True})


def _live(vw: CredWorld, settings: VerifierSettings) -> VerifierService:
    sources = (
        ChainStatusSource(vw.world.d.status, max_age=0),
        ChainTrustSource(vw.world.d.trust, max_age=0),
    )
    return open_service(settings, sources=sources, clock=vw.now)


def _unreachable(vw: CredWorld, settings: VerifierSettings, now: int) -> VerifierService:
    """The same verifier whose node goes away after it started (the cable is pulled)."""
    node = urlsplit(vw.gateway.url)
    assert node.hostname is not None and node.port is not None
    cable = Cable(node.hostname, node.port)
    gateway = ChainGateway(GanacheBackend(cable.url, timeout=1))
    sources = (
        ChainStatusSource(StatusRegistryClient(gateway, vw.world.d.status.address), max_age=0),
        ChainTrustSource(TrustRegistryClient(gateway, vw.world.d.trust.address), max_age=0),
    )
    service = open_service(settings, sources=sources, clock=lambda: now)
    cable.pull()
    return service


def _check(service: VerifierService, vw: CredWorld, serialized: str, now: int) -> str:
    created = service.create_request("strassenmusik", PARAMS)
    row = service.store.by_id(created.request_id)
    assert row is not None
    check = field_check("strassenmusik")
    shown = present_credential(
        serialized,
        disclose=list(check.claims(check.params(PARAMS))),
        holder_key=vw.holder,
        nonce=row.nonce,
        audience=service.client_id,
        issued_at=now,
    )
    return service.receive_response(row.state, json.dumps({"strassenmusik": [shown]}))


def test_offline_check_answers_from_the_snapshot_and_shows_its_age(
    vw: CredWorld, verifier_settings: VerifierSettings, tmp_path: Path
) -> None:
    settings = _settings(verifier_settings, tmp_path)
    permit = issue(vw, _samples.street_music_permit(vw.today()))
    live = _live(vw, settings)
    online = live.get(_check(live, vw, permit.serialized, vw.now()))
    assert online.result is not None and online.result.outcome is Outcome.VALID
    assert online.offline_as_of is None
    live.export_snapshot()
    live.store.close()
    # a revocation after the snapshot: the inherent limit, offline still shows valid
    set_status(vw, permit, CredentialStatus.REVOKED)

    later = vw.now() + 25 * 60
    offline = _unreachable(vw, settings, later)
    stored = offline.get(_check(offline, vw, permit.serialized, later))
    assert stored.result is not None and stored.result.outcome is Outcome.VALID
    assert stored.offline_note_de is not None
    assert stored.offline_note_de.startswith("Offline geprüft mit Stand vom ")
    assert stored.offline_note_de.endswith("(vor 25 Minuten)")
    offline.store.close()


def test_a_too_old_snapshot_gives_cannot_verify(
    vw: CredWorld, verifier_settings: VerifierSettings, tmp_path: Path
) -> None:
    settings = _settings(verifier_settings, tmp_path)
    permit = issue(vw, _samples.street_music_permit(vw.today()))
    live = _live(vw, settings)
    _check(live, vw, permit.serialized, vw.now())
    live.export_snapshot()
    live.store.close()
    later = vw.now() + settings.verifier_offline_max_age_seconds + 60
    offline = _unreachable(vw, settings, later)
    stored = offline.get(_check(offline, vw, permit.serialized, later))
    assert stored.result is not None and stored.result.outcome is Outcome.CANNOT_VERIFY
    assert stored.offline_as_of is None
    offline.store.close()


def test_a_tampered_snapshot_is_refused(
    vw: CredWorld, verifier_settings: VerifierSettings, tmp_path: Path
) -> None:
    settings = _settings(verifier_settings, tmp_path)
    permit = issue(vw, _samples.street_music_permit(vw.today()))
    live = _live(vw, settings)
    _check(live, vw, permit.serialized, vw.now())
    token = live.export_snapshot()
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    with pytest.raises(SnapshotInvalidError):
        live.install_snapshot(forged)
    live.store.close()
    settings.snapshot_path.write_text(forged)  # tampered on disk: not loaded
    offline = _unreachable(vw, settings, vw.now())
    stored = offline.get(_check(offline, vw, permit.serialized, vw.now()))
    assert stored.result is not None and stored.result.outcome is Outcome.CANNOT_VERIFY
    offline.store.close()
