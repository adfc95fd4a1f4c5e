// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

/// @title The consortium of member cities
/// @notice Member cities decide together: any member proposes a call, and once `threshold`
///         members approved it, the consortium executes it. This is the only path by which
///         roles on the registries are granted, offices admitted and allowlists changed.
interface IConsortium {
    /// @notice A member city.
    struct Member {
        string name;
        uint64 joinedAt;
    }

    /// @notice A proposed call of `target` with `data`, open for approval until `deadline`.
    struct Proposal {
        address proposer;
        address target;
        bytes data;
        string description;
        uint64 createdAt;
        uint64 deadline;
        bool executed;
    }

    /// @notice Emitted after `member` joined the consortium.
    event MemberAdded(address indexed member, string name);

    /// @notice Emitted after `member` left the consortium.
    event MemberRemoved(address indexed member);

    /// @notice Emitted after the number of approvals needed changed.
    event ThresholdChanged(uint32 threshold);

    /// @notice Emitted after a member proposed a call.
    event ProposalCreated(
        uint256 indexed proposalId,
        address indexed proposer,
        address indexed target,
        bytes data,
        string description,
        uint64 deadline
    );

    /// @notice Emitted after a member approved a proposal.
    event ProposalApproved(uint256 indexed proposalId, address indexed member, uint32 approvals);

    /// @notice Emitted after a proposal reached the threshold and its call succeeded.
    event ProposalExecuted(uint256 indexed proposalId);

    /// @notice The caller is not a member city.
    error ConsortiumNotMember(address caller);

    /// @notice Only the consortium itself (through an executed proposal) may call this.
    error ConsortiumNotSelf(address caller);

    /// @notice `account` is already a member.
    error ConsortiumAlreadyMember(address account);

    /// @notice `account` is not a member.
    error ConsortiumUnknownMember(address account);

    /// @notice `threshold` approvals cannot work with `memberCount` members.
    error ConsortiumInvalidThreshold(uint32 threshold, uint32 memberCount);

    /// @notice No proposal has this id.
    error ConsortiumUnknownProposal(uint256 proposalId);

    /// @notice `member` already approved this proposal.
    error ConsortiumAlreadyApproved(uint256 proposalId, address member);

    /// @notice The proposal was already executed.
    error ConsortiumProposalClosed(uint256 proposalId);

    /// @notice The proposal's voting period ended at `deadline`.
    error ConsortiumProposalExpired(uint256 proposalId, uint64 deadline);

    /// @notice The proposed call reverted with `reason`; the approval was not recorded.
    error ConsortiumExecutionFailed(uint256 proposalId, bytes reason);

    /// @notice A name must not be empty.
    error ConsortiumEmptyName();

    /// @notice The zero address cannot be a member or a target.
    error ConsortiumZeroAddress();

    /// @notice A proposal's target must be a deployed contract.
    error ConsortiumNotAContract(address target);

    /// @notice The founding members and their names must be given pairwise.
    error ConsortiumLengthMismatch(uint256 members, uint256 names);

    /// @notice Proposes that the consortium call contract `target` with `data`; counts as the
    ///         proposer's approval (and executes at once if the threshold is 1).
    function propose(address target, bytes calldata data, string calldata description)
        external
        returns (uint256 proposalId);

    /// @notice Approves a proposal; executes it when the threshold is reached.
    function approve(uint256 proposalId) external;

    /// @notice Admits a member city. Only through an executed proposal.
    function addMember(address account, string calldata name) external;

    /// @notice Removes a member city. Only through an executed proposal.
    function removeMember(address account) external;

    /// @notice Changes the number of approvals needed. Only through an executed proposal.
    function setThreshold(uint32 threshold) external;

    /// @notice Whether `account` is a member city.
    function isMember(address account) external view returns (bool);

    /// @notice The member record of `account`.
    function member(address account) external view returns (Member memory);

    /// @notice All current member addresses.
    function members() external view returns (address[] memory);

    /// @notice The number of approvals a proposal needs.
    function threshold() external view returns (uint32);

    /// @notice The number of proposals ever made; ids run from 0 to this minus one.
    function proposalCount() external view returns (uint256);

    /// @notice A proposal by id.
    function proposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice How many current members approved a proposal.
    function approvals(uint256 proposalId) external view returns (uint32);

    /// @notice Whether `account` approved a proposal.
    function hasApproved(uint256 proposalId, address account) external view returns (bool);

    /// @notice How long a proposal stays open, in seconds.
    function votingPeriod() external pure returns (uint64);

    /// @notice The contract's semantic version.
    function version() external pure returns (string memory);
}
