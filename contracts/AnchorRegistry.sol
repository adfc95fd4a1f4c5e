// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

import {GovernedAccess} from "./GovernedAccess.sol";
import {IAnchorRegistry} from "./IAnchorRegistry.sol";
import {IGovernedAccess} from "./IGovernedAccess.sol";

/// @title Anchors of the platform services' Merkle logs
contract AnchorRegistry is IAnchorRegistry, GovernedAccess {
    bytes32 private constant _ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    mapping(bytes32 namespaceId => Namespace) private _namespaces;
    mapping(bytes32 namespaceId => Anchor[]) private _anchors;
    mapping(bytes32 namespaceId => mapping(uint64 treeSize => uint256 indexPlusOne)) private _bySize;

    constructor(address consortium_) GovernedAccess(consortium_) {}

    /// @inheritdoc IAnchorRegistry
    function registerNamespace(string calldata name)
        external
        onlyRole(_ANCHORER_ROLE)
        returns (bytes32 id)
    {
        uint256 length = bytes(name).length;
        if (length == 0 || length > 128) revert AnchorRegistryInvalidName();
        id = keccak256(bytes(name));
        if (_namespaces[id].owner != address(0)) revert AnchorRegistryNamespaceExists(id);
        _namespaces[id] = Namespace({name: name, owner: msg.sender, createdAt: uint64(block.timestamp)});
        emit NamespaceRegistered(id, name, msg.sender);
    }

    /// @inheritdoc IAnchorRegistry
    function anchor(bytes32 id, uint64 treeSize, bytes32 root) external returns (uint256 index) {
        Namespace storage ns = _namespaces[id];
        if (ns.owner == address(0)) revert AnchorRegistryUnknownNamespace(id);
        if (ns.owner != msg.sender) revert AnchorRegistryNotNamespaceOwner(msg.sender, id);
        if (!hasRole(_ANCHORER_ROLE, msg.sender)) {
            revert GovernedAccessMissingRole(msg.sender, _ANCHORER_ROLE);
        }
        if (root == bytes32(0)) revert AnchorRegistryZeroRoot();
        Anchor[] storage anchors = _anchors[id];
        uint64 lastSize = anchors.length == 0 ? 0 : anchors[anchors.length - 1].treeSize;
        if (treeSize <= lastSize) revert AnchorRegistryTreeNotGrowing(id, lastSize, treeSize);
        index = anchors.length;
        anchors.push(
            Anchor({
                treeSize: treeSize,
                blockNumber: uint64(block.number),
                timestamp: uint64(block.timestamp),
                root: root
            })
        );
        _bySize[id][treeSize] = index + 1;
        emit Anchored(id, index, treeSize, root);
    }

    /// @inheritdoc IAnchorRegistry
    function namespaceId(string calldata name) external pure returns (bytes32) {
        return keccak256(bytes(name));
    }

    /// @inheritdoc IAnchorRegistry
    function namespace(bytes32 id) external view returns (Namespace memory) {
        if (_namespaces[id].owner == address(0)) revert AnchorRegistryUnknownNamespace(id);
        return _namespaces[id];
    }

    /// @inheritdoc IAnchorRegistry
    function anchorCount(bytes32 id) external view returns (uint256) {
        return _anchors[id].length;
    }

    /// @inheritdoc IAnchorRegistry
    function anchorAt(bytes32 id, uint256 index) external view returns (Anchor memory) {
        if (index >= _anchors[id].length) revert AnchorRegistryUnknownAnchor(id, index);
        return _anchors[id][index];
    }

    /// @inheritdoc IAnchorRegistry
    function anchorOfSize(bytes32 id, uint64 treeSize)
        external
        view
        returns (uint256 index, Anchor memory)
    {
        uint256 indexPlusOne = _bySize[id][treeSize];
        if (indexPlusOne == 0) revert AnchorRegistryUnknownSize(id, treeSize);
        index = indexPlusOne - 1;
        return (index, _anchors[id][index]);
    }

    /// @inheritdoc IAnchorRegistry
    function latestAnchor(bytes32 id) external view returns (Anchor memory) {
        uint256 length = _anchors[id].length;
        if (length == 0) revert AnchorRegistryUnknownAnchor(id, 0);
        return _anchors[id][length - 1];
    }

    /// @inheritdoc IAnchorRegistry
    function ANCHORER_ROLE() external pure returns (bytes32) {
        return _ANCHORER_ROLE;
    }

    /// @inheritdoc IGovernedAccess
    function version() external pure returns (string memory) {
        return "1.0.0";
    }
}
