"""Errors of the anchoring service.

Tree (below ``govchain.errors.ServiceError``)::

    AnchoringError
    ├── MalformedHashError        not hex, or not 32 bytes (SHA-256)
    ├── UnknownNamespaceError     the namespace is not registered here
    ├── NamespaceNameError        a namespace name that cannot be used
    ├── ReceiptNotFoundError      no such receipt id
    └── ReceiptFormatError        a receipt document that is not one of ours

Failed receipt *verification* is not an exception: ``verify_receipt`` returns each step
with its outcome, so an auditor sees exactly which step failed.
"""

from __future__ import annotations

from govchain.errors import ServiceError

__all__ = [
    "AnchoringError",
    "MalformedHashError",
    "NamespaceNameError",
    "ReceiptFormatError",
    "ReceiptNotFoundError",
    "UnknownNamespaceError",
]


class AnchoringError(ServiceError):
    """Anything the anchoring service refuses."""

    status = 400
    code = "anchoring-error"


class MalformedHashError(AnchoringError):
    """A document hash that is not 64 hex digits (32 bytes of SHA-256)."""

    code = "malformed-hash"

    def __init__(self, value: str, reason: str) -> None:
        shown = value if len(value) <= 80 else value[:77] + "..."
        super().__init__(
            f"The hash {shown!r} is unusable: {reason}. Send the SHA-256 of the document as "
            "64 hex digits.",
            f"Der Hash {shown!r} ist unbrauchbar: {reason}. Bitte den SHA-256 des Dokuments "
            "als 64 Hex-Ziffern senden.",
        )
        self.value = value


class UnknownNamespaceError(AnchoringError):
    """The namespace is not registered with this anchoring service."""

    status = 404
    code = "unknown-namespace"

    def __init__(self, namespace: str) -> None:
        super().__init__(
            f"The namespace {namespace!r} is not registered; register it first "
            "(govchain anchoring add-namespace).",
            f"Der Namensraum {namespace!r} ist nicht registriert; zuerst registrieren "
            "(govchain anchoring add-namespace).",
        )
        self.namespace = namespace


class NamespaceNameError(AnchoringError):
    """A namespace name must be 1 to 128 characters of a-z, 0-9, '.', '-' and '_'."""

    code = "invalid-namespace-name"

    def __init__(self, namespace: str) -> None:
        super().__init__(
            f"{namespace!r} is not a valid namespace name: use 1 to 128 characters a-z, 0-9, "
            "'.', '-', '_', e.g. archive.aachen.",
            f"{namespace!r} ist kein gültiger Namensraum: 1 bis 128 Zeichen a-z, 0-9, '.', "
            "'-', '_' verwenden, z. B. archive.aachen.",
        )


class ReceiptNotFoundError(AnchoringError):
    """No receipt has this id."""

    status = 404
    code = "receipt-not-found"

    def __init__(self, receipt_id: str) -> None:
        super().__init__(
            f"There is no receipt {receipt_id!r}.", f"Es gibt keine Quittung {receipt_id!r}."
        )


class ReceiptFormatError(AnchoringError):
    """A receipt document that cannot be read as a govchain anchor receipt."""

    code = "receipt-format"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"This is not a readable govchain anchor receipt: {detail}.",
            f"Dies ist keine lesbare govchain-Verankerungsquittung: {detail}.",
        )
