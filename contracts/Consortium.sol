// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

import {IConsortium} from "./IConsortium.sol";

/// @title The consortium of member cities, deciding M-of-N
contract Consortium is IConsortium {
    uint64 private constant _VOTING_PERIOD = 7 days;

    address[] private _memberList;
    mapping(address account => uint256 positionPlusOne) private _memberPosition;
    mapping(address account => Member) private _members;
    uint32 private _threshold;
    Proposal[] private _proposals;
    // An approval counts only for the membership it was given in: a member who leaves and
    // is admitted again starts a new epoch, and old approvals no longer count.
    mapping(address account => uint256 epoch) private _memberEpoch;
    mapping(uint256 proposalId => mapping(address account => uint256 epoch)) private _approved;

    /// @param founders the founding member cities' accounts
    /// @param names their names, pairwise with `founders`
    /// @param threshold_ approvals needed, between 1 and the number of founders
    constructor(address[] memory founders, string[] memory names, uint32 threshold_) {
        if (founders.length != names.length) {
            revert ConsortiumLengthMismatch(founders.length, names.length);
        }
        for (uint256 i = 0; i < founders.length; i++) {
            _addMember(founders[i], names[i]);
        }
        _setThreshold(threshold_);
    }

    modifier onlyMember() {
        if (_memberPosition[msg.sender] == 0) revert ConsortiumNotMember(msg.sender);
        _;
    }

    modifier onlySelf() {
        if (msg.sender != address(this)) revert ConsortiumNotSelf(msg.sender);
        _;
    }

    /// @inheritdoc IConsortium
    function propose(address target, bytes calldata data, string calldata description)
        external
        onlyMember
        returns (uint256 proposalId)
    {
        if (target == address(0)) revert ConsortiumZeroAddress();
        if (target.code.length == 0) revert ConsortiumNotAContract(target);
        proposalId = _proposals.length;
        uint64 deadline = uint64(block.timestamp) + _VOTING_PERIOD;
        _proposals.push(
            Proposal({
                proposer: msg.sender,
                target: target,
                data: data,
                description: description,
                createdAt: uint64(block.timestamp),
                deadline: deadline,
                executed: false
            })
        );
        emit ProposalCreated(proposalId, msg.sender, target, data, description, deadline);
        _approve(proposalId);
    }

    /// @inheritdoc IConsortium
    function approve(uint256 proposalId) external onlyMember {
        if (proposalId >= _proposals.length) revert ConsortiumUnknownProposal(proposalId);
        Proposal storage p = _proposals[proposalId];
        if (p.executed) revert ConsortiumProposalClosed(proposalId);
        if (block.timestamp > p.deadline) revert ConsortiumProposalExpired(proposalId, p.deadline);
        if (_hasApproved(proposalId, msg.sender)) {
            revert ConsortiumAlreadyApproved(proposalId, msg.sender);
        }
        _approve(proposalId);
    }

    /// @inheritdoc IConsortium
    function addMember(address account, string calldata name) external onlySelf {
        _addMember(account, name);
    }

    /// @inheritdoc IConsortium
    function removeMember(address account) external onlySelf {
        uint256 position = _memberPosition[account];
        if (position == 0) revert ConsortiumUnknownMember(account);
        uint32 remaining = uint32(_memberList.length - 1);
        if (_threshold > remaining) revert ConsortiumInvalidThreshold(_threshold, remaining);
        address last = _memberList[_memberList.length - 1];
        _memberList[position - 1] = last;
        _memberPosition[last] = position;
        _memberList.pop();
        delete _memberPosition[account];
        delete _members[account];
        emit MemberRemoved(account);
    }

    /// @inheritdoc IConsortium
    function setThreshold(uint32 threshold_) external onlySelf {
        _setThreshold(threshold_);
    }

    /// @inheritdoc IConsortium
    function isMember(address account) external view returns (bool) {
        return _memberPosition[account] != 0;
    }

    /// @inheritdoc IConsortium
    function member(address account) external view returns (Member memory) {
        if (_memberPosition[account] == 0) revert ConsortiumUnknownMember(account);
        return _members[account];
    }

    /// @inheritdoc IConsortium
    function members() external view returns (address[] memory) {
        return _memberList;
    }

    /// @inheritdoc IConsortium
    function threshold() external view returns (uint32) {
        return _threshold;
    }

    /// @inheritdoc IConsortium
    function proposalCount() external view returns (uint256) {
        return _proposals.length;
    }

    /// @inheritdoc IConsortium
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        if (proposalId >= _proposals.length) revert ConsortiumUnknownProposal(proposalId);
        return _proposals[proposalId];
    }

    /// @inheritdoc IConsortium
    function approvals(uint256 proposalId) public view returns (uint32 count) {
        if (proposalId >= _proposals.length) revert ConsortiumUnknownProposal(proposalId);
        // Counted over current members, so a member who left no longer counts.
        for (uint256 i = 0; i < _memberList.length; i++) {
            if (_hasApproved(proposalId, _memberList[i])) count++;
        }
    }

    /// @inheritdoc IConsortium
    function hasApproved(uint256 proposalId, address account) external view returns (bool) {
        return _memberPosition[account] != 0 && _hasApproved(proposalId, account);
    }

    /// @inheritdoc IConsortium
    function votingPeriod() external pure returns (uint64) {
        return _VOTING_PERIOD;
    }

    /// @inheritdoc IConsortium
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    function _hasApproved(uint256 proposalId, address account) private view returns (bool) {
        uint256 epoch = _approved[proposalId][account];
        return epoch != 0 && epoch == _memberEpoch[account];
    }

    function _approve(uint256 proposalId) private {
        _approved[proposalId][msg.sender] = _memberEpoch[msg.sender];
        uint32 count = approvals(proposalId);
        emit ProposalApproved(proposalId, msg.sender, count);
        if (count >= _threshold) {
            Proposal storage p = _proposals[proposalId];
            p.executed = true;
            (bool ok, bytes memory reason) = p.target.call(p.data);
            if (!ok) revert ConsortiumExecutionFailed(proposalId, reason);
            emit ProposalExecuted(proposalId);
        }
    }

    function _addMember(address account, string memory name) private {
        if (account == address(0)) revert ConsortiumZeroAddress();
        if (bytes(name).length == 0) revert ConsortiumEmptyName();
        if (_memberPosition[account] != 0) revert ConsortiumAlreadyMember(account);
        _memberList.push(account);
        _memberPosition[account] = _memberList.length;
        _members[account] = Member({name: name, joinedAt: uint64(block.timestamp)});
        _memberEpoch[account] += 1;
        emit MemberAdded(account, name);
    }

    function _setThreshold(uint32 threshold_) private {
        uint32 count = uint32(_memberList.length);
        if (threshold_ == 0 || threshold_ > count) {
            revert ConsortiumInvalidThreshold(threshold_, count);
        }
        _threshold = threshold_;
        emit ThresholdChanged(threshold_);
    }
}
