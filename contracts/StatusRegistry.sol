// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

import {GovernedAccess} from "./GovernedAccess.sol";
import {IGovernedAccess} from "./IGovernedAccess.sol";
import {IStatusRegistry} from "./IStatusRegistry.sol";

/// @title On-chain status lists with 2-bit entries
contract StatusRegistry is IStatusRegistry, GovernedAccess {
    bytes32 private constant _STATUS_ISSUER_ROLE = keccak256("STATUS_ISSUER_ROLE");
    uint8 private constant _VALID = 0;
    uint8 private constant _REVOKED = 1;
    uint8 private constant _SUSPENDED = 2;
    uint32 private constant _MIN_SIZE = 131_072;
    uint32 private constant _MAX_SIZE = 16_777_216;

    StatusList[] private _lists;
    mapping(uint256 listId => mapping(uint256 word => uint256 bits)) private _words;

    constructor(address consortium_) GovernedAccess(consortium_) {}

    /// @inheritdoc IStatusRegistry
    function createList(uint32 size)
        external
        onlyRole(_STATUS_ISSUER_ROLE)
        returns (uint256 listId)
    {
        if (size < _MIN_SIZE || size > _MAX_SIZE || size % 128 != 0) {
            revert StatusRegistryInvalidSize(size);
        }
        listId = _lists.length;
        _lists.push(StatusList({owner: msg.sender, size: size, createdAt: uint64(block.timestamp)}));
        emit StatusListCreated(listId, msg.sender, size);
    }

    /// @inheritdoc IStatusRegistry
    function setStatus(uint256 listId, uint32 index, uint8 status) external {
        StatusList storage l = _ownedList(listId);
        _set(listId, l.size, index, status);
    }

    /// @inheritdoc IStatusRegistry
    function setStatuses(uint256 listId, uint32[] calldata indexes, uint8[] calldata statuses)
        external
    {
        StatusList storage l = _ownedList(listId);
        if (indexes.length != statuses.length) {
            revert StatusRegistryLengthMismatch(indexes.length, statuses.length);
        }
        uint32 size = l.size;
        for (uint256 i = 0; i < indexes.length; i++) {
            _set(listId, size, indexes[i], statuses[i]);
        }
    }

    /// @inheritdoc IStatusRegistry
    function statusOf(uint256 listId, uint32 index) external view returns (uint8) {
        StatusList storage l = _existingList(listId);
        if (index >= l.size) revert StatusRegistryIndexOutOfRange(listId, index, l.size);
        return _get(listId, index);
    }

    /// @inheritdoc IStatusRegistry
    function list(uint256 listId) external view returns (StatusList memory) {
        return _existingList(listId);
    }

    /// @inheritdoc IStatusRegistry
    function listCount() external view returns (uint256) {
        return _lists.length;
    }

    /// @inheritdoc IStatusRegistry
    function words(uint256 listId, uint256 offset, uint256 count)
        external
        view
        returns (uint256[] memory result)
    {
        StatusList storage l = _existingList(listId);
        uint256 total = uint256(l.size) / 128;
        if (offset >= total) return new uint256[](0);
        if (count > total - offset) count = total - offset;
        result = new uint256[](count);
        for (uint256 i = 0; i < count; i++) {
            result[i] = _words[listId][offset + i];
        }
    }

    /// @inheritdoc IStatusRegistry
    function sizeBounds() external pure returns (uint32 minSize, uint32 maxSize) {
        return (_MIN_SIZE, _MAX_SIZE);
    }

    /// @inheritdoc IStatusRegistry
    function STATUS_ISSUER_ROLE() external pure returns (bytes32) {
        return _STATUS_ISSUER_ROLE;
    }

    /// @inheritdoc IGovernedAccess
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    function _existingList(uint256 listId) private view returns (StatusList storage) {
        if (listId >= _lists.length) revert StatusRegistryUnknownList(listId);
        return _lists[listId];
    }

    function _ownedList(uint256 listId) private view returns (StatusList storage l) {
        l = _existingList(listId);
        if (l.owner != msg.sender) revert StatusRegistryNotListOwner(msg.sender, listId);
        // A revoked role freezes the owner's lists until the consortium decides again.
        if (!hasRole(_STATUS_ISSUER_ROLE, msg.sender)) {
            revert GovernedAccessMissingRole(msg.sender, _STATUS_ISSUER_ROLE);
        }
    }

    function _get(uint256 listId, uint32 index) private view returns (uint8) {
        uint256 shift = uint256(index % 128) * 2;
        return uint8((_words[listId][index / 128] >> shift) & 3);
    }

    function _set(uint256 listId, uint32 size, uint32 index, uint8 status) private {
        if (index >= size) revert StatusRegistryIndexOutOfRange(listId, index, size);
        if (status > _SUSPENDED) revert StatusRegistryInvalidStatus(status);
        uint8 previous = _get(listId, index);
        if (previous == status) return;
        if (previous == _REVOKED) revert StatusRegistryRevokedIsFinal(listId, index);
        uint256 word = index / 128;
        uint256 shift = uint256(index % 128) * 2;
        uint256 bits = _words[listId][word];
        _words[listId][word] = (bits & ~(uint256(3) << shift)) | (uint256(status) << shift);
        emit StatusChanged(listId, index, previous, status);
    }
}
