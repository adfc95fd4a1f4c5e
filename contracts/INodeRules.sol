// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

/// @title Node permissioning: which nodes may join the network
/// @notice `connectionAllowed` is Hyperledger Besu's node-rules interface, version 2
///         (enode id, host, port). As with accounts, govchain renders this allowlist into
///         Besu's local permissioning config.
interface INodeRules {
    /// @notice A node of a member city: its enode id (128 hex characters, no 0x), host
    ///         (IP address) and P2P port.
    struct Node {
        string enodeId;
        string host;
        uint16 port;
        string city;
    }

    /// @notice Emitted after the consortium admitted a node.
    event NodeAllowed(bytes32 indexed nodeKey, string enodeId, string host, uint16 port, string city);

    /// @notice Emitted after the consortium removed a node.
    event NodeDisallowed(bytes32 indexed nodeKey, string enodeId);

    /// @notice This enode id is on the allowlist already.
    error NodeRulesAlreadyAllowed(string enodeId);

    /// @notice This enode id is not on the allowlist.
    error NodeRulesNotAllowed(string enodeId);

    /// @notice An enode id must be 128 hex characters, a host and a port must be given.
    error NodeRulesInvalidNode(string enodeId);

    /// @notice Besu's check (version 2): may this node connect?
    function connectionAllowed(string calldata enodeId, string calldata enodeHost, uint16 enodePort)
        external
        view
        returns (bool);

    /// @notice Admits a node. Only through a consortium vote.
    function allowNode(
        string calldata enodeId,
        string calldata host,
        uint16 port,
        string calldata city
    ) external;

    /// @notice Removes a node. Only through a consortium vote.
    function disallowNode(string calldata enodeId) external;

    /// @notice The allowlist.
    function allowedNodes() external view returns (Node[] memory);

    /// @notice The interface version Besu asks for.
    function getContractVersion() external pure returns (uint256);
}
