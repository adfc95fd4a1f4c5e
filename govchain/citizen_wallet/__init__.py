"""The citizen wallet: a PIN-protected store of SD-JWT VCs, OID4VCI to receive and
OID4VP to present them with consent, live status from the chain, a presentation log,
encrypted backups, and a mobile-first German web UI (127.0.0.1:8103)."""

from govchain.citizen_wallet.app import create_app
from govchain.citizen_wallet.errors import (
    CredentialNotFoundError,
    NoMatchingCredentialError,
    OfferError,
    PendingNotFoundError,
    PresentationRequestError,
    WalletCorruptError,
    WalletError,
    WalletExistsError,
    WalletLockedError,
    WalletNotFoundError,
    WalletThrottledError,
    WarningsNotAcknowledgedError,
    WrongPinError,
)
from govchain.citizen_wallet.service import (
    CitizenWallet,
    DisclosedClaim,
    LiveStatus,
    LogEntry,
    LogOutcome,
    OfferPreview,
    PresentationOutcome,
    RequestPreview,
    StoredCredential,
    TypeDisplay,
    open_wallet,
)
from govchain.citizen_wallet.settings import WalletSettings

__all__ = [
    "CitizenWallet",
    "CredentialNotFoundError",
    "DisclosedClaim",
    "LiveStatus",
    "LogEntry",
    "LogOutcome",
    "NoMatchingCredentialError",
    "OfferError",
    "OfferPreview",
    "PendingNotFoundError",
    "PresentationOutcome",
    "PresentationRequestError",
    "RequestPreview",
    "StoredCredential",
    "TypeDisplay",
    "WalletCorruptError",
    "WalletError",
    "WalletExistsError",
    "WalletLockedError",
    "WalletNotFoundError",
    "WalletSettings",
    "WalletThrottledError",
    "WarningsNotAcknowledgedError",
    "WrongPinError",
    "create_app",
    "open_wallet",
]
