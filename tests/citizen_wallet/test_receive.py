"""Receiving over OID4VCI from the real issuer app (offline: no chain): the offer is
shown in German before anything is accepted, an unknown issuer is flagged, the tx_code
is required, and the credential is stored encrypted; delete and backup round trip."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest

from govchain.citizen_wallet import (
    CitizenWallet,
    CredentialNotFoundError,
    OfferError,
    PendingNotFoundError,
    WalletExistsError,
    WarningsNotAcknowledgedError,
    WrongPinError,
)
from govchain.credentials import _samples
from tests.citizen_wallet.conftest import PIN, new_wallet
from tests.issuer.conftest import Issuing

DOG = "dangerous_dog_permit_sd_jwt"


def _dog_offer(issuing: Issuing, **extra: object) -> dict[str, object]:
    claims = _samples.dog_permit(date.today()).model_dump(mode="json")
    return issuing.offer(claims, ctype=DOG, tx_code="731902", **extra)


def _wallet(tmp_path: Path, issuing: Issuing, *, known: bool = True) -> CitizenWallet:
    known_issuers = {issuing.issuer: "Ordnungsamt Aachen (bekannt)"} if known else {}
    wallet = new_wallet(tmp_path / "w", known_issuers=known_issuers)
    wallet.create(PIN)
    return wallet


def test_offer_is_shown_in_german_before_accepting_and_stored_encrypted(
    offline: Issuing, tmp_path: Path
) -> None:
    wallet = _wallet(tmp_path, offline)
    created = _dog_offer(offline)
    preview = wallet.preview_offer(str(created["offer_uri"]))
    assert preview.issuer_url == offline.issuer and preview.known_issuer
    assert preview.issuer_name_de == "Ordnungsamt Aachen (bekannt)"
    [shown] = preview.types
    assert shown.name_de == "Erlaubnis für gefährliche Hunde"
    assert "Familienname" in shown.claim_labels_de
    assert preview.tx_code_required
    # only the http:// development warning for a known issuer
    assert all("http" in w for w in preview.warnings)
    assert wallet.credentials() == []  # nothing received by looking

    [card] = wallet.accept_offer(preview.id, "731902", acknowledge_warnings=True)
    assert card.name_de == "Erlaubnis für gefährliche Hunde"
    assert card.claims["holder"]["family_name"] == "Mustermann"
    assert card.issuer_did.startswith("did:jwk:")
    assert card.status is not None
    assert [c.id for c in wallet.credentials()] == [card.id]
    with pytest.raises(PendingNotFoundError):  # an offer is redeemed once
        wallet.accept_offer(preview.id, "731902", acknowledge_warnings=True)

    # nothing readable on disk: no claim, no credential part, no key
    wallet.lock()
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "w").iterdir())
    for secret in (b"Mustermann", b"AC-HU-2026-0042", b"did:jwk", b'"d"', b"731902"):
        assert secret not in on_disk
    reopened = new_wallet(tmp_path / "w")
    reopened.unlock(PIN)
    assert reopened.credential(card.id).claims == card.claims


def test_unknown_issuer_is_flagged_and_never_silently_accepted(
    offline: Issuing, tmp_path: Path
) -> None:
    wallet = _wallet(tmp_path, offline, known=False)
    preview = wallet.preview_offer(str(_dog_offer(offline)["offer_uri"]))
    assert not preview.known_issuer
    assert any("Unbekannte Ausstellerin" in w for w in preview.warnings)
    with pytest.raises(WarningsNotAcknowledgedError):
        wallet.accept_offer(preview.id, "731902")
    assert wallet.credentials() == []
    [card] = wallet.accept_offer(preview.id, "731902", acknowledge_warnings=True)
    assert any("Unbekannte Ausstellerin" in w for w in card.warnings)


def test_offer_by_reference(offline: Issuing, tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, offline)
    created = _dog_offer(offline, by_reference=True)
    assert "credential_offer_uri=" in str(created["offer_uri"])
    preview = wallet.preview_offer(str(created["offer_uri"]))
    assert len(wallet.accept_offer(preview.id, "731902", acknowledge_warnings=True)) == 1


def test_tx_code_is_required_and_a_wrong_one_stores_nothing(
    offline: Issuing, tmp_path: Path
) -> None:
    wallet = _wallet(tmp_path, offline)
    preview = wallet.preview_offer(str(_dog_offer(offline)["offer_uri"]))
    with pytest.raises(OfferError) as missing:
        wallet.accept_offer(preview.id, None, acknowledge_warnings=True)
    assert "Transaktionscode" in missing.value.message_de
    with pytest.raises(OfferError) as wrong:
        wallet.accept_offer(preview.id, "000000", acknowledge_warnings=True)
    assert "lehnte ab" in wrong.value.message_de
    assert wallet.credentials() == []


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("https://example.org/offer", "kein Nachweis-Angebot"),
        ("openid-credential-offer://?credential_offer=%7Bnope", "kein gültiges JSON"),
        (
            "openid-credential-offer://?credential_offer="
            + quote(json.dumps({"credential_issuer": "http://127.0.0.1:9"})),
            "fehlen",
        ),
        ("openid-credential-offer://?x=1", "kein Angebot"),
    ],
)
def test_bad_offers_are_refused_clearly(tmp_path: Path, uri: str, fragment: str) -> None:
    wallet = new_wallet(tmp_path / "w")
    wallet.create(PIN)
    with pytest.raises(OfferError) as err:
        wallet.preview_offer(uri)
    assert fragment in err.value.message_de


def test_metadata_of_another_issuer_is_refused(offline: Issuing, tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, offline)
    offer = {
        "credential_issuer": offline.issuer + "/evil",
        "credential_configuration_ids": [DOG],
        "grants": {
            "urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "x"}
        },
    }
    uri = "openid-credential-offer://?credential_offer=" + quote(json.dumps(offer))
    with pytest.raises(OfferError):
        wallet.preview_offer(uri)


def test_delete_and_backup_round_trip(offline: Issuing, tmp_path: Path) -> None:
    wallet = _wallet(tmp_path, offline)
    cards = []
    for _ in range(2):
        preview = wallet.preview_offer(str(_dog_offer(offline)["offer_uri"]))
        cards += wallet.accept_offer(preview.id, "731902", acknowledge_warnings=True)
    backup = tmp_path / "sicherung.json"
    wallet.export_backup(backup, "lange-sicherungs-passphrase")
    assert b"Mustermann" not in backup.read_bytes()

    wallet.delete(cards[0].id)
    assert [c.id for c in wallet.credentials()] == [cards[1].id]
    with pytest.raises(CredentialNotFoundError):
        wallet.delete(cards[0].id)

    restored = new_wallet(tmp_path / "neu")
    with pytest.raises(WrongPinError):
        restored.restore_backup(backup, "falsche-passphrase", "135790")
    assert not restored.exists
    restored.restore_backup(backup, "lange-sicherungs-passphrase", "135790")
    restored.lock()
    restored.unlock("135790")
    assert {c.id for c in restored.credentials()} == {c.id for c in cards}
    original = next(c for c in restored.credentials() if c.id == cards[0].id)
    assert original.claims == cards[0].claims
    with pytest.raises(WalletExistsError):
        restored.restore_backup(backup, "lange-sicherungs-passphrase", "135790")
