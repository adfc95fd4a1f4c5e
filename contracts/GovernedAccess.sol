// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

import {IGovernedAccess} from "./IGovernedAccess.sol";

/// @title Base for contracts whose roles are administered by the consortium
abstract contract GovernedAccess is IGovernedAccess {
    address private immutable _consortium;
    mapping(bytes32 role => mapping(address account => bool)) private _roles;

    constructor(address consortium_) {
        if (consortium_ == address(0)) revert GovernedAccessZeroAddress();
        _consortium = consortium_;
    }

    modifier onlyConsortium() {
        if (msg.sender != _consortium) revert GovernedAccessNotConsortium(msg.sender);
        _;
    }

    modifier onlyRole(bytes32 role) {
        if (!_roles[role][msg.sender]) revert GovernedAccessMissingRole(msg.sender, role);
        _;
    }

    /// @inheritdoc IGovernedAccess
    function consortium() external view returns (address) {
        return _consortium;
    }

    /// @inheritdoc IGovernedAccess
    function hasRole(bytes32 role, address account) public view returns (bool) {
        return _roles[role][account];
    }

    /// @inheritdoc IGovernedAccess
    function grantRole(bytes32 role, address account) external onlyConsortium {
        if (account == address(0)) revert GovernedAccessZeroAddress();
        if (_roles[role][account]) return;
        _roles[role][account] = true;
        emit RoleGranted(role, account);
    }

    /// @inheritdoc IGovernedAccess
    function revokeRole(bytes32 role, address account) external onlyConsortium {
        if (!_roles[role][account]) return;
        _roles[role][account] = false;
        emit RoleRevoked(role, account);
    }
}
