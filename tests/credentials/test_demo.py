"""The credentials part of `govchain demo` runs end to end on the embedded chain."""

from __future__ import annotations

import json

from govchain.chain.backends import EmbeddedBackend
from govchain.chain.gateway import ChainGateway, TxResult
from govchain.chain.types import office_id
from govchain.credentials._demo import credentials_demo
from tests.credentials.conftest import build_cred_world


def test_the_demo_issues_presents_suspends_revokes_and_explains() -> None:
    cw = build_cred_world(ChainGateway(EmbeddedBackend()))
    w = cw.world
    office = office_id("NRW", "Aachen", "Ordnungsamt")
    steps: list[tuple[str, str, list[TxResult]]] = []

    summary = credentials_demo(
        w.gateway,
        w.d,
        trust_admin=w.aachen,
        office_admin=w.office_admin,
        office_id=office,
        narrate=lambda title, detail, txs: steps.append((title, detail, txs)),
    )

    json.dumps(summary)  # JSON-able
    assert summary["issuer"]["key_file_mode"] == "0600"
    assert summary["issuer"]["private_key_in_clear_on_disk"] is False
    labels = [c["label"] for c in summary["credentials"]]
    assert len(labels) == 5 and {c["vct"] for c in summary["credentials"]} == {
        "https://vct.govchain.de/wohnungsgeberbestaetigung/v1",
        "https://vct.govchain.de/gefaehrlicher-hund/v1",
        "https://vct.govchain.de/strassenmusik/v1",
        "https://vct.govchain.de/buergerid/v1",
    }
    assert all(c["verification"] == "valid" for c in summary["credentials"])
    assert all(c["disclosable"] > len(c["disclosed"]) for c in summary["credentials"])
    reasons = [r["problems"][0]["reason_code"] for r in summary["refusals"]]
    assert reasons == ["suspended", "revoked"]
    assert all(r["outcome"] == "invalid" for r in summary["refusals"])
    titles = [title for title, _, _ in steps]
    assert any(t.startswith("Abgelehnt") for t in titles)
    assert sum(len(txs) for _, _, txs in steps) >= 1 + 4 + 1 + 2  # DID, 4 accreditations, list, 2
    assert all(detail for _, detail, _ in steps)
