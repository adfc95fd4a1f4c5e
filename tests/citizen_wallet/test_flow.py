"""The whole journey on Ganache over real HTTP: receive a dangerous-dog permit from the
issuer app by OID4VCI with a tx_code, present it to the verifier app's ``hund`` check
by OID4VP with consent -> green, with only the requested claims; live status follows
the chain; every presentation is logged; unknown verifiers and issuers are flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from govchain.chain.types import CredentialStatus
from govchain.citizen_wallet import (
    CitizenWallet,
    LiveStatus,
    LogOutcome,
    NoMatchingCredentialError,
    PresentationRequestError,
    WarningsNotAcknowledgedError,
)
from govchain.credentials import Outcome, VerificationResult, _samples
from govchain.verifier import Pending
from tests.citizen_wallet.conftest import PIN, new_wallet
from tests.credentials.conftest import CredWorld
from tests.issuer.conftest import Issuing
from tests.verifier.conftest import Running

pytestmark = pytest.mark.ganache

DOG = "dangerous_dog_permit_sd_jwt"


def _wallet(tmp_path: Path, vw: CredWorld, issuing: Issuing, **extra: object) -> CitizenWallet:
    # The wallet's clock is its issuer's: the session chain's clock may run ahead of the
    # wall clock (other tests advance it), and an issuer refuses proofs from the future.
    wallet = new_wallet(
        tmp_path / "w",
        known_issuers={issuing.issuer: "Ordnungsamt Aachen"},
        status=vw.status,
        trust=vw.trust,
        clock=issuing.clock,
        **extra,
    )
    wallet.create(PIN)
    return wallet


def _receive(wallet: CitizenWallet, vw: CredWorld, issuing: Issuing) -> str:
    claims = _samples.dog_permit(vw.today()).model_dump(mode="json")
    created = issuing.offer(claims, ctype=DOG, tx_code="731902")
    preview = wallet.preview_offer(str(created["offer_uri"]))
    [card] = wallet.accept_offer(preview.id, "731902", acknowledge_warnings=True)
    return card.id


def test_receive_then_present_to_the_dog_check_is_green(
    chain_issuer: Issuing, server: Running, vw: CredWorld, tmp_path: Path
) -> None:
    wallet = _wallet(tmp_path, vw, chain_issuer)
    card_id = _receive(wallet, vw, chain_issuer)
    card = wallet.credential(card_id)
    assert not any("Vertrauensregister" in w for w in card.warnings)  # accredited on chain
    assert wallet.live_status(card_id) is LiveStatus.VALID

    created = server.client.create_request("hund", {"chip_number": _samples.CHIP})
    preview = wallet.preview_request(created.openid4vp_uri)
    assert preview.client_id.startswith("decentralized_identifier:did:")
    assert preview.credential.id == card_id
    assert any("Unbekannte Prüfstelle" in w for w in preview.warnings)
    labels = {c.label_de: c.value for c in preview.claims}
    assert [c.path for c in preview.claims] == [
        ("permit_number",),
        ("role",),
        ("holder", "given_name"),
        ("holder", "family_name"),
        ("dog", "name"),
        ("dog", "breed"),
        ("exemptions",),
        ("insurance", "valid_until"),
        ("valid_until",),
        ("dog", "chip_number"),
    ]
    assert labels["Familienname"] == "Mustermann"
    assert labels["Erlaubnisnummer (immer sichtbar)"] == "AC-HU-2026-0042"
    assert labels["Rolle (Halter/Führende) (immer sichtbar)"] == "Halter/in"
    assert labels["Befreiungen (immer sichtbar)"] == "Maulkorb: nein, Leine: nein"
    valid_until = _samples.dog_permit(vw.today()).valid_until
    assert labels["Gültig bis (immer sichtbar)"] == valid_until.strftime("%d.%m.%Y")
    with pytest.raises(WarningsNotAcknowledgedError):
        wallet.respond(preview.id, consent=True)

    outcome = wallet.respond(preview.id, consent=True, acknowledge_warnings=True)
    assert outcome.outcome is LogOutcome.SHARED, outcome.message_de
    result = server.client.result(created.request_id)
    assert isinstance(result, VerificationResult)
    assert result.outcome is Outcome.VALID, result.reasons
    assert result.claims is not None
    assert result.claims["holder"] == {"given_name": "Erika", "family_name": "Mustermann"}
    assert "birth_date" not in str(result.claims)  # never asked, never shown

    [entry] = wallet.log()
    assert entry.client_id == preview.client_id and entry.outcome is LogOutcome.SHARED
    assert entry.claims_de == tuple(c.label_de for c in preview.claims)
    assert entry.credential_id == card_id


def test_known_verifier_and_refusal_is_logged(
    chain_issuer: Issuing, server: Running, vw: CredWorld, tmp_path: Path
) -> None:
    created = server.client.create_request("hund", {})
    wallet = _wallet(tmp_path, vw, chain_issuer)
    _receive(wallet, vw, chain_issuer)
    request_uri = created.openid4vp_uri
    preview = wallet.preview_request(request_uri)
    wallet.known_verifiers[preview.client_id] = "Ordnungsamt Aachen, Außendienst"
    preview = wallet.preview_request(request_uri)
    assert preview.known_verifier and preview.verifier_name_de.startswith("Ordnungsamt")
    assert not any("Unbekannte Prüfstelle" in w for w in preview.warnings)
    outcome = wallet.respond(preview.id, consent=False)
    assert outcome.outcome is LogOutcome.REFUSED
    assert [e.outcome for e in wallet.log()] == [LogOutcome.REFUSED]
    assert isinstance(server.client.result(created.request_id), Pending)  # nothing sent


def test_live_status_follows_the_chain(
    chain_issuer: Issuing, server: Running, vw: CredWorld, tmp_path: Path
) -> None:
    wallet = _wallet(tmp_path, vw, chain_issuer)
    card_id = _receive(wallet, vw, chain_issuer)
    status = wallet.credential(card_id).status
    assert status is not None
    d, admin = vw.world.d, vw.world.office_admin
    d.status.set_status(admin, vw.list_id, status.index, CredentialStatus.SUSPENDED)
    assert wallet.live_status(card_id) is LiveStatus.SUSPENDED
    d.status.set_status(admin, vw.list_id, status.index, CredentialStatus.REVOKED)
    assert wallet.live_status(card_id) is LiveStatus.REVOKED
    # the verifier says no as well
    created = server.client.create_request("hund", {})
    preview = wallet.preview_request(created.openid4vp_uri)
    wallet.respond(preview.id, consent=True, acknowledge_warnings=True)
    result = server.client.result(created.request_id)
    assert isinstance(result, VerificationResult) and result.outcome is not Outcome.VALID


def test_issuer_not_in_the_trust_registry_is_flagged(
    offline: Issuing, vw: CredWorld, tmp_path: Path
) -> None:
    # the offline issuer has a DID, but no office registered it on chain
    wallet = _wallet(tmp_path, vw, offline)
    claims = _samples.dog_permit(vw.today()).model_dump(mode="json")
    created = offline.offer(claims, ctype=DOG, tx_code="731902")
    preview = wallet.preview_offer(str(created["offer_uri"]))
    assert preview.known_issuer  # the URL is on the citizen's list ...
    with pytest.raises(WarningsNotAcknowledgedError) as err:  # ... but the chain disagrees
        wallet.accept_offer(preview.id, "731902", acknowledge_warnings=True)
    [warning] = err.value.warnings
    assert "Vertrauensregister" in warning and "unknown_did" in warning
    assert wallet.credentials() == []  # held back, not stored
    with pytest.raises(WarningsNotAcknowledgedError):
        wallet.accept_offer(preview.id)
    [card] = wallet.accept_offer(preview.id, accept_untrusted_issuer=True)
    assert warning in card.warnings
    created = offline.offer(claims, ctype=DOG, tx_code="731902")
    preview = wallet.preview_offer(str(created["offer_uri"]))
    with pytest.raises(WarningsNotAcknowledgedError):
        wallet.accept_offer(preview.id, "731902", acknowledge_warnings=True)
    wallet.lock()  # locking drops what was held back
    wallet.unlock(PIN)
    assert [c.id for c in wallet.credentials()] == [card.id]


def test_requests_the_wallet_cannot_answer_are_refused(
    server: Running, vw: CredWorld, chain_issuer: Issuing, tmp_path: Path
) -> None:
    wallet = _wallet(tmp_path, vw, chain_issuer)
    created = server.client.create_request("hund", {})
    with pytest.raises(NoMatchingCredentialError):  # empty wallet
        wallet.preview_request(created.openid4vp_uri)
    with pytest.raises(PresentationRequestError):
        wallet.preview_request("openid4vp://?client_id=redirect_uri%3Ahttps%3A%2F%2Fevil")
    tampered = created.openid4vp_uri.replace("did%3Ajwk%3A", "did%3Ajwk%3AeyJ")
    with pytest.raises(PresentationRequestError):
        wallet.preview_request(tampered)
