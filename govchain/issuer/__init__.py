"""The issuer service: OID4VCI 1.0 issuance (pre-authorized code flow with tx_code,
nonce endpoint, jwt key proofs) of the four municipal credentials as SD-JWT VCs, offers
made by officials or scripts, and a hash-chained audit log anchored on chain."""

from govchain.issuer.app import create_app
from govchain.issuer.schemas import OfferCreated
from govchain.issuer.scripted import create_offer, offer_from_file
from govchain.issuer.service import IssuerIdentity, IssuerService, issuer_identity
from govchain.issuer.settings import IssuerSettings

__all__ = [
    "IssuerIdentity",
    "IssuerService",
    "IssuerSettings",
    "OfferCreated",
    "create_app",
    "create_offer",
    "issuer_identity",
    "offer_from_file",
]
