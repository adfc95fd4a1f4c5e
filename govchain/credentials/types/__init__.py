"""The four municipal credential types, each a typed claims model with its vct, type
metadata (German and English), selective-disclosure frame, JSON Schema and policy."""

from govchain.credentials.types._base import (
    LOCAL_TIMEZONE,
    Address,
    ClaimSpec,
    CredentialClaims,
    CredentialType,
    Person,
    PolicyContext,
    PolicyFinding,
    credential_type,
    credential_types,
)
from govchain.credentials.types.citizen_id import CitizenId, CitizenIdClaims, Enrolment
from govchain.credentials.types.dangerous_dog import (
    DangerousDogPermit,
    DangerousDogPermitClaims,
    Dog,
    Exemptions,
    Holder,
    Insurance,
)
from govchain.credentials.types.landlord_confirmation import (
    Landlord,
    LandlordConfirmation,
    LandlordConfirmationClaims,
)
from govchain.credentials.types.street_music import (
    StreetMusicPermit,
    StreetMusicPermitClaims,
    TimeWindow,
    Zone,
)

__all__ = [
    "LOCAL_TIMEZONE",
    "Address",
    "CitizenId",
    "CitizenIdClaims",
    "ClaimSpec",
    "CredentialClaims",
    "CredentialType",
    "DangerousDogPermit",
    "DangerousDogPermitClaims",
    "Dog",
    "Enrolment",
    "Exemptions",
    "Holder",
    "Insurance",
    "Landlord",
    "LandlordConfirmation",
    "LandlordConfirmationClaims",
    "Person",
    "PolicyContext",
    "PolicyFinding",
    "StreetMusicPermit",
    "StreetMusicPermitClaims",
    "TimeWindow",
    "Zone",
    "credential_type",
    "credential_types",
]
