"""Typed client of the StatusRegistry: status lists with 2-bit entries."""

from __future__ import annotations

from collections.abc import Mapping

from eth_account.signers.local import LocalAccount

from govchain.chain.clients._base import GovernedClient
from govchain.chain.gateway import TxResult
from govchain.chain.types import CredentialStatus, StatusListRecord

__all__ = ["StatusRegistryClient"]

DEFAULT_LIST_SIZE = 131_072
_WORDS_PER_CALL = 256


class StatusRegistryClient(GovernedClient):
    """Status lists owned by issuers."""

    contract_name = "StatusRegistry"

    def create_list(
        self, issuer: LocalAccount, size: int = DEFAULT_LIST_SIZE
    ) -> tuple[int, TxResult]:
        """Create a status list owned by `issuer`; returns its id."""
        tx = self._transact(
            issuer, "createList", size, description=f"Creating a status list of {size}"
        )
        return int(tx.events_named("StatusListCreated")[0].args["listId"]), tx

    def set_status(
        self, owner: LocalAccount, list_id: int, index: int, status: CredentialStatus
    ) -> TxResult:
        """Set one entry (list owner only; revoked is final)."""
        return self._transact(
            owner,
            "setStatus",
            list_id,
            index,
            int(status),
            description=f"Setting entry {index} of list {list_id} to {status.name.lower()}",
        )

    def set_statuses(
        self, owner: LocalAccount, list_id: int, changes: Mapping[int, CredentialStatus]
    ) -> TxResult:
        """Set several entries in one transaction (list owner only)."""
        indexes = list(changes)
        return self._transact(
            owner,
            "setStatuses",
            list_id,
            indexes,
            [int(changes[i]) for i in indexes],
            description=f"Setting {len(indexes)} entries of list {list_id}",
        )

    def status(self, list_id: int, index: int) -> CredentialStatus:
        """The status of one entry."""
        return CredentialStatus(self._call("statusOf", list_id, index))

    def status_list(self, list_id: int) -> StatusListRecord:
        """A list's record."""
        owner, size, created_at = self._call("list", list_id)
        return StatusListRecord(list_id=list_id, owner=owner, size=size, created_at=created_at)

    def list_count(self) -> int:
        """How many lists exist."""
        return int(self._call("listCount"))

    def packed_statuses(self, list_id: int) -> bytes:
        """The whole list as bytes, 4 entries a byte, least significant bits first.

        This is the layout of the IETF Token Status List with ``bits: 2`` (before
        compression), so an issuer can sign it directly. All words are read at one block.
        """
        block = self.gateway.block_number()  # every read from one block: a consistent list
        size = self.status_list(list_id).size
        total_words = size // 128
        out = bytearray()
        for offset in range(0, total_words, _WORDS_PER_CALL):
            words = self.gateway.call(
                self.contract_name,
                self.address,
                "words",
                list_id,
                offset,
                _WORDS_PER_CALL,
                block=block,
            )
            for word in words:
                out += int(word).to_bytes(32, "little")
        return bytes(out)
