// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

import {GovernedAccess} from "./GovernedAccess.sol";
import {IGovernedAccess} from "./IGovernedAccess.sol";
import {ITrustRegistry} from "./ITrustRegistry.sol";

/// @title Registry of issuer offices, their DIDs and accreditations
contract TrustRegistry is ITrustRegistry, GovernedAccess {
    bytes32 private constant _TRUST_ADMIN_ROLE = keccak256("TRUST_ADMIN_ROLE");
    uint64 private constant _OPEN_END = type(uint64).max;

    mapping(bytes32 officeId => Office) private _offices;
    bytes32[] private _officeIds;
    mapping(bytes32 officeId => string[]) private _officeDids;
    mapping(bytes32 didHash => DidRecord) private _dids;
    mapping(bytes32 officeId => mapping(bytes32 vctHash => Accreditation[])) private _accreditations;

    constructor(address consortium_) GovernedAccess(consortium_) {}

    /// @inheritdoc ITrustRegistry
    function registerOffice(
        bytes32 officeId,
        string calldata state,
        string calldata city,
        string calldata name,
        address admin
    ) external onlyConsortium {
        if (_offices[officeId].status != OfficeStatus.None) revert TrustRegistryOfficeExists(officeId);
        if (bytes(state).length == 0) revert TrustRegistryEmptyField("state");
        if (bytes(city).length == 0) revert TrustRegistryEmptyField("city");
        if (bytes(name).length == 0) revert TrustRegistryEmptyField("name");
        if (admin == address(0)) revert GovernedAccessZeroAddress();
        _offices[officeId] = Office({
            state: state,
            city: city,
            name: name,
            admin: admin,
            status: OfficeStatus.Active,
            registeredAt: uint64(block.timestamp)
        });
        _officeIds.push(officeId);
        emit OfficeRegistered(officeId, state, city, name, admin);
    }

    /// @inheritdoc ITrustRegistry
    function setOfficeAdmin(bytes32 officeId, address admin) external onlyConsortium {
        Office storage o = _liveOffice(officeId);
        if (admin == address(0)) revert GovernedAccessZeroAddress();
        o.admin = admin;
        emit OfficeAdminChanged(officeId, admin);
    }

    /// @inheritdoc ITrustRegistry
    function setOfficeStatus(bytes32 officeId, OfficeStatus status)
        external
        onlyRole(_TRUST_ADMIN_ROLE)
    {
        Office storage o = _liveOffice(officeId);
        if (status != OfficeStatus.Active && status != OfficeStatus.Suspended) {
            revert TrustRegistryInvalidStatus(status);
        }
        if (o.status == status) return;
        o.status = status;
        emit OfficeStatusChanged(officeId, status);
    }

    /// @inheritdoc ITrustRegistry
    function retireOffice(bytes32 officeId) external onlyConsortium {
        Office storage o = _liveOffice(officeId);
        o.status = OfficeStatus.Retired;
        emit OfficeStatusChanged(officeId, OfficeStatus.Retired);
    }

    /// @inheritdoc ITrustRegistry
    function accredit(
        bytes32 officeId,
        string calldata vct,
        uint64 validFrom,
        uint64 validUntil,
        uint8 levelOfAssurance
    ) external onlyRole(_TRUST_ADMIN_ROLE) returns (uint256 index) {
        _liveOffice(officeId);
        if (bytes(vct).length == 0) revert TrustRegistryEmptyField("vct");
        if (validUntil <= validFrom) revert TrustRegistryInvalidWindow(validFrom, validUntil);
        if (levelOfAssurance < 1 || levelOfAssurance > 3) {
            revert TrustRegistryInvalidLevel(levelOfAssurance);
        }
        bytes32 vctHash = keccak256(bytes(vct));
        Accreditation[] storage list = _accreditations[officeId][vctHash];
        index = list.length;
        list.push(
            Accreditation({
                vct: vct,
                validFrom: validFrom,
                validUntil: validUntil,
                levelOfAssurance: levelOfAssurance,
                recordedAt: uint64(block.timestamp)
            })
        );
        emit AccreditationGranted(
            officeId, vctHash, index, vct, validFrom, validUntil, levelOfAssurance
        );
    }

    /// @inheritdoc ITrustRegistry
    function endAccreditation(bytes32 officeId, string calldata vct, uint256 index)
        external
        onlyRole(_TRUST_ADMIN_ROLE)
    {
        bytes32 vctHash = keccak256(bytes(vct));
        Accreditation[] storage list = _accreditations[officeId][vctHash];
        if (index >= list.length) {
            revert TrustRegistryUnknownAccreditation(officeId, vctHash, index);
        }
        uint64 nowTs = uint64(block.timestamp);
        Accreditation storage a = list[index];
        if (a.validUntil <= nowTs) return;
        a.validUntil = nowTs < a.validFrom ? a.validFrom : nowTs;
        emit AccreditationEnded(officeId, vctHash, index, a.validUntil);
    }

    /// @inheritdoc ITrustRegistry
    function registerDid(bytes32 officeId, string calldata did, bytes32 keyThumbprint) external {
        Office storage o = _liveOffice(officeId);
        if (msg.sender != o.admin) revert TrustRegistryNotOfficeAdmin(msg.sender, officeId);
        if (bytes(did).length == 0) revert TrustRegistryEmptyField("did");
        if (keyThumbprint == bytes32(0)) revert TrustRegistryEmptyField("keyThumbprint");
        bytes32 didHash = keccak256(bytes(did));
        if (_dids[didHash].validFrom != 0) revert TrustRegistryDidTaken(didHash);
        _dids[didHash] = DidRecord({
            officeId: officeId,
            did: did,
            keyThumbprint: keyThumbprint,
            validFrom: uint64(block.timestamp),
            validUntil: _OPEN_END
        });
        _officeDids[officeId].push(did);
        emit DidRegistered(officeId, didHash, did, keyThumbprint);
    }

    /// @inheritdoc ITrustRegistry
    function retireDid(string calldata did) external {
        bytes32 didHash = keccak256(bytes(did));
        DidRecord storage d = _dids[didHash];
        if (d.validFrom == 0) revert TrustRegistryUnknownDid(didHash);
        if (msg.sender != _offices[d.officeId].admin && !hasRole(_TRUST_ADMIN_ROLE, msg.sender)) {
            revert TrustRegistryNotOfficeAdmin(msg.sender, d.officeId);
        }
        if (d.validUntil != _OPEN_END) revert TrustRegistryDidRetired(didHash);
        d.validUntil = uint64(block.timestamp);
        emit DidRetired(d.officeId, didHash, d.validUntil);
    }

    /// @inheritdoc ITrustRegistry
    function office(bytes32 officeId) external view returns (Office memory) {
        if (_offices[officeId].status == OfficeStatus.None) revert TrustRegistryUnknownOffice(officeId);
        return _offices[officeId];
    }

    /// @inheritdoc ITrustRegistry
    function officeIds() external view returns (bytes32[] memory) {
        return _officeIds;
    }

    /// @inheritdoc ITrustRegistry
    function didRecord(string calldata did) external view returns (DidRecord memory) {
        bytes32 didHash = keccak256(bytes(did));
        if (_dids[didHash].validFrom == 0) revert TrustRegistryUnknownDid(didHash);
        return _dids[didHash];
    }

    /// @inheritdoc ITrustRegistry
    function officeDids(bytes32 officeId) external view returns (string[] memory) {
        return _officeDids[officeId];
    }

    /// @inheritdoc ITrustRegistry
    function accreditations(bytes32 officeId, string calldata vct)
        external
        view
        returns (Accreditation[] memory)
    {
        return _accreditations[officeId][keccak256(bytes(vct))];
    }

    /// @inheritdoc ITrustRegistry
    function trustAt(string calldata did, string calldata vct, uint64 at)
        external
        view
        returns (TrustDecision memory decision)
    {
        DidRecord storage d = _dids[keccak256(bytes(did))];
        if (d.validFrom == 0) return decision; // the zero reason is UnknownDid
        decision.officeId = d.officeId;
        if (at < d.validFrom || at >= d.validUntil) {
            decision.reason = TrustReason.DidNotValidAtTime;
            return decision;
        }
        if (_offices[d.officeId].status != OfficeStatus.Active) {
            decision.reason = TrustReason.OfficeNotActive;
            return decision;
        }
        Accreditation[] storage list = _accreditations[d.officeId][keccak256(bytes(vct))];
        for (uint256 i = 0; i < list.length; i++) {
            Accreditation storage a = list[i];
            bool covers = at >= a.validFrom && at < a.validUntil && at >= a.recordedAt;
            if (covers && a.levelOfAssurance > decision.levelOfAssurance) {
                decision.levelOfAssurance = a.levelOfAssurance;
            }
        }
        if (decision.levelOfAssurance == 0) {
            decision.reason = TrustReason.NotAccredited;
            return decision;
        }
        decision.trusted = true;
        decision.reason = TrustReason.Trusted;
    }

    /// @inheritdoc ITrustRegistry
    function TRUST_ADMIN_ROLE() external pure returns (bytes32) {
        return _TRUST_ADMIN_ROLE;
    }

    /// @inheritdoc IGovernedAccess
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    function _liveOffice(bytes32 officeId) private view returns (Office storage o) {
        o = _offices[officeId];
        if (o.status == OfficeStatus.None) revert TrustRegistryUnknownOffice(officeId);
        if (o.status == OfficeStatus.Retired) revert TrustRegistryOfficeRetired(officeId);
    }
}
