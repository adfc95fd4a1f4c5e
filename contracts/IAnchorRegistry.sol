// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

/// @title Anchors of append-only Merkle logs
/// @notice Per namespace (one per service, e.g. "archive.aachen"), the size and root of an
///         RFC 9162 style Merkle log at each anchor. One anchor costs the same gas however
///         many documents the log holds. Anchors only grow: each is larger than the last.
interface IAnchorRegistry {
    /// @notice A namespace and the account that anchors into it.
    struct Namespace {
        string name;
        address owner;
        uint64 createdAt;
    }

    /// @notice The log of `treeSize` leaves had `root`, anchored in block `blockNumber`
    ///         at time `timestamp`.
    struct Anchor {
        uint64 treeSize;
        uint64 blockNumber;
        uint64 timestamp;
        bytes32 root;
    }

    /// @notice Emitted after a namespace was registered.
    event NamespaceRegistered(bytes32 indexed namespaceId, string name, address indexed owner);

    /// @notice Emitted after a root was anchored.
    event Anchored(
        bytes32 indexed namespaceId, uint256 indexed index, uint64 treeSize, bytes32 root
    );

    /// @notice A namespace of this name exists already.
    error AnchorRegistryNamespaceExists(bytes32 namespaceId);

    /// @notice No namespace has this id.
    error AnchorRegistryUnknownNamespace(bytes32 namespaceId);

    /// @notice The caller does not own this namespace.
    error AnchorRegistryNotNamespaceOwner(address caller, bytes32 namespaceId);

    /// @notice A namespace name must be 1 to 128 bytes.
    error AnchorRegistryInvalidName();

    /// @notice An anchor's tree must be larger than the last anchored one.
    error AnchorRegistryTreeNotGrowing(bytes32 namespaceId, uint64 lastSize, uint64 treeSize);

    /// @notice A root must not be zero.
    error AnchorRegistryZeroRoot();

    /// @notice No anchor at this position.
    error AnchorRegistryUnknownAnchor(bytes32 namespaceId, uint256 index);

    /// @notice No anchor of this tree size.
    error AnchorRegistryUnknownSize(bytes32 namespaceId, uint64 treeSize);

    /// @notice Registers a namespace owned by the caller. Needs ANCHORER_ROLE.
    function registerNamespace(string calldata name) external returns (bytes32 namespaceId);

    /// @notice Anchors the root of the namespace's log at `treeSize` leaves. The owner,
    ///         while it holds ANCHORER_ROLE.
    function anchor(bytes32 namespaceId, uint64 treeSize, bytes32 root)
        external
        returns (uint256 index);

    /// @notice The id of a namespace name (its keccak256).
    function namespaceId(string calldata name) external pure returns (bytes32);

    /// @notice A namespace by id.
    function namespace(bytes32 namespaceId) external view returns (Namespace memory);

    /// @notice How many anchors a namespace has.
    function anchorCount(bytes32 namespaceId) external view returns (uint256);

    /// @notice The anchor at position `index`.
    function anchorAt(bytes32 namespaceId, uint256 index) external view returns (Anchor memory);

    /// @notice The anchor of the log at exactly `treeSize` leaves, and its position.
    function anchorOfSize(bytes32 namespaceId, uint64 treeSize)
        external
        view
        returns (uint256 index, Anchor memory);

    /// @notice The most recent anchor.
    function latestAnchor(bytes32 namespaceId) external view returns (Anchor memory);

    /// @notice The role that may register namespaces.
    function ANCHORER_ROLE() external pure returns (bytes32);
}
