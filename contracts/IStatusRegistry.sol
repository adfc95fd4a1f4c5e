// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

/// @title Status lists of issued credentials
/// @notice Each list belongs to the issuer account that created it and holds 2-bit entries
///         with the values of the IETF Token Status List: 0 valid, 1 invalid (revoked),
///         2 suspended. Revoked is final. Entries are packed 128 to a storage word; the
///         words are readable in bulk so issuers can export signed status lists.
interface IStatusRegistry {
    /// @notice A status list: its owner (an issuer account), size and creation time.
    struct StatusList {
        address owner;
        uint32 size;
        uint64 createdAt;
    }

    /// @notice Emitted after an issuer created a status list.
    event StatusListCreated(uint256 indexed listId, address indexed owner, uint32 size);

    /// @notice Emitted after an entry changed from `previous` to `status`.
    event StatusChanged(uint256 indexed listId, uint32 indexed index, uint8 previous, uint8 status);

    /// @notice No list has this id.
    error StatusRegistryUnknownList(uint256 listId);

    /// @notice The caller does not own this list.
    error StatusRegistryNotListOwner(address caller, uint256 listId);

    /// @notice The index lies outside the list.
    error StatusRegistryIndexOutOfRange(uint256 listId, uint32 index, uint32 size);

    /// @notice Only 0 (valid), 1 (revoked) and 2 (suspended) are statuses.
    error StatusRegistryInvalidStatus(uint8 status);

    /// @notice The entry is revoked; revoked is final.
    error StatusRegistryRevokedIsFinal(uint256 listId, uint32 index);

    /// @notice A list's size must be a multiple of 128 within the allowed range.
    error StatusRegistryInvalidSize(uint32 size);

    /// @notice Indexes and statuses must be given pairwise.
    error StatusRegistryLengthMismatch(uint256 indexes, uint256 statuses);

    /// @notice Creates a status list of `size` entries, all valid. Needs STATUS_ISSUER_ROLE.
    function createList(uint32 size) external returns (uint256 listId);

    /// @notice Sets one entry. Only the list's owner, while it holds STATUS_ISSUER_ROLE.
    function setStatus(uint256 listId, uint32 index, uint8 status) external;

    /// @notice Sets several entries in one transaction. Only the list's owner.
    function setStatuses(uint256 listId, uint32[] calldata indexes, uint8[] calldata statuses)
        external;

    /// @notice The status of one entry.
    function statusOf(uint256 listId, uint32 index) external view returns (uint8);

    /// @notice A list's record.
    function list(uint256 listId) external view returns (StatusList memory);

    /// @notice The number of lists ever created; ids run from 0.
    function listCount() external view returns (uint256);

    /// @notice `count` packed words from word `offset`; entry i sits in word i / 128 at bit
    ///         2 * (i % 128), least significant bits first.
    function words(uint256 listId, uint256 offset, uint256 count)
        external
        view
        returns (uint256[] memory);

    /// @notice The smallest and largest allowed list sizes.
    function sizeBounds() external pure returns (uint32 minSize, uint32 maxSize);

    /// @notice The role that may create status lists.
    function STATUS_ISSUER_ROLE() external pure returns (bytes32);
}
