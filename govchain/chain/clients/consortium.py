"""Typed client of the Consortium contract: members, proposals and M-of-N decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from govchain.chain.clients._base import ContractClient
from govchain.chain.errors import ProposalNotExecutedError
from govchain.chain.gateway import EncodedCall, TxResult
from govchain.chain.types import Member, Proposal

__all__ = ["ConsortiumClient", "Decision"]


@dataclass(frozen=True)
class Decision:
    """A proposal carried through to execution: who voted, in which transactions."""

    proposal_id: int
    description: str
    transactions: tuple[TxResult, ...]

    @property
    def executed_in(self) -> TxResult:
        """The transaction in which the proposal reached its threshold and ran."""
        return self.transactions[-1]

    @property
    def gas_used(self) -> int:
        """Gas of all votes together."""
        return sum(tx.gas_used for tx in self.transactions)


class ConsortiumClient(ContractClient):
    """The member cities and their decisions."""

    contract_name = "Consortium"

    def members(self) -> list[Member]:
        """All current member cities."""
        result = []
        for address in self._call("members"):
            name, joined_at = self._call("member", address)
            result.append(Member(address=address, name=name, joined_at=joined_at))
        return result

    def is_member(self, address: ChecksumAddress) -> bool:
        """Whether `address` is a member city."""
        return bool(self._call("isMember", address))

    def threshold(self) -> int:
        """Approvals a proposal needs."""
        return int(self._call("threshold"))

    def proposal_count(self) -> int:
        """How many proposals were ever made."""
        return int(self._call("proposalCount"))

    def proposal(self, proposal_id: int) -> Proposal:
        """One proposal with its current approval count."""
        p = self._call("proposal", proposal_id)
        return Proposal(
            proposal_id=proposal_id,
            proposer=p[0],
            target=p[1],
            data=bytes(p[2]),
            description=p[3],
            created_at=p[4],
            deadline=p[5],
            executed=p[6],
            approvals=int(self._call("approvals", proposal_id)),
        )

    def propose(self, proposer: LocalAccount, call: EncodedCall) -> tuple[int, TxResult]:
        """Propose `call`; the proposer's vote counts at once. Returns the proposal id."""
        tx = self._transact(
            proposer,
            "propose",
            call.target,
            call.data,
            call.description,
            description=f"Proposal: {call.description}",
        )
        created = tx.events_named("ProposalCreated")
        return int(created[0].args["proposalId"]), tx

    def approve(self, member: LocalAccount, proposal_id: int) -> TxResult:
        """Approve a proposal; the approval that reaches the threshold executes it."""
        return self._transact(
            member, "approve", proposal_id, description=f"Approval of proposal {proposal_id}"
        )

    def decide(
        self, proposer: LocalAccount, voters: Sequence[LocalAccount], call: EncodedCall
    ) -> Decision:
        """Propose `call` and collect approvals from `voters` until it executes.

        Raises:
            ProposalNotExecutedError: when too few voters approve.
            ConsortiumExecutionFailed: when the executed call reverts (inner error decoded).
        """
        proposal_id, tx = self.propose(proposer, call)
        transactions = [tx]
        executed = bool(tx.events_named("ProposalExecuted"))
        for voter in voters:
            if executed:
                break
            if voter.address == proposer.address:
                continue
            tx = self.approve(voter, proposal_id)
            transactions.append(tx)
            executed = bool(tx.events_named("ProposalExecuted"))
        if not executed:
            raise ProposalNotExecutedError(
                proposal_id,
                call.description,
                self.proposal(proposal_id).approvals,
                self.threshold(),
            )
        return Decision(proposal_id, call.description, tuple(transactions))

    def add_member_call(self, address: ChecksumAddress, name: str) -> EncodedCall:
        """The call that admits a member city (to be proposed)."""
        return self._encode("addMember", address, name, description=f"Admit {name} as member")

    def remove_member_call(self, address: ChecksumAddress) -> EncodedCall:
        """The call that removes a member city (to be proposed)."""
        return self._encode("removeMember", address, description=f"Remove member {address}")

    def set_threshold_call(self, threshold: int) -> EncodedCall:
        """The call that changes the threshold (to be proposed)."""
        return self._encode("setThreshold", threshold, description=f"Set threshold to {threshold}")
