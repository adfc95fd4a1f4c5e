"""Common ground of the typed contract clients."""

from __future__ import annotations

from typing import Any, ClassVar

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from govchain.chain.gateway import ChainGateway, EncodedCall, TxResult
from govchain.chain.types import Role


class ContractClient:
    """A typed client of one deployed govchain contract."""

    contract_name: ClassVar[str]

    def __init__(self, gateway: ChainGateway, address: ChecksumAddress) -> None:
        self.gateway = gateway
        self.address = address

    def _call(self, function: str, *args: Any) -> Any:
        return self.gateway.call(self.contract_name, self.address, function, *args)

    def _transact(
        self, account: LocalAccount, function: str, *args: Any, description: str
    ) -> TxResult:
        return self.gateway.transact(
            account, self.contract_name, self.address, function, *args, description=description
        )

    def _encode(self, function: str, *args: Any, description: str) -> EncodedCall:
        return self.gateway.encode(
            self.contract_name, self.address, function, *args, description=description
        )

    def version(self) -> str:
        """The deployed contract's semantic version."""
        return str(self._call("version"))


class GovernedClient(ContractClient):
    """A client of a registry whose roles only the consortium grants."""

    def has_role(self, role: Role, account: ChecksumAddress) -> bool:
        """Whether `account` holds `role` here."""
        return bool(self._call("hasRole", role.id, account))

    def grant_role_call(self, role: Role, account: ChecksumAddress) -> EncodedCall:
        """The call a consortium proposal makes to grant `role` to `account`."""
        return self._encode(
            "grantRole", role.id, account, description=f"Grant {role.value} to {account}"
        )

    def revoke_role_call(self, role: Role, account: ChecksumAddress) -> EncodedCall:
        """The call a consortium proposal makes to revoke `role` from `account`."""
        return self._encode(
            "revokeRole", role.id, account, description=f"Revoke {role.value} from {account}"
        )

    def grant_role(self, account: LocalAccount, role: Role, grantee: ChecksumAddress) -> TxResult:
        """Try to grant a role directly; the contract refuses anyone but the consortium."""
        return self._transact(
            account, "grantRole", role.id, grantee, description=f"Granting {role.value}"
        )
