"""Errors of the citizen wallet.

::

    ServiceError (govchain.errors)
    └── WalletError                       govchain.citizen_wallet
        ├── WalletExistsError             a wallet already lives in the directory
        ├── WalletNotFoundError           no wallet in the directory
        ├── WalletLockedError             the wallet must be unlocked first
        ├── WrongPinError                 the PIN did not decrypt the wallet
        ├── WalletThrottledError          too many wrong PINs: wait ``retry_after`` s
        ├── WalletCorruptError            a wallet or backup file is unreadable
        ├── PinChangeFailedError          the re-encrypted wallet could not be written (500)
        ├── OfferError                    a credential offer or the issuer misbehaved
        ├── PresentationRequestError      a presentation request is malformed or unsigned
        ├── WarningsNotAcknowledgedError  a warning was shown but not acknowledged
        ├── NoMatchingCredentialError     no stored credential fits a request
        ├── CredentialNotFoundError       no stored credential under an id
        ├── PendingNotFoundError          an offer/request preview expired or is unknown
        ├── InvitationError               a DIDComm invitation is malformed or unsupported (422)
        ├── HolderAgentDownError          the holder agent (DIDComm sub-wallet) is down (503)
        ├── DidcommError                  the holder agent refused or an exchange failed (502)
        └── ScanError                     no usable wallet link in an uploaded photo (422)
            ├── PhotoTooLargeError        more bytes or pixels than the limits (413)
            └── PhotoTypeError            the upload is not an image (415)
"""

from __future__ import annotations

from typing import Literal

from govchain.errors import ServiceError

__all__ = [
    "CredentialNotFoundError",
    "DidcommError",
    "HolderAgentDownError",
    "InvitationError",
    "NoMatchingCredentialError",
    "OfferError",
    "PendingNotFoundError",
    "PhotoTooLargeError",
    "PhotoTypeError",
    "PinChangeFailedError",
    "PresentationRequestError",
    "ScanError",
    "ScanProblem",
    "WalletCorruptError",
    "WalletError",
    "WalletExistsError",
    "WalletLockedError",
    "WalletNotFoundError",
    "WalletThrottledError",
    "WarningsNotAcknowledgedError",
    "WrongPinError",
]


class WalletError(ServiceError):
    """Anything the wallet refuses or cannot do; ``status`` is the HTTP status."""

    status = 400


class WalletExistsError(WalletError):
    """A wallet already exists in the directory."""

    status = 409

    def __init__(self, directory: str) -> None:
        self.directory = directory
        super().__init__(
            f"A wallet already exists in {directory}.",
            f"In {directory} gibt es schon eine Brieftasche.",
        )


class WalletNotFoundError(WalletError):
    """No wallet in the directory."""

    status = 404

    def __init__(self, directory: str) -> None:
        self.directory = directory
        super().__init__(
            f"No wallet in {directory}; create one first.",
            f"In {directory} gibt es keine Brieftasche; bitte zuerst anlegen.",
        )


class WalletLockedError(WalletError):
    """The wallet is locked; ``reason`` says why it locked itself (``inaktiv``,
    ``hoechstdauer``) and ``return_to`` where the citizen was, when it did."""

    status = 401

    def __init__(self, *, reason: str | None = None, return_to: str | None = None) -> None:
        self.reason = reason
        self.return_to = return_to
        super().__init__(
            "The wallet is locked; unlock it with your PIN.",
            "Die Brieftasche ist gesperrt; bitte mit der PIN entsperren.",
        )


class WrongPinError(WalletError):
    """The PIN did not decrypt the wallet; ``failures`` counts the wrong tries in a row."""

    status = 401

    def __init__(self, failures: int, retry_after: float) -> None:
        self.failures = failures
        self.retry_after = retry_after
        wait_en = f" Wait {retry_after:.0f} s before the next try." if retry_after > 0 else ""
        wait_de = (
            f" Vor dem nächsten Versuch {retry_after:.0f} s warten." if retry_after > 0 else ""
        )
        super().__init__(f"Wrong PIN.{wait_en}", f"Falsche PIN.{wait_de}")


class WalletThrottledError(WalletError):
    """Too many wrong PINs in a row: no try is made before ``retry_after`` seconds."""

    status = 429

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"Too many wrong PINs; try again in {retry_after:.0f} s.",
            f"Zu viele falsche PINs; in {retry_after:.0f} s erneut versuchen.",
        )


