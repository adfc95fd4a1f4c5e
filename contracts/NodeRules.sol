// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

import {GovernedAccess} from "./GovernedAccess.sol";
import {IGovernedAccess} from "./IGovernedAccess.sol";
import {INodeRules} from "./INodeRules.sol";

/// @title The consortium's node allowlist
contract NodeRules is INodeRules, GovernedAccess {
    Node[] private _nodes;
    mapping(bytes32 nodeKey => uint256 positionPlusOne) private _position;

    constructor(address consortium_) GovernedAccess(consortium_) {}

    /// @inheritdoc INodeRules
    function connectionAllowed(string calldata enodeId, string calldata enodeHost, uint16 enodePort)
        external
        view
        returns (bool)
    {
        uint256 position = _position[_key(enodeId)];
        if (position == 0) return false;
        Node storage n = _nodes[position - 1];
        return n.port == enodePort && keccak256(bytes(n.host)) == keccak256(bytes(enodeHost));
    }

    /// @inheritdoc INodeRules
    function allowNode(
        string calldata enodeId,
        string calldata host,
        uint16 port,
        string calldata city
    ) external onlyConsortium {
        if (!_isHex128(enodeId) || bytes(host).length == 0 || port == 0) {
            revert NodeRulesInvalidNode(enodeId);
        }
        bytes32 key = _key(enodeId);
        if (_position[key] != 0) revert NodeRulesAlreadyAllowed(enodeId);
        _nodes.push(Node({enodeId: enodeId, host: host, port: port, city: city}));
        _position[key] = _nodes.length;
        emit NodeAllowed(key, enodeId, host, port, city);
    }

    /// @inheritdoc INodeRules
    function disallowNode(string calldata enodeId) external onlyConsortium {
        bytes32 key = _key(enodeId);
        uint256 position = _position[key];
        if (position == 0) revert NodeRulesNotAllowed(enodeId);
        Node storage last = _nodes[_nodes.length - 1];
        _position[_key(last.enodeId)] = position;
        _nodes[position - 1] = last;
        _nodes.pop();
        delete _position[key];
        emit NodeDisallowed(key, enodeId);
    }

    /// @inheritdoc INodeRules
    function allowedNodes() external view returns (Node[] memory) {
        return _nodes;
    }

    /// @inheritdoc INodeRules
    function getContractVersion() external pure returns (uint256) {
        return 2_000_000;
    }

    /// @inheritdoc IGovernedAccess
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    function _key(string memory enodeId) private pure returns (bytes32) {
        return keccak256(bytes(_lower(enodeId)));
    }

    function _lower(string memory s) private pure returns (string memory) {
        bytes memory b = bytes(s);
        for (uint256 i = 0; i < b.length; i++) {
            if (b[i] >= 0x41 && b[i] <= 0x46) b[i] = bytes1(uint8(b[i]) + 32);
        }
        return string(b);
    }

    function _isHex128(string calldata s) private pure returns (bool) {
        bytes calldata b = bytes(s);
        if (b.length != 128) return false;
        for (uint256 i = 0; i < b.length; i++) {
            bytes1 c = b[i];
            bool digit = c >= 0x30 && c <= 0x39;
            bool lower = c >= 0x61 && c <= 0x66;
            bool upper = c >= 0x41 && c <= 0x46;
            if (!(digit || lower || upper)) return false;
        }
        return true;
    }
}
