"""Errors of the chain gateway, and one typed exception per Solidity custom error.

Tree (below ``govchain.errors.GovchainError``)::

    ChainError
    ├── ChainUnavailableError        node unreachable, or went away mid-operation
    ├── ChainIdMismatchError         node serves another chain than expected
    ├── DeploymentNotFoundError      no deployment record, or no code at its addresses
    ├── DeploymentRecordError        record unreadable or inconsistent
    ├── NodeToolsMissingError        Node.js or the npm solc / ganache missing
    ├── PortBusyError                a port govchain should listen on is taken
    ├── GanacheStartError            managed ganache did not come up
    ├── CompilerError                solc failed
    ├── InsufficientFundsError       the sender cannot pay for gas
    ├── ProposalNotExecutedError     a consortium proposal lacks approvals
    ├── KeystoreError                govchain.chain.accounts: key missing, wrong passphrase
    ├── BesuConfigError              govchain.chain.besu: genesis or permissioning input
    ├── TransactionFailedError       reverted without a decodable custom error, bad args
    └── ContractRevertError          decoded by 4-byte selector, never by message text
        ├── AccessDeniedError        (mixin) every "caller may not do this" error
        ├── GovernedAccessError      GovernedAccessNotConsortium, ...MissingRole, ...
        ├── ConsortiumError          ConsortiumNotMember, ConsortiumExecutionFailed, ...
        ├── TrustRegistryError       TrustRegistryUnknownOffice, ...
        ├── StatusRegistryError      StatusRegistryRevokedIsFinal, ...
        ├── AnchorRegistryError      AnchorRegistryTreeNotGrowing, ...
        ├── AccountRulesError        AccountRulesAlreadyAllowed, ...
        └── NodeRulesError           NodeRulesInvalidNode, ...

Each leaf class is named exactly like its Solidity error and carries the error's
arguments in ``fields`` (by Solidity parameter name).
"""

from __future__ import annotations

from typing import Any, ClassVar

from govchain.errors import GovchainError

__all__ = [
    "AccessDeniedError",
    "ChainError",
    "ChainIdMismatchError",
    "ChainUnavailableError",
    "CompilerError",
    "ContractRevertError",
    "DeploymentNotFoundError",
    "DeploymentRecordError",
    "GanacheStartError",
    "InsufficientFundsError",
    "NodeToolsMissingError",
    "PortBusyError",
    "ProposalNotExecutedError",
    "TransactionFailedError",
    "revert_class",
]


class ChainError(GovchainError):
    """Anything that went wrong talking to the chain."""


class ChainUnavailableError(ChainError):
    """The node is unreachable, or stopped answering mid-operation."""

    def __init__(self, url: str, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"The chain node at {url} is not reachable{extra}; start it or check the URL.",
            f"Der Chain-Knoten unter {url} ist nicht erreichbar{extra}; "
            "bitte starten oder die URL prüfen.",
        )
        self.url = url


class ChainIdMismatchError(ChainError):
    """The node serves a different chain than the one expected."""

    def __init__(self, expected: int, actual: int, url: str) -> None:
        super().__init__(
            f"The node at {url} serves chain id {actual}, but chain id {expected} was expected.",
            f"Der Knoten unter {url} bedient Chain-ID {actual}, erwartet war {expected}.",
        )
        self.expected = expected
        self.actual = actual


class DeploymentNotFoundError(ChainError):
    """No deployment record, or the recorded contracts are not on this chain."""


class DeploymentRecordError(ChainError):
    """A deployment record exists but cannot be read or trusted."""


class NodeToolsMissingError(ChainError):
    """Node.js or one of the pinned npm packages is not installed."""


