"""Typed client of the TrustRegistry: offices, DIDs, accreditations and trust decisions."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from govchain.chain.clients._base import GovernedClient
from govchain.chain.gateway import EncodedCall, TxResult
from govchain.chain.types import (
    OPEN_END,
    Accreditation,
    Did,
    DidRecord,
    LevelOfAssurance,
    OfficeId,
    OfficeRecord,
    OfficeStatus,
    TrustDecision,
    TrustReason,
)

__all__ = ["TrustRegistryClient"]


class TrustRegistryClient(GovernedClient):
    """Who may issue which credential, and since when."""

    contract_name = "TrustRegistry"

    def register_office_call(
        self, office: OfficeId, state: str, city: str, name: str, admin: ChecksumAddress
    ) -> EncodedCall:
        """The call that admits an office (to be proposed to the consortium)."""
        return self._encode(
            "registerOffice",
            office,
            state,
            city,
            name,
            admin,
            description=f"Admit issuer office {name} {city} ({state})",
        )

    def set_office_admin_call(self, office: OfficeId, admin: ChecksumAddress) -> EncodedCall:
        """The call that hands an office to a new admin account (to be proposed)."""
        return self._encode("setOfficeAdmin", office, admin, description=f"Hand office to {admin}")

    def retire_office_call(self, office: OfficeId) -> EncodedCall:
        """The call that retires an office for good (to be proposed; retired is final)."""
        return self._encode("retireOffice", office, description="Retire issuer office")

    def set_office_status(
        self, account: LocalAccount, office: OfficeId, status: OfficeStatus
    ) -> TxResult:
        """Suspend or reactivate an office (TRUST_ADMIN_ROLE)."""
        return self._transact(
            account,
            "setOfficeStatus",
            office,
            int(status),
            description=f"Setting office status to {status.name.lower()}",
        )

    def accredit(
        self,
        account: LocalAccount,
        office: OfficeId,
        vct: str,
        level: LevelOfAssurance,
        valid_from: int,
        valid_until: int = OPEN_END,
    ) -> TxResult:
        """Accredit an office for credential type `vct` (TRUST_ADMIN_ROLE)."""
        return self._transact(
            account,
            "accredit",
            office,
            vct,
            valid_from,
            valid_until,
            int(level),
            description=f"Accreditation for {vct}",
        )

    def end_accreditation(
        self, account: LocalAccount, office: OfficeId, vct: str, index: int
    ) -> TxResult:
        """End an accreditation now (TRUST_ADMIN_ROLE)."""
        return self._transact(
            account,
            "endAccreditation",
            office,
            vct,
            index,
            description=f"Ending accreditation {index} for {vct}",
        )

    def register_did(
        self, admin: LocalAccount, office: OfficeId, did: Did, key_thumbprint: bytes
    ) -> TxResult:
        """Register a DID of the office with the SHA-256 thumbprint of its key (office admin)."""
        return self._transact(
            admin,
            "registerDid",
            office,
            did,
            key_thumbprint,
            description=f"Registering DID {did[:32]}…",
        )

    def retire_did(self, account: LocalAccount, did: Did) -> TxResult:
        """Retire a DID from now on (office admin or TRUST_ADMIN_ROLE)."""
        return self._transact(account, "retireDid", did, description="Retiring a DID")

    def office(self, office: OfficeId) -> OfficeRecord:
        """An office by id."""
        state, city, name, admin, status, registered_at = self._call("office", office)
        return OfficeRecord(
            office_id=office,
            state=state,
            city=city,
            name=name,
            admin=admin,
            status=OfficeStatus(status),
            registered_at=registered_at,
        )

    def offices(self) -> list[OfficeRecord]:
        """All offices, in order of admission."""
        return [self.office(OfficeId(bytes(i))) for i in self._call("officeIds")]

    def did_record(self, did: Did) -> DidRecord:
        """The record of a DID."""
        office, did_text, thumbprint, valid_from, valid_until = self._call("didRecord", did)
        return DidRecord(
            office_id=OfficeId(bytes(office)),
            did=Did(did_text),
            key_thumbprint=bytes(thumbprint),
            valid_from=valid_from,
            valid_until=valid_until,
        )

    def office_dids(self, office: OfficeId) -> list[Did]:
        """Every DID an office ever registered."""
        return [Did(d) for d in self._call("officeDids", office)]

    def accreditations(self, office: OfficeId, vct: str) -> list[Accreditation]:
        """All accreditations of an office for `vct`, including ended ones."""
        return [
            Accreditation(
                vct=a[0],
                valid_from=a[1],
                valid_until=a[2],
                level_of_assurance=LevelOfAssurance(a[3]),
                recorded_at=a[4],
            )
            for a in self._call("accreditations", office, vct)
        ]

    def trust_at(self, did: Did, vct: str, at: int) -> TrustDecision:
        """Was `did` trusted to issue `vct` at unix time `at` (and is its office active)?"""
        trusted, reason, office, level = self._call("trustAt", did, vct, at)
        office_bytes = bytes(office)
        return TrustDecision(
            trusted=trusted,
            reason=TrustReason(reason),
            office_id=OfficeId(office_bytes) if any(office_bytes) else None,
            level_of_assurance=LevelOfAssurance(level) if level else None,
        )
