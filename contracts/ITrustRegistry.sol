// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

/// @title Who may issue which credential
/// @notice Issuer offices (state, city, office), their DIDs and key thumbprints, and their
///         accreditations per credential type (`vct`) with validity windows and level of
///         assurance. History is kept: nothing is deleted, ends are recorded as times, so a
///         verifier can ask whether an issuer was trusted at a credential's issuance time.
interface ITrustRegistry {
    /// @notice Lifecycle of an office. Retired is final.
    enum OfficeStatus {
        None,
        Active,
        Suspended,
        Retired
    }

    /// @notice Why a trust question was answered as it was.
    enum TrustReason {
        UnknownDid,
        DidNotValidAtTime,
        OfficeNotActive,
        NotAccredited,
        Trusted
    }

    /// @notice An issuer office. `admin` manages the office's DIDs.
    struct Office {
        string state;
        string city;
        string name;
        address admin;
        OfficeStatus status;
        uint64 registeredAt;
    }

    /// @notice An accreditation of an office for one credential type, valid in
    ///         [validFrom, validUntil). `levelOfAssurance`: 1 low, 2 substantial, 3 high.
    struct Accreditation {
        string vct;
        uint64 validFrom;
        uint64 validUntil;
        uint8 levelOfAssurance;
        uint64 recordedAt;
    }

    /// @notice A DID of an office, in use in [validFrom, validUntil).
    struct DidRecord {
        bytes32 officeId;
        string did;
        bytes32 keyThumbprint;
        uint64 validFrom;
        uint64 validUntil;
    }

    /// @notice The answer to "was `did` trusted for `vct` at time t?".
    struct TrustDecision {
        bool trusted;
        TrustReason reason;
        bytes32 officeId;
        uint8 levelOfAssurance;
    }

    /// @notice Emitted after the consortium admitted an office.
    event OfficeRegistered(
        bytes32 indexed officeId, string state, string city, string name, address admin
    );

    /// @notice Emitted after an office's status changed.
    event OfficeStatusChanged(bytes32 indexed officeId, OfficeStatus status);

    /// @notice Emitted after the consortium handed an office to a new admin account.
    event OfficeAdminChanged(bytes32 indexed officeId, address admin);

    /// @notice Emitted after an office was accredited for a credential type.
    event AccreditationGranted(
        bytes32 indexed officeId,
        bytes32 indexed vctHash,
        uint256 index,
        string vct,
        uint64 validFrom,
        uint64 validUntil,
        uint8 levelOfAssurance
    );

    /// @notice Emitted after an accreditation was ended early.
    event AccreditationEnded(
        bytes32 indexed officeId, bytes32 indexed vctHash, uint256 index, uint64 endedAt
    );

    /// @notice Emitted after an office registered a DID.
    event DidRegistered(
        bytes32 indexed officeId, bytes32 indexed didHash, string did, bytes32 keyThumbprint
    );

    /// @notice Emitted after a DID was retired.
    event DidRetired(bytes32 indexed officeId, bytes32 indexed didHash, uint64 retiredAt);

    /// @notice An office with this id exists already.
    error TrustRegistryOfficeExists(bytes32 officeId);

    /// @notice No office has this id.
    error TrustRegistryUnknownOffice(bytes32 officeId);

    /// @notice The office is retired; it cannot change any more.
    error TrustRegistryOfficeRetired(bytes32 officeId);

    /// @notice The caller is not the admin of this office.
    error TrustRegistryNotOfficeAdmin(address caller, bytes32 officeId);

    /// @notice The window [validFrom, validUntil) is empty.
    error TrustRegistryInvalidWindow(uint64 validFrom, uint64 validUntil);

    /// @notice A level of assurance must be 1, 2 or 3.
    error TrustRegistryInvalidLevel(uint8 levelOfAssurance);

    /// @notice An office status change to `status` is not allowed.
    error TrustRegistryInvalidStatus(OfficeStatus status);

    /// @notice A required text field was empty.
    error TrustRegistryEmptyField(string field);

    /// @notice This DID is registered already (DIDs are never reused).
    error TrustRegistryDidTaken(bytes32 didHash);

    /// @notice No DID record for this DID.
    error TrustRegistryUnknownDid(bytes32 didHash);

    /// @notice The DID was retired already.
    error TrustRegistryDidRetired(bytes32 didHash);

    /// @notice No accreditation at this position.
    error TrustRegistryUnknownAccreditation(bytes32 officeId, bytes32 vctHash, uint256 index);

    /// @notice Admits an office. Only through a consortium vote.
    function registerOffice(
        bytes32 officeId,
        string calldata state,
        string calldata city,
        string calldata name,
        address admin
    ) external;

    /// @notice Hands an office to a new admin account. Only through a consortium vote.
    function setOfficeAdmin(bytes32 officeId, address admin) external;

    /// @notice Suspends or reactivates an office. Needs TRUST_ADMIN_ROLE.
    function setOfficeStatus(bytes32 officeId, OfficeStatus status) external;

    /// @notice Retires an office for good. Only through a consortium vote.
    function retireOffice(bytes32 officeId) external;

    /// @notice Accredits an office for `vct` in [validFrom, validUntil). Needs TRUST_ADMIN_ROLE.
    function accredit(
        bytes32 officeId,
        string calldata vct,
        uint64 validFrom,
        uint64 validUntil,
        uint8 levelOfAssurance
    ) external returns (uint256 index);

    /// @notice Ends an accreditation now, if it runs longer. Needs TRUST_ADMIN_ROLE.
    function endAccreditation(bytes32 officeId, string calldata vct, uint256 index) external;

    /// @notice Registers a DID of an office with its key's thumbprint. Office admin only.
    function registerDid(bytes32 officeId, string calldata did, bytes32 keyThumbprint) external;

    /// @notice Retires a DID from now on. The office admin or TRUST_ADMIN_ROLE.
    function retireDid(string calldata did) external;

    /// @notice An office by id.
    function office(bytes32 officeId) external view returns (Office memory);

    /// @notice All office ids, in order of registration.
    function officeIds() external view returns (bytes32[] memory);

    /// @notice The record of a DID.
    function didRecord(string calldata did) external view returns (DidRecord memory);

    /// @notice The DIDs an office ever registered.
    function officeDids(bytes32 officeId) external view returns (string[] memory);

    /// @notice All accreditations of an office for `vct`, in order of recording.
    function accreditations(bytes32 officeId, string calldata vct)
        external
        view
        returns (Accreditation[] memory);

    /// @notice Was `did` trusted to issue `vct` at time `at`? Trusted means: the DID was in
    ///         use at `at`, its office is active now, and an accreditation covered `at` and
    ///         had been recorded by then (accreditations cannot be backdated).
    function trustAt(string calldata did, string calldata vct, uint64 at)
        external
        view
        returns (TrustDecision memory);

    /// @notice The role that manages accreditations and office status.
    function TRUST_ADMIN_ROLE() external pure returns (bytes32);
}