class WalletCorruptError(WalletError):
    """A wallet or backup file cannot be read."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"The file {what} is damaged or not a govchain wallet file.",
            f"Die Datei {what} ist beschädigt oder keine govchain-Brieftaschendatei.",
        )


class PinChangeFailedError(WalletError):
    """The wallet re-encrypted under a new PIN could not be written; nothing changed,
    the old PIN still opens it. ``reason`` is the system's."""

    status = 500

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"The new PIN could not be saved ({reason}); the old PIN still opens the wallet.",
            f"Die neue PIN konnte nicht gespeichert werden ({reason}); die bisherige PIN "
            "öffnet die Brieftasche weiterhin.",
        )


class OfferError(WalletError):
    """A credential offer, the issuer's metadata or its answer is not acceptable."""

    status = 422


class PresentationRequestError(WalletError):
    """A presentation request is malformed, unsigned or badly signed."""

    status = 422


class WarningsNotAcknowledgedError(WalletError):
    """The wallet showed warnings that the citizen has not acknowledged."""

    status = 409

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        super().__init__(
            "Confirm the warnings first: " + "; ".join(warnings),
            "Bitte zuerst die Warnungen bestätigen: " + "; ".join(warnings),
        )


class NoMatchingCredentialError(WalletError):
    """No stored credential fits what a verifier asks for."""

    status = 404

    def __init__(self, vcts: list[str]) -> None:
        self.vcts = vcts
        super().__init__(
            f"No credential in the wallet fits the request ({', '.join(vcts)}).",
            f"Kein Nachweis in der Brieftasche passt zur Anfrage ({', '.join(vcts)}).",
        )


class CredentialNotFoundError(WalletError):
    """No stored credential under an id."""

    status = 404

    def __init__(self, credential_id: str) -> None:
        self.credential_id = credential_id
        super().__init__(
            f"No credential {credential_id!r} in the wallet.",
            f"Kein Nachweis {credential_id!r} in der Brieftasche.",
        )


class PendingNotFoundError(WalletError):
    """An offer or request preview is unknown or was already used."""

    status = 404

    def __init__(self, pending_id: str) -> None:
        self.pending_id = pending_id
        super().__init__(
            "This offer or request is no longer open; paste it again.",
            "Dieses Angebot bzw. diese Anfrage ist nicht mehr offen; bitte erneut einfügen.",
        )


class InvitationError(WalletError):
    """A DIDComm out-of-band invitation is malformed or asks for what the wallet does not
    do (a legacy invitation, attached requests, no DID exchange)."""

    status = 422

    def __init__(self, reason_en: str, reason_de: str) -> None:
        super().__init__(
            f"This is not a usable connection invitation: {reason_en}.",
            f"Dies ist keine brauchbare Verbindungseinladung: {reason_de}.",
        )


class HolderAgentDownError(WalletError):
    """The holder agent that keeps the wallet's DIDComm sub-wallet cannot be reached;
    nothing was changed."""

    status = 503

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"The wallet's DIDComm agent at {url} cannot be reached, so nothing was done; "
            "start it (govchain agents up) and try again.",
            f"Der DIDComm-Agent der Brieftasche unter {url} ist nicht erreichbar, daher "
            "wurde nichts getan; bitte starten (govchain agents up) und erneut versuchen.",
        )


class DidcommError(WalletError):
    """The holder agent refused a call, or a DIDComm exchange ended without its result."""

    status = 502


ScanProblem = Literal[
    "no_photo",
    "bad_form",
    "not_an_image",
    "too_large",
    "not_an_image_upload",
    "no_qr_code",
    "several_qr_codes",
    "not_a_wallet_link",
    "wrong_kind_of_link",
]
"""Why a photo gave no usable wallet link."""


class ScanError(WalletError):
    """No usable wallet link could be read from an uploaded photo; ``problem`` says why.

    Nothing is kept: neither the photo nor any preview.
    """

    status = 422

    def __init__(self, problem: ScanProblem, message: str, message_de: str) -> None:
        self.problem = problem
        super().__init__(message, message_de)


class PhotoTooLargeError(ScanError):
    """The upload has more bytes, or the image more pixels, than the wallet reads."""

    status = 413

    def __init__(self, what_en: str, what_de: str) -> None:
        super().__init__(
            "too_large",
            f"The photo is too large ({what_en}); take it with a lower resolution.",
            f"Das Foto ist zu groß ({what_de}); bitte mit geringerer Auflösung aufnehmen.",
        )


class PhotoTypeError(ScanError):
    """The upload is not an image (by its declared media type)."""

    status = 415

    def __init__(self, declared: str) -> None:
        self.declared = declared
        super().__init__(
            "not_an_image_upload",
            f"Upload a photo (an image file), not {declared[:60] or 'this'}.",
            f"Bitte ein Foto (eine Bilddatei) hochladen, nicht {declared[:60] or 'dies'}.",
        )
