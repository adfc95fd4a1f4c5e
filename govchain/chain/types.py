"""Domain types the contract clients return: no raw tuples cross this package's edge."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import NewType

from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak

__all__ = [
    "OPEN_END",
    "Accreditation",
    "Anchor",
    "CredentialStatus",
    "Did",
    "DidRecord",
    "LevelOfAssurance",
    "Member",
    "Namespace",
    "OfficeId",
    "OfficeRecord",
    "OfficeStatus",
    "Proposal",
    "Role",
    "StatusListRecord",
    "TrustDecision",
    "TrustReason",
    "office_id",
]

Did = NewType("Did", str)
OfficeId = NewType("OfficeId", bytes)

OPEN_END = 2**64 - 1
"""A validity end that never comes (``type(uint64).max`` on chain)."""


class Role(StrEnum):
    """Roles on the registries; only a consortium vote grants them."""

    TRUST_ADMIN = "TRUST_ADMIN_ROLE"
    STATUS_ISSUER = "STATUS_ISSUER_ROLE"
    ANCHORER = "ANCHORER_ROLE"

    @property
    def id(self) -> bytes:
        """The role's 32-byte id on chain (keccak256 of its name)."""
        return keccak(text=self.value)


class OfficeStatus(IntEnum):
    """Lifecycle of an issuer office; RETIRED is final."""

    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    RETIRED = 3


class LevelOfAssurance(IntEnum):
    """eIDAS levels of assurance, as the TrustRegistry stores them."""

    LOW = 1
    SUBSTANTIAL = 2
    HIGH = 3

    @property
    def label_de(self) -> str:
        """The German label citizens see."""
        return {1: "Basisregistrierung", 2: "substanziell", 3: "hoch"}[self.value]


class TrustReason(IntEnum):
    """Why the TrustRegistry answered a trust question as it did."""

    UNKNOWN_DID = 0
    DID_NOT_VALID_AT_TIME = 1
    OFFICE_NOT_ACTIVE = 2
    NOT_ACCREDITED = 3
    TRUSTED = 4


class CredentialStatus(IntEnum):
    """Status entry values, as in the IETF Token Status List (2 bits)."""

    VALID = 0
    REVOKED = 1
    SUSPENDED = 2


def office_id(state: str, city: str, office: str) -> OfficeId:
    """The stable id of an office: keccak256 of ``state/city/office``."""
    return OfficeId(keccak(text=f"{state}/{city}/{office}"))


@dataclass(frozen=True)
class Member:
    """A member city of the consortium."""

    address: ChecksumAddress
    name: str
    joined_at: int


@dataclass(frozen=True)
class Proposal:
    """A consortium proposal."""

    proposal_id: int
    proposer: ChecksumAddress
    target: ChecksumAddress
    data: bytes
    description: str
    created_at: int
    deadline: int
    executed: bool
    approvals: int


@dataclass(frozen=True)
class OfficeRecord:
    """An issuer office in the TrustRegistry."""

    office_id: OfficeId
    state: str
    city: str
    name: str
    admin: ChecksumAddress
    status: OfficeStatus
    registered_at: int


@dataclass(frozen=True)
class Accreditation:
    """An office's accreditation for one credential type, valid in [valid_from, valid_until)."""

    vct: str
    valid_from: int
    valid_until: int
    level_of_assurance: LevelOfAssurance
    recorded_at: int


@dataclass(frozen=True)
class DidRecord:
    """A DID of an office and its key thumbprint, in use in [valid_from, valid_until)."""

    office_id: OfficeId
    did: Did
    key_thumbprint: bytes
    valid_from: int
    valid_until: int


@dataclass(frozen=True)
class TrustDecision:
    """The TrustRegistry's answer to "was this DID trusted for this type at time t?"."""

    trusted: bool
    reason: TrustReason
    office_id: OfficeId | None
    level_of_assurance: LevelOfAssurance | None


@dataclass(frozen=True)
class StatusListRecord:
    """A status list on the StatusRegistry."""

    list_id: int
    owner: ChecksumAddress
    size: int
    created_at: int


@dataclass(frozen=True)
class Namespace:
    """An anchoring namespace and its owner."""

    namespace_id: bytes
    name: str
    owner: ChecksumAddress
    created_at: int


@dataclass(frozen=True)
class Anchor:
    """The log of ``tree_size`` leaves had ``root``, anchored in a block at a time."""

    namespace_id: bytes
    index: int
    tree_size: int
    root: bytes
    block_number: int
    timestamp: int
