"""Errors of the credentials library.

Tree (below ``govchain.errors.GovchainError``)::

    CredentialsError
    ├── InvalidCredentialError        a credential or presentation is refused; carries the
    │                                 check and the reason code (see ReasonCode)
    ├── ClaimValidationError          a record does not satisfy its credential type's rules
    ├── ClaimNotDisclosedError        a type policy needs a claim the holder did not disclose
    ├── UnknownCredentialTypeError    no credential type is registered for this vct
    ├── UnsupportedFormatError        no credential format is registered under this name
    ├── KeyStoreError                 a key store cannot do what was asked
    │   ├── KeyNotFoundError          no key with this id
    │   ├── KeyExistsError            a key with this id exists already (keys are never replaced)
    │   └── WrongPassphraseError      the passphrase does not open the key (or the file was altered)
    ├── DidError                      a DID cannot be created or resolved
    ├── VerifierConfigError           a Verifier or VerificationRequest is set up wrongly
    │                                 (a programming error, raised at construction; also
    │                                 a ValueError)
    ├── StatusError                   status lists
    │   ├── StatusUnavailableError    the status list cannot be read right now ("cannot verify")
    │   ├── StatusReferenceError      a status list URI or index that govchain cannot map
    │   └── StatusListFullError       no free index is left in a status list
    └── TrustUnavailableError         the trust registry cannot be read right now

Every error has an English ``str(err)`` and a German ``err.message_de``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govchain.errors import GovchainError

if TYPE_CHECKING:
    from govchain.credentials._reasons import CheckName, ReasonCode

__all__ = [
    "ClaimNotDisclosedError",
    "ClaimValidationError",
    "CredentialsError",
    "DidError",
    "InvalidCredentialError",
    "KeyExistsError",
    "KeyNotFoundError",
    "KeyStoreError",
    "StatusError",
    "StatusListFullError",
    "StatusReferenceError",
    "StatusUnavailableError",
    "TrustUnavailableError",
    "UnknownCredentialTypeError",
    "UnsupportedFormatError",
    "VerifierConfigError",
    "WrongPassphraseError",
]


class CredentialsError(GovchainError):
    """Anything the credentials library refuses or cannot do."""


class InvalidCredentialError(CredentialsError):
    """A credential or presentation failed one check; ``reason`` says which rule.

    Raised by the low-level SD-JWT functions; the verifier turns it into a failed
    ``Check`` instead of letting it escape.
    """

    def __init__(self, reason: ReasonCode, **details: object) -> None:
        from govchain.credentials._reasons import check_of, messages  # noqa: PLC0415 (cycle)

        self.reason = reason
        self.check: CheckName = check_of(reason)
        self.details = details
        message_de, message_en = messages(reason, **details)
        super().__init__(message_en, message_de)


class ClaimValidationError(CredentialsError):
    """A credential record breaks its type's rules; ``problems`` lists each one."""

    def __init__(self, vct: str, problems: list[str]) -> None:
        self.vct = vct
        self.problems = problems
        joined = "; ".join(problems)
        super().__init__(
            f"The claims do not fit the credential type {vct}: {joined}",
            f"Die Angaben passen nicht zum Nachweistyp {vct}: {joined}",
        )


class ClaimNotDisclosedError(CredentialsError):
    """A type policy needs a claim the presentation did not disclose; ``path`` names it."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"The claim {path!r} was not disclosed.",
            f"Die Angabe {path!r} wurde nicht offengelegt.",
        )


class UnknownCredentialTypeError(CredentialsError):
    """No credential type is registered for a vct."""

    def __init__(self, vct: str) -> None:
        self.vct = vct
        super().__init__(f"Unknown credential type {vct!r}.", f"Unbekannter Nachweistyp {vct!r}.")


class UnsupportedFormatError(CredentialsError):
    """No credential format is registered under a name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"Unsupported credential format {name!r}.",
            f"Nicht unterstütztes Nachweisformat {name!r}.",
        )


class KeyStoreError(CredentialsError):
    """A key store cannot do what was asked."""


class KeyNotFoundError(KeyStoreError):
    """No key with this id in the store."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(
            f"No key {key_id!r} in the key store.",
            f"Kein Schlüssel {key_id!r} im Schlüsselspeicher.",
        )


class KeyExistsError(KeyStoreError):
    """A key with this id exists already; keys are never silently replaced."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(
            f"A key {key_id!r} exists already; choose another id.",
            f"Ein Schlüssel {key_id!r} existiert bereits; bitte eine andere Kennung wählen.",
        )


class WrongPassphraseError(KeyStoreError):
    """The passphrase does not open the key file, or the file was altered."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(
            f"The key {key_id!r} cannot be opened: wrong passphrase, or the file was altered.",
            f"Der Schlüssel {key_id!r} lässt sich nicht öffnen: falsche Passphrase "
            "oder die Datei wurde verändert.",
        )


class DidError(CredentialsError):
    """A DID cannot be created or resolved."""

    def __init__(self, did: str, reason: str, reason_de: str) -> None:
        self.did = did
        shown = did if len(did) <= 60 else did[:57] + "..."
        super().__init__(
            f"The DID {shown} cannot be used: {reason}.",
            f"Die DID {shown} ist nicht verwendbar: {reason_de}.",
        )


class VerifierConfigError(CredentialsError, ValueError):
    """A verifier or a verification request is set up wrongly.

    Raised when the object is built, never by ``Verifier.verify``: a request that
    cannot be answered is a bug in the calling code, not a property of a presentation.
    """


class StatusError(CredentialsError):
    """Something about status lists."""


class StatusUnavailableError(StatusError):
    """The status list cannot be read right now; the verifier answers "cannot verify"."""

    def __init__(self, uri: str, detail: str = "") -> None:
        self.uri = uri
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"The status list {uri} cannot be read{extra}.",
            f"Die Statusliste {uri} ist nicht lesbar{extra}.",
        )


class StatusReferenceError(StatusError):
    """A status list URI or index govchain cannot map to an on-chain list."""

    def __init__(self, uri: str, reason: str, reason_de: str) -> None:
        self.uri = uri
        shown = uri if len(uri) <= 100 else uri[:97] + "..."
        super().__init__(
            f"The status reference {shown!r} is not usable: {reason}.",
            f"Der Statusverweis {shown!r} ist nicht verwendbar: {reason_de}.",
        )


class StatusListFullError(StatusError):
    """Every index of a status list has been handed out; create a new list."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        super().__init__(
            f"The status list {uri} has no free index left; create a new list.",
            f"Die Statusliste {uri} hat keinen freien Index mehr; bitte eine neue anlegen.",
        )


class TrustUnavailableError(CredentialsError):
    """The trust registry cannot be read right now; the verifier answers "cannot verify"."""

    def __init__(self, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"The trust registry cannot be read{extra}.",
            f"Das Vertrauensregister ist nicht lesbar{extra}.",
        )
