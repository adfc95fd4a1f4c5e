// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

import {GovernedAccess} from "./GovernedAccess.sol";
import {IAccountRules} from "./IAccountRules.sol";
import {IGovernedAccess} from "./IGovernedAccess.sol";

/// @title The consortium's account allowlist
contract AccountRules is IAccountRules, GovernedAccess {
    address[] private _accounts;
    mapping(address account => uint256 positionPlusOne) private _position;

    constructor(address consortium_) GovernedAccess(consortium_) {}

    /// @inheritdoc IAccountRules
    function transactionAllowed(
        address sender,
        address,
        uint256,
        uint256,
        uint256,
        bytes calldata
    ) external view returns (bool) {
        return _position[sender] != 0;
    }

    /// @inheritdoc IAccountRules
    function allowAccount(address account, string calldata label) external onlyConsortium {
        if (account == address(0)) revert GovernedAccessZeroAddress();
        if (_position[account] != 0) revert AccountRulesAlreadyAllowed(account);
        _accounts.push(account);
        _position[account] = _accounts.length;
        emit AccountAllowed(account, label);
    }

    /// @inheritdoc IAccountRules
    function disallowAccount(address account) external onlyConsortium {
        uint256 position = _position[account];
        if (position == 0) revert AccountRulesNotAllowed(account);
        address last = _accounts[_accounts.length - 1];
        _accounts[position - 1] = last;
        _position[last] = position;
        _accounts.pop();
        delete _position[account];
        emit AccountDisallowed(account);
    }

    /// @inheritdoc IAccountRules
    function isAllowed(address account) external view returns (bool) {
        return _position[account] != 0;
    }

    /// @inheritdoc IAccountRules
    function allowedAccounts() external view returns (address[] memory) {
        return _accounts;
    }

    /// @inheritdoc IGovernedAccess
    function version() external pure returns (string memory) {
        return "1.0.0";
    }
}
