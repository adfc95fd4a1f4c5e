"""Which kind of wallet link a text is: a credential offer, a presentation request or a
DIDComm connection invitation.

OID4VCI 1.0 (4.1.1) and OID4VP 1.0 (5, 13.1) call the wallet either by a custom scheme
(``openid-credential-offer://``, ``openid4vp://``) or by an https link to the wallet
that carries the same query parameters. Both are read the same way: an https link is
turned into its custom-scheme twin, so pasted and scanned links pass the same checks.
An out-of-band invitation (Aries RFC 0434) comes as ``didcomm://...?oob=...`` or as the
agent's own URL with an ``oob`` (or legacy ``c_i``) parameter, which ACA-Py hands out
as ``http://`` on loopback and ``https://`` elsewhere.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "DIDCOMM_SCHEME",
    "INVITATION_PARAMS",
    "OFFER_SCHEME",
    "REQUEST_SCHEME",
    "LinkKind",
    "canonical_link",
    "link_kind",
]

OFFER_SCHEME: Final = "openid-credential-offer"
REQUEST_SCHEME: Final = "openid4vp"
DIDCOMM_SCHEME: Final = "didcomm"
INVITATION_PARAMS: Final = ("oob", "c_i")
_OFFER_PARAMS: Final = frozenset({"credential_offer", "credential_offer_uri"})
_REQUEST_PARAMS: Final = frozenset({"request_uri", "request"})


class LinkKind(StrEnum):
    """What a wallet link asks the wallet to do."""

    OFFER = "offer"
    REQUEST = "request"
    INVITATION = "invitation"

    @property
    def name_de(self) -> str:
        """The German name of the kind, as the pages say it."""
        return {
            LinkKind.OFFER: "Nachweis-Angebot",
            LinkKind.REQUEST: "Vorzeige-Anfrage",
            LinkKind.INVITATION: "Verbindungseinladung",
        }[self]

    @property
    def article_de(self) -> str:
        """The German indefinite article of ``name_de`` ("ein" / "eine")."""
        return "ein" if self is LinkKind.OFFER else "eine"

    @property
    def name_en(self) -> str:
        """The English name of the kind."""
        return {
            LinkKind.OFFER: "credential offer",
            LinkKind.REQUEST: "presentation request",
            LinkKind.INVITATION: "connection invitation",
        }[self]

    @property
    def page_de(self) -> str:
        """The wallet page that takes this kind of link."""
        return {
            LinkKind.OFFER: "Empfangen",
            LinkKind.REQUEST: "Vorzeigen",
            LinkKind.INVITATION: "Verbinden",
        }[self]


def link_kind(text: str) -> LinkKind | None:
    """The kind of wallet link ``text`` is, or None if it is none."""
    parts = urlsplit(text.strip())
    if parts.scheme == OFFER_SCHEME:
        return LinkKind.OFFER
    if parts.scheme == REQUEST_SCHEME:
        return LinkKind.REQUEST
    if parts.scheme in {DIDCOMM_SCHEME, "http", "https"} and (
        parse_qs(parts.query).keys() & set(INVITATION_PARAMS)
    ):
        return LinkKind.INVITATION
    if parts.scheme == "https":
        params = parse_qs(parts.query).keys()
        if params & _OFFER_PARAMS:
            return LinkKind.OFFER
        if params & _REQUEST_PARAMS and "client_id" in params:
            return LinkKind.REQUEST
    return None


def canonical_link(text: str) -> str:
    """The custom-scheme form of an https wallet link; any other text unchanged."""
    stripped = text.strip()
    parts = urlsplit(stripped)
    if parts.scheme != "https":
        return text
    kind = link_kind(stripped)
    if kind is LinkKind.OFFER:
        return f"{OFFER_SCHEME}://?{parts.query}"
    if kind is LinkKind.REQUEST:
        return f"{REQUEST_SCHEME}://?{parts.query}"
    return text
