// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

/// @title Account permissioning: which accounts may send transactions
/// @notice `transactionAllowed` is Hyperledger Besu's account-rules interface. Besu 25.6+
///         dropped on-chain permissioning, so govchain also renders this allowlist into
///         Besu's local permissioning config; the contract stays the consortium's record.
interface IAccountRules {
    /// @notice Emitted after the consortium allowed `account` to transact.
    event AccountAllowed(address indexed account, string label);

    /// @notice Emitted after the consortium withdrew `account`'s permission.
    event AccountDisallowed(address indexed account);

    /// @notice The account is on the allowlist already.
    error AccountRulesAlreadyAllowed(address account);

    /// @notice The account is not on the allowlist.
    error AccountRulesNotAllowed(address account);

    /// @notice Besu's check: may `sender` send this transaction?
    function transactionAllowed(
        address sender,
        address target,
        uint256 value,
        uint256 gasPrice,
        uint256 gasLimit,
        bytes calldata payload
    ) external view returns (bool);

    /// @notice Puts an account on the allowlist. Only through a consortium vote.
    function allowAccount(address account, string calldata label) external;

    /// @notice Takes an account off the allowlist. Only through a consortium vote.
    function disallowAccount(address account) external;

    /// @notice Whether `account` is on the allowlist.
    function isAllowed(address account) external view returns (bool);

    /// @notice The allowlist, in order of admission (removals swap in the last entry).
    function allowedAccounts() external view returns (address[] memory);
}