class PortBusyError(ChainError):
    """A port govchain should listen on is in use."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"Port {port} on {host} is already in use; stop the other program or choose "
            "another port.",
            f"Port {port} auf {host} ist bereits belegt; das andere Programm beenden oder "
            "einen anderen Port wählen.",
        )
        self.host = host
        self.port = port


class GanacheStartError(ChainError):
    """The managed ganache process did not come up."""


class CompilerError(ChainError):
    """The Solidity compiler failed or is the wrong version."""


class InsufficientFundsError(ChainError):
    """The sending account cannot pay for the transaction."""


class ProposalNotExecutedError(ChainError):
    """A consortium proposal did not reach its threshold with the votes given."""

    def __init__(self, proposal_id: int, description: str, approvals: int, threshold: int) -> None:
        super().__init__(
            f"Proposal {proposal_id} ({description}) lacks approvals: {approvals} of {threshold}.",
            f"Antrag {proposal_id} ({description}) fehlen Zustimmungen: {approvals} von "
            f"{threshold}.",
        )
        self.proposal_id = proposal_id
        self.approvals = approvals
        self.threshold = threshold


class TransactionFailedError(ChainError):
    """A transaction or call reverted without a custom error govchain knows."""

    def __init__(self, description: str, tx_hash: str | None = None, detail: str = "") -> None:
        extra = f": {detail}" if detail else ""
        super().__init__(
            f"{description} failed on chain{extra}.",
            f"{description} ist auf der Chain gescheitert{extra}.",
        )
        self.tx_hash = tx_hash


_REGISTRY: dict[str, type[ContractRevertError]] = {}


class ContractRevertError(ChainError):
    """A contract reverted with a custom error, decoded by its selector.

    Attributes:
        fields: the error's arguments by their Solidity names.
        tx_hash: the transaction that reverted, if it was mined.
    """

    en: ClassVar[str] = "The contract refused the call ({name})."
    de: ClassVar[str] = "Der Vertrag hat den Aufruf abgelehnt ({name})."

    def __init__(
        self,
        fields: dict[str, Any],
        tx_hash: str | None = None,
        inner: ContractRevertError | None = None,
    ) -> None:
        self.fields = fields
        self.tx_hash = tx_hash
        self.inner = inner
        values = {k: _show(v) for k, v in fields.items()}
        values["name"] = type(self).__name__
        message = self.en.format(**values)
        message_de = self.de.format(**values)
        if inner is not None:
            message = f"{message} {inner.message}"
            message_de = f"{message_de} {inner.message_de}"
        super().__init__(message, message_de)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def revert_class(name: str) -> type[ContractRevertError] | None:
    """The exception class for a Solidity custom error name, if govchain declares one."""
    return _REGISTRY.get(name)


class AccessDeniedError(ContractRevertError):
    """The caller is not allowed to do this (a role, membership or ownership check)."""


# --- GovernedAccess -----------------------------------------------------------------


class GovernedAccessError(ContractRevertError):
    """Role administration errors shared by all registries."""


class GovernedAccessNotConsortium(GovernedAccessError, AccessDeniedError):
    en = "Only a consortium vote may do this; {caller} is not the Consortium contract."
    de = "Das darf nur ein Konsortiumsbeschluss; {caller} ist nicht der Konsortiumsvertrag."


class GovernedAccessMissingRole(GovernedAccessError, AccessDeniedError):
    en = "Account {caller} lacks the role {role} needed for this."
    de = "Konto {caller} fehlt die dafür nötige Rolle {role}."


class GovernedAccessZeroAddress(GovernedAccessError):
    en = "The zero address cannot be used here."
    de = "Die Null-Adresse ist hier nicht zulässig."


# --- Consortium ---------------------------------------------------------------------


class ConsortiumError(ContractRevertError):
    """Errors of the Consortium contract."""


class ConsortiumNotMember(ConsortiumError, AccessDeniedError):
    en = "Account {caller} is not a member city of the consortium."
    de = "Konto {caller} ist keine Mitgliedsstadt des Konsortiums."


class ConsortiumNotSelf(ConsortiumError, AccessDeniedError):
    en = "Only an executed consortium proposal may do this, not {caller}."
    de = "Das darf nur ein angenommener Konsortiumsantrag, nicht {caller}."


class ConsortiumAlreadyMember(ConsortiumError):
    en = "Account {account} is already a member."
    de = "Konto {account} ist bereits Mitglied."


class ConsortiumUnknownMember(ConsortiumError):
    en = "Account {account} is not a member."
    de = "Konto {account} ist kein Mitglied."


class ConsortiumInvalidThreshold(ConsortiumError):
    en = "A threshold of {threshold} does not work with {memberCount} members."
    de = "Eine Schwelle von {threshold} passt nicht zu {memberCount} Mitgliedern."


class ConsortiumUnknownProposal(ConsortiumError):
    en = "There is no proposal {proposalId}."
    de = "Es gibt keinen Antrag {proposalId}."


class ConsortiumAlreadyApproved(ConsortiumError):
    en = "Member {member} already approved proposal {proposalId}."
    de = "Mitglied {member} hat Antrag {proposalId} bereits zugestimmt."


class ConsortiumProposalClosed(ConsortiumError):
    en = "Proposal {proposalId} was already executed."
    de = "Antrag {proposalId} wurde bereits ausgeführt."


class ConsortiumProposalExpired(ConsortiumError):
    en = "Proposal {proposalId} expired at {deadline} (unix time)."
    de = "Antrag {proposalId} ist am {deadline} (Unix-Zeit) abgelaufen."


class ConsortiumExecutionFailed(ConsortiumError):
    en = (
        "Proposal {proposalId} reached its threshold but its call failed; the vote was not counted."
    )
    de = (
        "Antrag {proposalId} hat die Schwelle erreicht, aber sein Aufruf scheiterte; "
        "die Stimme wurde nicht gezählt."
    )


class ConsortiumEmptyName(ConsortiumError):
    en = "A member city needs a name."
    de = "Eine Mitgliedsstadt braucht einen Namen."


class ConsortiumZeroAddress(ConsortiumError):
    en = "The zero address cannot be a member or a proposal target."
    de = "Die Null-Adresse kann weder Mitglied noch Ziel eines Antrags sein."


class ConsortiumNotAContract(ConsortiumError):
    en = "A proposal can only call a deployed contract; {target} has no code."
    de = "Ein Antrag kann nur einen bereitgestellten Vertrag aufrufen; {target} hat keinen Code."


class ConsortiumLengthMismatch(ConsortiumError):
    en = "{members} founding members but {names} names were given."
    de = "{members} Gründungsmitglieder, aber {names} Namen angegeben."


# --- TrustRegistry ------------------------------------------------------------------


class TrustRegistryError(ContractRevertError):
    """Errors of the TrustRegistry contract."""


class TrustRegistryOfficeExists(TrustRegistryError):
    en = "Office {officeId} is registered already."
    de = "Behörde {officeId} ist bereits registriert."


class TrustRegistryUnknownOffice(TrustRegistryError):
    en = "There is no office {officeId}."
    de = "Es gibt keine Behörde {officeId}."


class TrustRegistryOfficeRetired(TrustRegistryError):
    en = "Office {officeId} is retired and cannot change any more."
    de = "Behörde {officeId} ist stillgelegt und kann nicht mehr geändert werden."


class TrustRegistryNotOfficeAdmin(TrustRegistryError, AccessDeniedError):
    en = "Account {caller} does not administer office {officeId}."
    de = "Konto {caller} verwaltet die Behörde {officeId} nicht."


class TrustRegistryInvalidWindow(TrustRegistryError):
    en = "The validity window from {validFrom} to {validUntil} is empty."
    de = "Das Gültigkeitsfenster von {validFrom} bis {validUntil} ist leer."


class TrustRegistryInvalidLevel(TrustRegistryError):
    en = "Level of assurance {levelOfAssurance} is not one of 1 (low), 2 (substantial), 3 (high)."
    de = (
        "Vertrauensniveau {levelOfAssurance} ist keines von 1 (niedrig), "
        "2 (substanziell), 3 (hoch)."
    )


class TrustRegistryInvalidStatus(TrustRegistryError):
    en = "Office status {status} cannot be set."
    de = "Behördenstatus {status} kann nicht gesetzt werden."


class TrustRegistryEmptyField(TrustRegistryError):
    en = "The field {field} must not be empty."
    de = "Das Feld {field} darf nicht leer sein."


class TrustRegistryDidTaken(TrustRegistryError):
    en = "This DID is registered already (hash {didHash}); DIDs are never reused."
    de = "Diese DID ist bereits registriert (Hash {didHash}); DIDs werden nie wiederverwendet."


class TrustRegistryUnknownDid(TrustRegistryError):
    en = "This DID is not registered (hash {didHash})."
    de = "Diese DID ist nicht registriert (Hash {didHash})."


class TrustRegistryDidRetired(TrustRegistryError):
    en = "This DID was retired already (hash {didHash})."
    de = "Diese DID wurde bereits stillgelegt (Hash {didHash})."


class TrustRegistryUnknownAccreditation(TrustRegistryError):
    en = "Office {officeId} has no accreditation {index} for this type."
    de = "Behörde {officeId} hat keine Akkreditierung {index} für diesen Typ."


# --- StatusRegistry -----------------------------------------------------------------


class StatusRegistryError(ContractRevertError):
    """Errors of the StatusRegistry contract."""


class StatusRegistryUnknownList(StatusRegistryError):
    en = "There is no status list {listId}."
    de = "Es gibt keine Statusliste {listId}."


class StatusRegistryNotListOwner(StatusRegistryError, AccessDeniedError):
    en = "Account {caller} does not own status list {listId}."
    de = "Konto {caller} gehört die Statusliste {listId} nicht."


class StatusRegistryIndexOutOfRange(StatusRegistryError):
    en = "Index {index} lies outside status list {listId} of {size} entries."
    de = "Index {index} liegt außerhalb der Statusliste {listId} mit {size} Einträgen."


class StatusRegistryInvalidStatus(StatusRegistryError):
    en = "Status {status} is not one of 0 (valid), 1 (revoked), 2 (suspended)."
    de = "Status {status} ist keiner von 0 (gültig), 1 (widerrufen), 2 (ausgesetzt)."


class StatusRegistryRevokedIsFinal(StatusRegistryError):
    en = "Entry {index} of status list {listId} is revoked; revocation is final."
    de = "Eintrag {index} der Statusliste {listId} ist widerrufen; ein Widerruf ist endgültig."


class StatusRegistryInvalidSize(StatusRegistryError):
    en = "A status list of {size} entries is not allowed (131072 to 16777216, a multiple of 128)."
    de = (
        "Eine Statusliste mit {size} Einträgen ist nicht zulässig "
        "(131072 bis 16777216, ein Vielfaches von 128)."
    )


class StatusRegistryLengthMismatch(StatusRegistryError):
    en = "{indexes} indexes but {statuses} statuses were given."
    de = "{indexes} Indizes, aber {statuses} Statuswerte angegeben."


# --- AnchorRegistry -----------------------------------------------------------------


class AnchorRegistryError(ContractRevertError):
    """Errors of the AnchorRegistry contract."""


class AnchorRegistryNamespaceExists(AnchorRegistryError):
    en = "Namespace {namespaceId} exists already."
    de = "Namensraum {namespaceId} existiert bereits."


class AnchorRegistryUnknownNamespace(AnchorRegistryError):
    en = "There is no namespace {namespaceId}."
    de = "Es gibt keinen Namensraum {namespaceId}."


class AnchorRegistryNotNamespaceOwner(AnchorRegistryError, AccessDeniedError):
    en = "Account {caller} does not own namespace {namespaceId}."
    de = "Konto {caller} gehört der Namensraum {namespaceId} nicht."


class AnchorRegistryInvalidName(AnchorRegistryError):
    en = "A namespace name must have 1 to 128 bytes."
    de = "Ein Namensraum-Name muss 1 bis 128 Bytes lang sein."


class AnchorRegistryTreeNotGrowing(AnchorRegistryError):
    en = "The log already had {lastSize} entries anchored; {treeSize} does not extend it."
    de = "Für das Log sind bereits {lastSize} Einträge verankert; {treeSize} erweitert es nicht."


class AnchorRegistryZeroRoot(AnchorRegistryError):
    en = "A Merkle root must not be zero."
    de = "Eine Merkle-Wurzel darf nicht null sein."


class AnchorRegistryUnknownAnchor(AnchorRegistryError):
    en = "Namespace {namespaceId} has no anchor number {index}."
    de = "Namensraum {namespaceId} hat keinen Anker Nummer {index}."


class AnchorRegistryUnknownSize(AnchorRegistryError):
    en = "Namespace {namespaceId} has no anchor of a log of {treeSize} entries."
    de = "Namensraum {namespaceId} hat keinen Anker eines Logs mit {treeSize} Einträgen."


# --- AccountRules / NodeRules -------------------------------------------------------


class AccountRulesError(ContractRevertError):
    """Errors of the AccountRules contract."""


class AccountRulesAlreadyAllowed(AccountRulesError):
    en = "Account {account} is on the allowlist already."
    de = "Konto {account} steht bereits auf der Freigabeliste."


class AccountRulesNotAllowed(AccountRulesError):
    en = "Account {account} is not on the allowlist."
    de = "Konto {account} steht nicht auf der Freigabeliste."


class NodeRulesError(ContractRevertError):
    """Errors of the NodeRules contract."""


class NodeRulesAlreadyAllowed(NodeRulesError):
    en = "Node {enodeId} is on the allowlist already."
    de = "Knoten {enodeId} steht bereits auf der Freigabeliste."


class NodeRulesNotAllowed(NodeRulesError):
    en = "Node {enodeId} is not on the allowlist."
    de = "Knoten {enodeId} steht nicht auf der Freigabeliste."


class NodeRulesInvalidNode(NodeRulesError):
    en = "Node {enodeId} is invalid: it needs a 128-hex-digit enode id, a host and a port."
    de = (
        "Knoten {enodeId} ist ungültig: nötig sind eine Enode-ID aus 128 Hex-Ziffern, "
        "Host und Port."
    )
