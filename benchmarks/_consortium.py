"""The chain every credential benchmark starts from: the consortium (Aachen,
Gelsenkirchen, Soest; 2 of 3 decide) on the embedded EVM, the Ordnungsamt Aachen
admitted with its admin, Aachen as trust admin, the admin as status issuer, and the
office accredited at level hoch for all four types. Each benchmark then registers its
own DID and creates its status list."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.chain.backends import EmbeddedBackend
from govchain.chain.deployment import Deployment, Founder, deploy_consortium
from govchain.chain.gateway import ChainGateway
from govchain.chain.types import LevelOfAssurance, OfficeId, Role, office_id
from govchain.credentials.types import credential_types

__all__ = ["Consortium", "accredited_office"]


@dataclass(frozen=True)
class Consortium:
    gateway: ChainGateway
    d: Deployment
    office: OfficeId
    admin: LocalAccount  # the office's admin: registers DIDs, owns status lists


def _funded(gateway: ChainGateway) -> LocalAccount:
    account: LocalAccount = Account.create()
    gateway.fund(account.address, 10**21)
    return account


def accredited_office() -> Consortium:
    """A fresh embedded chain with the consortium and the accredited office."""
    gateway = ChainGateway(EmbeddedBackend())
    deployer, aachen, gelsenkirchen, soest, admin = (_funded(gateway) for _ in range(5))
    d = deploy_consortium(
        gateway,
        deployer,
        [Founder(name=n, address=a.address) for n, a in
         (("Aachen", aachen), ("Gelsenkirchen", gelsenkirchen), ("Soest", soest))],
        2,
    )  # fmt: skip
    office = office_id("NRW", "Aachen", "Ordnungsamt")
    for call in (
        d.trust.register_office_call(office, "NRW", "Aachen", "Ordnungsamt", admin.address),
        d.trust.grant_role_call(Role.TRUST_ADMIN, aachen.address),
        d.status.grant_role_call(Role.STATUS_ISSUER, admin.address),
    ):
        d.consortium.decide(aachen, [gelsenkirchen], call)
    start = gateway.block_timestamp()
    for ctype in credential_types():
        d.trust.accredit(aachen, office, ctype.vct, LevelOfAssurance.HIGH, start)
    return Consortium(gateway, d, office, admin)
