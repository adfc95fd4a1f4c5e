"""The service in process (chain status and trust from the same Ganache chain): expiry
with a controlled clock, the encrypted request-signing key, and the DCQL queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govchain.credentials import SigningKey
from govchain.verifier import RequestExpiredError, VerifierService, dcql_query, field_check
from govchain.verifier._store import RequestStore
from govchain.verifier._wiring import verifier_key
from govchain.verifier.settings import VerifierSettings
from tests.credentials.conftest import CredWorld

pytestmark = pytest.mark.ganache


def test_an_expired_request_is_neither_served_nor_answered(vw: CredWorld, tmp_path: Path) -> None:
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
    created = service.create_request("strassenmusik", {"zone": "markt"})
    ref = created.request_uri.rsplit("/", 1)[-1]
    service.request_object(ref)  # fine while open
    row = service.store.by_ref(ref)
    assert row is not None
    now[0] += 61
    with pytest.raises(RequestExpiredError):
        service.request_object(ref)
    token = json.dumps({"strassenmusik": ["x~"]})
    with pytest.raises(RequestExpiredError):
        service.receive_response(row.state, token)
    with pytest.raises(RequestExpiredError):
        service.result(created.request_id)
    assert service.get(created.request_id).phase.value == "expired"
    service.store.close()


def test_the_signing_key_is_kept_encrypted_and_stable(tmp_path: Path) -> None:
    settings = VerifierSettings(data_dir=tmp_path / "data")
    first = verifier_key(settings)
    second = verifier_key(settings)
    assert first.public_key == second.public_key
    files = list((settings.verifier_dir / "keys").glob("*.key.json"))
    assert len(files) == 1
    assert files[0].stat().st_mode & 0o777 == 0o600
    assert '"d"' not in files[0].read_text(encoding="utf-8")


def test_each_check_asks_for_one_sd_jwt_vc_of_its_type() -> None:
    check = field_check("buergerid")
    query = dcql_query(check, check.params({"min_level": "hoch"}))
    assert query == {
        "credentials": [
            {
                "id": "buergerid",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": ["https://vct.govchain.de/buergerid/v1"]},
                "claims": [
                    {"path": ["given_name"]},
                    {"path": ["family_name"]},
                    {"path": ["level_of_assurance"]},
                ],
            }
        ]
    }
