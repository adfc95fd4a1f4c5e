"""Verifiable credentials for govchain: SD-JWT VC, status lists, keys/DIDs and trust.

The issuer, the verifier and the wallet stand on this package. It reaches the chain
only through two small interfaces, ``StatusSource`` and ``TrustSource``, whose chain
implementations read the StatusRegistry and the TrustRegistry.
"""

from govchain.credentials._reasons import CheckName, ReasonCode
from govchain.credentials.dids import DidDocument, create_did, resolve_did
from govchain.credentials.errors import (
    ClaimValidationError,
    CredentialsError,
    DidError,
    InvalidCredentialError,
    KeyStoreError,
    StatusUnavailableError,
    TrustUnavailableError,
    VerifierConfigError,
)
from govchain.credentials.formats import (
    CredentialFormat,
    CredentialRecord,
    credential_format,
    credential_formats,
)
from govchain.credentials.holder import disclosable_claims, present_credential, stored_claims
from govchain.credentials.issuer import IssuedCredential, Issuer, StatusListAllocation
from govchain.credentials.keys import (
    EncryptedFileKeyStore,
    InMemoryKeyStore,
    KeyKind,
    KeyStore,
    PublicKey,
    SigningKey,
    create_key_store,
)
from govchain.credentials.status import (
    ChainStatusSource,
    RandomIndexAllocator,
    StatusListUri,
    StatusReference,
    StatusSource,
    bitstring_status_list_credential,
    token_status_list_jwt,
)
from govchain.credentials.trust import ChainTrustSource, TrustOutcome, TrustSource, TrustVerdict
from govchain.credentials.types import (
    CitizenId,
    CredentialType,
    DangerousDogPermit,
    LandlordConfirmation,
    PolicyContext,
    StreetMusicPermit,
    credential_type,
    credential_types,
)
from govchain.credentials.verification import (
    Check,
    CheckOutcome,
    InMemoryNonceStore,
    NonceStore,
    Outcome,
    VerificationRequest,
    VerificationResult,
    Verifier,
)

__all__ = [
    "ChainStatusSource",
    "ChainTrustSource",
    "Check",
    "CheckName",
    "CheckOutcome",
    "CitizenId",
    "ClaimValidationError",
    "CredentialFormat",
    "CredentialRecord",
    "CredentialType",
    "CredentialsError",
    "DangerousDogPermit",
    "DidDocument",
    "DidError",
    "EncryptedFileKeyStore",
    "InMemoryKeyStore",
    "InMemoryNonceStore",
    "InvalidCredentialError",
    "IssuedCredential",
    "Issuer",
    "KeyKind",
    "KeyStore",
    "KeyStoreError",
    "LandlordConfirmation",
    "NonceStore",
    "Outcome",
    "PolicyContext",
    "PublicKey",
    "RandomIndexAllocator",
    "ReasonCode",
    "SigningKey",
    "StatusListAllocation",
    "StatusListUri",
    "StatusReference",
    "StatusSource",
    "StatusUnavailableError",
    "StreetMusicPermit",
    "TrustOutcome",
    "TrustSource",
    "TrustUnavailableError",
    "TrustVerdict",
    "VerificationRequest",
    "VerificationResult",
    "Verifier",
    "VerifierConfigError",
    "bitstring_status_list_credential",
    "create_did",
    "create_key_store",
    "credential_format",
    "credential_formats",
    "credential_type",
    "credential_types",
    "disclosable_claims",
    "present_credential",
    "resolve_did",
    "stored_claims",
    "token_status_list_jwt",
]
