"""Scripted issuance: offers made by a program (the ``govchain issuer offer`` command,
batch jobs) rather than over HTTP. The offer lands in the issuer's database, which the
running issuer app redeems; the caller prints or sends the URI and, separately, the
tx_code."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from govchain.issuer.errors import OfferInputError
from govchain.issuer.schemas import OfferCreated
from govchain.issuer.service import IssuerService
from govchain.issuer.settings import IssuerSettings

__all__ = ["create_offer", "offer_from_file"]


def create_offer(
    settings: IssuerSettings,
    credential_type: str,
    claims: Mapping[str, Any],
    *,
    tx_code: str | None = None,
    by_reference: bool = False,
    official: str = "cli/govchain",
) -> OfferCreated:
    """Make one credential offer on the issuer's database (no signing key needed).

    Args:
        credential_type: a configuration id (e.g. ``street_music_permit_sd_jwt``) or a vct.
        claims: the claims, validated by the type's model.
        tx_code: 4 to 12 letters or digits the citizen must type; never in the offer.
        by_reference: a ``credential_offer_uri`` instead of the offer by value.
        official: who made it, ``<office>/<official>``, for the audit log.

    Raises:
        OfferInputError: unknown type, invalid claims or tx_code.
        IssuerNotReadyError: no status list configured.
    """
    service = IssuerService.open(settings, load_key=False)
    try:
        return service.create_offer(
            credential_type=credential_type,
            claims=claims,
            official=official,
            tx_code=tx_code,
            by_reference=by_reference,
        )
    finally:
        service.close()


def offer_from_file(
    settings: IssuerSettings,
    credential_type: str,
    claims_file: Path,
    *,
    tx_code: str | None = None,
    by_reference: bool = False,
    official: str = "cli/govchain",
) -> OfferCreated:
    """``create_offer`` with the claims read from a JSON file (an object).

    Raises:
        OfferInputError: also when the file is unreadable or not a JSON object.
    """
    try:
        claims = json.loads(claims_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise OfferInputError(
            f"The claims file {claims_file} cannot be read as JSON: {err}.",
            f"Die Angabendatei {claims_file} ist kein lesbares JSON: {err}.",
        ) from err
    if not isinstance(claims, dict):
        raise OfferInputError(
            f"The claims file {claims_file} must hold a JSON object.",
            f"Die Angabendatei {claims_file} muss ein JSON-Objekt enthalten.",
        )
    return create_offer(
        settings,
        credential_type,
        claims,
        tx_code=tx_code,
        by_reference=by_reference,
        official=official,
    )
