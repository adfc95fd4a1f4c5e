"""Claims as a German reader sees them: the type metadata's labels and values in German
(``keeper`` → „Halter/in“, ``false`` → „nein“, ``2027-12-31`` → „31.12.2027“).

The one place both the citizen's wallet and the verifier format claims, so the consent
page and the officer's result never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from govchain.chain.types import LevelOfAssurance
from govchain.credentials.errors import UnknownCredentialTypeError
from govchain.credentials.sd_jwt import ClaimPath
from govchain.credentials.types import credential_type

__all__ = ["claim_label_de", "claim_path_text", "format_claim_value_de"]

_LOA_PATHS: Final = frozenset({("level_of_assurance",), ("landlord_identity_loa",)})
_ROLES_DE: Final = {"keeper": "Halter/in", "leader": "Führende/r"}
_SEXES_DE: Final = {"male": "Rüde", "female": "Hündin"}
_MEMBERS_DE: Final[dict[ClaimPath, str]] = {
    ("exemptions", "muzzle"): "Maulkorb",
    ("exemptions", "leash"): "Leine",
}
"""Short German names of members shown inside their parent („Maulkorb: nein“)."""


def claim_path_text(path: ClaimPath) -> str:
    """A claim path as text, e.g. ``holder.family_name`` or ``performers.*``."""
    return ".".join("*" if p is None else str(p) for p in path)


def _label(vct: str, path: ClaimPath) -> str | None:
    try:
        ctype = credential_type(vct)
    except UnknownCredentialTypeError:
        return None
    for spec in ctype.claims:
        if spec.path == path or (path and path[-1] is None and spec.path == path[:-1]):
            return spec.label_de
    return None


def claim_label_de(vct: str, path: ClaimPath) -> str:
    """The type metadata's German label of a claim path (the path text if none)."""
    return _label(vct, path) or claim_path_text(path)


def _is_iso_date(value: str) -> bool:
    return (
        len(value) == 10
        and value[4] == "-"
        and value[7] == "-"
        and (value[:4] + value[5:7] + value[8:]).isdigit()
    )


def format_claim_value_de(vct: str, path: ClaimPath, value: Any) -> str:
    """A disclosed claim's value in German, for the claim at ``path`` of type ``vct``.

    Known codes get their German word, booleans „ja“/„nein“, ISO dates the German form,
    lists are joined, objects shown by their members' German names.
    """
    keys = tuple(k for k in path if k is not None)
    if keys in _LOA_PATHS and not isinstance(value, bool):
        try:
            return LevelOfAssurance(int(value)).label_de
        except (TypeError, ValueError):
            return str(value)
    if keys and keys[-1] == "sex":
        return _SEXES_DE.get(str(value), str(value))
    if keys == ("role",):
        return _ROLES_DE.get(str(value), str(value))
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if value is None:
        return "-"
    if isinstance(value, str) and _is_iso_date(value):
        return f"{value[8:10]}.{value[5:7]}.{value[0:4]}"
    if isinstance(value, list | tuple):
        return ", ".join(format_claim_value_de(vct, (*keys, None), v) for v in value) or "-"
    if isinstance(value, Mapping):
        if {"start", "end"} <= value.keys():
            return f"{str(value['start'])[:5]} bis {str(value['end'])[:5]} Uhr"
        if "name" in value:
            return str(value["name"])
        if {"given_name", "family_name"} <= value.keys():
            return f"{value['given_name']} {value['family_name']}"
        return ", ".join(
            f"{_member_name(vct, (*keys, str(k)))}: "
            f"{format_claim_value_de(vct, (*keys, str(k)), v)}"
            for k, v in value.items()
        )
    return str(value)


def _member_name(vct: str, path: ClaimPath) -> str:
    return _MEMBERS_DE.get(path) or _label(vct, path) or str(path[-1])
