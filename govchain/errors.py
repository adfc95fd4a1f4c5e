"""The root of every error govchain raises on purpose.

Each package hangs its own subtree below ``GovchainError``::

    GovchainError
    ├── SettingsError                     settings invalid or unsafe for the environment
    ├── ServiceError                      answered by an HTTP service as an RFC 9457 problem
    │   └── the services' roots: AnchoringError, ArchiveError, AskError, IssuerError,
    │       VerifierError, WalletError (each drawn in its package's errors.py)
    └── ChainError                        govchain.chain.errors
        ├── ChainUnavailableError         node unreachable or gone mid-operation
        ├── ChainIdMismatchError          node serves another chain than expected
        ├── DeploymentNotFoundError       no deployment record, or contracts missing
        ├── DeploymentRecordError         record unreadable or inconsistent
        ├── NodeToolsMissingError         npm solc / ganache not installed
        ├── PortBusyError                 a port govchain should listen on is taken
        ├── GanacheStartError             the managed ganache process did not come up
        ├── CompilerError                 solc failed or artifacts drifted
        ├── TransactionFailedError        mined with status 0, no decodable reason
        ├── InsufficientFundsError        the sending account cannot pay for gas
        ├── ProposalNotExecutedError      a consortium proposal lacks approvals
        ├── KeystoreError                 a chain key is missing or the passphrase wrong
        ├── BesuConfigError               bad genesis or permissioning input
        └── ContractRevertError           a custom error, decoded by selector
            └── one class per Solidity custom error (see govchain.chain.errors)

Every error has a German and an English sentence: ``str(err)`` is English,
``err.message_de`` is German.
"""

from __future__ import annotations


class GovchainError(Exception):
    """Base class for all deliberate govchain errors.

    Args:
        message: one English sentence saying what went wrong and what to do.
        message_de: the same sentence in German.
    """

    def __init__(self, message: str, message_de: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_de = message_de or message


class ServiceError(GovchainError):
    """An error a govchain HTTP service answers as an RFC 9457 problem.

    ``status`` is the HTTP status, ``code`` the last part of the problem type URI; each
    service's error root (AnchoringError, ArchiveError, AskError, IssuerError,
    VerifierError, WalletError) derives from this, and leaves override both.
    """

    status: int = 400
    code: str = "error"


class SettingsError(GovchainError):
    """Settings are invalid or unsafe for the configured environment."""
