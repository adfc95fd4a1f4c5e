// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

/// @title Roles that only the consortium can grant
/// @notice Every govchain registry delegates its role administration to the Consortium
///         contract: a role is granted or revoked only by an executed M-of-N proposal.
interface IGovernedAccess {
    /// @notice Emitted after the consortium granted `role` to `account`.
    event RoleGranted(bytes32 indexed role, address indexed account);

    /// @notice Emitted after the consortium revoked `role` from `account`.
    event RoleRevoked(bytes32 indexed role, address indexed account);

    /// @notice The caller is not the Consortium contract.
    error GovernedAccessNotConsortium(address caller);

    /// @notice The caller lacks `role`.
    error GovernedAccessMissingRole(address caller, bytes32 role);

    /// @notice The zero address cannot hold a role or govern.
    error GovernedAccessZeroAddress();

    /// @notice The Consortium contract that administers this contract's roles.
    function consortium() external view returns (address);

    /// @notice Whether `account` holds `role`.
    function hasRole(bytes32 role, address account) external view returns (bool);

    /// @notice Grants `role` to `account`. Only the Consortium contract may call this.
    function grantRole(bytes32 role, address account) external;

    /// @notice Revokes `role` from `account`. Only the Consortium contract may call this.
    function revokeRole(bytes32 role, address account) external;

    /// @notice The contract's semantic version, e.g. "1.0.0".
    function version() external pure returns (string memory);
}
