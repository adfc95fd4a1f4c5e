"""The credentials part of ``govchain demo``: issue, present, verify, suspend, revoke.

``credentials_demo`` runs on a deployment whose trust admin may accredit and whose
office admin holds STATUS_ISSUER_ROLE and administers the office in the TrustRegistry.
It narrates each step in German through ``narrate(title, detail, transactions)`` and
returns a JSON-able summary.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from govchain.chain.deployment import Deployment
from govchain.chain.gateway import ChainGateway, TxResult
from govchain.chain.types import CredentialStatus, LevelOfAssurance, OfficeId
from govchain.credentials import _samples
from govchain.credentials.dids import create_did
from govchain.credentials.holder import disclosable_claims, present_credential
from govchain.credentials.issuer import IssuedCredential, Issuer, StatusListAllocation
from govchain.credentials.keys import EncryptedFileKeyStore, SigningKey
from govchain.credentials.sd_jwt import ClaimPath
from govchain.credentials.status import (
    ChainStatusSource,
    RandomIndexAllocator,
    bitstring_status_list_credential,
    token_status_list_jwt,
)
from govchain.credentials.trust import ChainTrustSource
from govchain.credentials.types import (
    LOCAL_TIMEZONE,
    CitizenId,
    CredentialType,
    DangerousDogPermit,
    LandlordConfirmation,
    PolicyContext,
    StreetMusicPermit,
)
from govchain.credentials.verification import (
    CheckOutcome,
    VerificationRequest,
    VerificationResult,
    Verifier,
)

__all__ = ["Narrate", "credentials_demo"]

Narrate = Callable[[str, str, list[TxResult]], None]

AUDIENCE = "https://pruefung.ordnungsamt.aachen.example"
ACCREDITATIONS: tuple[tuple[type[CredentialType], LevelOfAssurance], ...] = (
    (LandlordConfirmation, LevelOfAssurance.SUBSTANTIAL),
    (DangerousDogPermit, LevelOfAssurance.SUBSTANTIAL),
    (StreetMusicPermit, LevelOfAssurance.LOW),
    (CitizenId, LevelOfAssurance.HIGH),
)


def _path(path: ClaimPath) -> str:
    return ".".join("*" if p is None else str(p) for p in path)


def _index(credential: IssuedCredential) -> int | None:
    return credential.status.index if credential.status is not None else None


def _office_key(narrate: Narrate) -> tuple[SigningKey, dict[str, Any]]:
    """A fresh office key in an encrypted key store (a temporary one: nothing is kept)."""
    with tempfile.TemporaryDirectory(prefix="govchain-demo-keys-") as tmp:
        store = EncryptedFileKeyStore(Path(tmp) / "keys", secrets.token_urlsafe(24), scrypt_n=2**15)
        store.generate("ordnungsamt-aachen-1")
        key_file = Path(tmp) / "keys" / "ordnungsamt-aachen-1.key.json"
        info = {
            "key_file_mode": f"{key_file.stat().st_mode & 0o777:04o}",
            "private_key_in_clear_on_disk": '"d"' in key_file.read_text(encoding="utf-8"),
        }
        key = store.load("ordnungsamt-aachen-1")
    narrate(
        "Signaturschlüssel des Ordnungsamts erzeugt",
        f"P-256 (ES256), verschlüsselt gespeichert (scrypt + AES-256-GCM, Dateimodus "
        f"{info['key_file_mode']}).",
        [],
    )
    return key, info


def _export(narrate: Narrate, source: ChainStatusSource, uri: str, issuer: Issuer, now: int) -> int:
    """Sign the list's two exports from one chain read; returns the JWT's length."""
    packed = source.packed_list(uri)
    token = token_status_list_jwt(
        packed, uri=uri, issuer=issuer.did, key=issuer.key, kid=issuer.kid, issued_at=now
    )
    w3c = bitstring_status_list_credential(
        packed, uri=uri, issuer=issuer.did, valid_from=now, valid_until=now + 86_400
    )
    narrate(
        "Statusliste exportiert",
        f"IETF Token Status List (statuslist+jwt, {len(token)} Zeichen) und W3C Bitstring "
        f"Status List ({len(w3c['credentialSubject']['encodedList'])} Zeichen), beide aus "
        "demselben Stand der Chain.",
        [],
    )
    return len(token)


def _failed(result: VerificationResult) -> list[dict[str, str]]:
    return [
        {
            "check": c.name.value,
            "reason_code": c.reason_code.value,
            "de": c.message_de,
            "en": c.message_en,
        }
        for c in result.checks
        if c.outcome is not CheckOutcome.PASSED
    ]


def credentials_demo(
    gateway: ChainGateway,
    deployment: Deployment,
    *,
    trust_admin: LocalAccount,
    office_admin: LocalAccount,
    office_id: OfficeId,
    narrate: Narrate,
) -> dict[str, Any]:
    """Accredit, register a DID, create a status list, issue one credential of each
    type, present and verify each, suspend one, revoke another, and show the refusals."""
    d = deployment

    def chain_now() -> int:
        return gateway.block_timestamp()

    # -- the office's key, encrypted on disk; its DID registered on chain ---------------
    issuer_key, key_info = _office_key(narrate)
    did = create_did(issuer_key.public_key)
    did_tx = d.trust.register_did(office_admin, office_id, did, issuer_key.public_key.thumbprint())
    narrate(
        "DID im Vertrauensregister eingetragen",
        f"{did[:40]}… mit dem SHA-256-Fingerabdruck des Schlüssels (RFC 7638).",
        [did_tx],
    )

    now = chain_now()
    accreditation_txs = [
        d.trust.accredit(trust_admin, office_id, ctype.vct, level, now)
        for ctype, level in ACCREDITATIONS
    ]
    narrate(
        "Akkreditiert für die vier Nachweistypen",
        "; ".join(f"{ctype.name_de} ({level.label_de})" for ctype, level in ACCREDITATIONS),
        accreditation_txs,
    )

    list_id, list_tx = d.status.create_list(office_admin)
    status_source = ChainStatusSource(d.status, max_age=0)
    uri = status_source.list_uri(list_id)
    size = d.status.status_list(list_id).size
    narrate(
        "Statusliste angelegt",
        f"{size} Einträge zu je 2 Bit; Indizes werden zufällig vergeben. {uri}",
        [list_tx],
    )

    # -- issue ----------------------------------------------------------------------------
    issuer = Issuer(
        issuer_key,
        did=did,
        status_list=StatusListAllocation(uri, RandomIndexAllocator(uri, size)),
        clock=chain_now,
    )
    today = datetime.fromtimestamp(chain_now(), LOCAL_TIMEZONE).date()
    wallets = {name: SigningKey.generate() for name in ("Erika", "Jonas", "Lena", "Ana")}
    plan: list[tuple[str, Any, str, list[ClaimPath], PolicyContext]] = [
        (
            "Wohnungsgeberbestätigung",
            _samples.landlord_confirmation(today),
            "Ana",
            [("residents", None), ("landlord", "name")],
            PolicyContext(),
        ),
        (
            "Hundeerlaubnis (Halterin)",
            _samples.dog_permit(today),
            "Erika",
            [("holder", "family_name"), ("dog", "chip_number"), ("insurance", "valid_until")],
            PolicyContext(chip_number=_samples.CHIP),
        ),
        (
            "Hundenachweis (Führender)",
            _samples.dog_permit(today, role="leader", number="AC-HU-2026-0043"),
            "Jonas",
            [("holder", "family_name"), ("dog", "chip_number"), ("insurance", "valid_until")],
            PolicyContext(chip_number=_samples.CHIP),
        ),
        (
            "Straßenmusik-Erlaubnis",
            _samples.street_music_permit(today),
            "Lena",
            [("performers", 0)],
            PolicyContext(zone="markt", instrument="Geige"),
        ),
        (
            "BürgerID",
            _samples.citizen_id(today),
            "Ana",
            [("given_name",), ("family_name",), ("address", "city")],
            PolicyContext(min_level_of_assurance=LevelOfAssurance.SUBSTANTIAL),
        ),
    ]
    issued: list[IssuedCredential] = []
    for _label, record, wallet, _disclose, _context in plan:
        issued.append(issuer.issue(record, holder=wallets[wallet].public_key))
    narrate(
        "Fünf Nachweise ausgestellt (SD-JWT VC)",
        ", ".join(
            f"{label}: Index {_index(c)}" for (label, *_), c in zip(plan, issued, strict=True)
        ),
        [],
    )

    verifier = Verifier(
        status=status_source, trust=ChainTrustSource(d.trust, max_age=0), clock=chain_now
    )

    def show(index: int) -> VerificationResult:
        _label, _record, wallet, disclose, context = plan[index]
        nonce = secrets.token_urlsafe(16)
        presentation = present_credential(
            issued[index].serialized,
            disclose=disclose,
            holder_key=wallets[wallet],
            nonce=nonce,
            audience=AUDIENCE,
            issued_at=chain_now(),
        )
        return verifier.verify(
            presentation, VerificationRequest(nonce=nonce, audience=AUDIENCE, context=context)
        )

    credentials: list[dict[str, Any]] = []
    for index, (label, _record, wallet, disclose, _context) in enumerate(plan):
        result = show(index)
        total = len(disclosable_claims(issued[index].serialized))
        shown = ", ".join(_path(p) for p in disclose)
        narrate(
            f"Vorgezeigt und geprüft: {label}",
            f"{wallet} legt nur {shown} offen (von {total} verdeckbaren Angaben), mit "
            f"Besitznachweis. Ergebnis: {result.outcome.value} "
            f"({sum(c.outcome is CheckOutcome.PASSED for c in result.checks)} von "
            f"{len(result.checks)} Prüfungen bestanden).",
            [],
        )
        credentials.append(
            {
                "label": label,
                "vct": issued[index].vct,
                "status_index": _index(issued[index]),
                "size_bytes": len(issued[index].serialized),
                "disclosed": [_path(p) for p in disclose],
                "disclosable": total,
                "verification": result.outcome.value,
                "problems": _failed(result),
            }
        )

    # -- suspend one, revoke another ---------------------------------------------------------
    music, dog = issued[3], issued[1]
    assert music.status is not None and dog.status is not None
    suspend_tx = d.status.set_status(
        office_admin, list_id, music.status.index, CredentialStatus.SUSPENDED
    )
    revoke_tx = d.status.set_status(
        office_admin, list_id, dog.status.index, CredentialStatus.REVOKED
    )
    narrate(
        "Straßenmusik-Erlaubnis ausgesetzt, Hundeerlaubnis widerrufen",
        f"Einträge {music.status.index} und {dog.status.index} der Statusliste {list_id}.",
        [suspend_tx, revoke_tx],
    )
    refusals: list[dict[str, Any]] = []
    for index in (3, 1):
        result = show(index)
        problems = _failed(result)
        refusals.append(
            {"label": plan[index][0], "outcome": result.outcome.value, "problems": problems}
        )
        narrate(
            f"Abgelehnt: {plan[index][0]}",
            "; ".join(f"{p['de']} ({p['reason_code']})" for p in problems) or "—",
            [],
        )

    # -- the list, exported for relying parties ------------------------------------------
    token_chars = _export(narrate, status_source, uri, issuer, chain_now())
    return {
        "issuer": {
            "did": did,
            "kid": issuer.kid,
            **key_info,
        },
        "status_list": {
            "list_id": list_id,
            "uri": uri,
            "size": size,
            "token_status_list_jwt_chars": token_chars,
        },
        "credentials": credentials,
        "refusals": refusals,
    }
