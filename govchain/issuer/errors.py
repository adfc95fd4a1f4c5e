"""Errors of the issuer service.

Tree (below ``govchain.errors.ServiceError``)::

    IssuerError                              400 issuer-error
    ├── RequestBodyError                     422 invalid-request     body does not fit the schema
    │   └── RequestTooLargeError             413 request-too-large
    ├── OfferInputError                      422 invalid-offer       bad type, claims or tx_code
    ├── OfferNotFoundError                   404 offer-not-found     unknown, used or expired offer
    ├── IssuerNotReadyError                  503 issuer-not-ready    no status list configured
    ├── NotAuthenticatedError                401 not-authenticated   no official identified
    ├── DevIdentityError                     400 dev-identity-malformed
    ├── DevIdentityRefusedError              403 dev-identity-refused  header outside dev
    ├── ConsoleError                         the console, logins and applications
    │   ├── LoginRequiredError               401 login-required      no session (pages: login)
    │   ├── LoginUnavailableError            503 login-unavailable   no OIDC provider configured
    │   ├── LoginFailedError                 400 login-failed        the OIDC answer was refused
    │   ├── ForbiddenError                   403 forbidden           role, office or level too low
    │   │   ├── LevelTooLowError             403 level-too-low       login below substanziell
    │   │   └── ActivationRequiredError      403 activation-required first login: enter the code
    │   ├── RateLimitedError                 429 rate-limited        too many; Retry-After
    │   ├── CsrfTokenMissingError            403 csrf-token-missing
    │   ├── CsrfTokenInvalidError            403 csrf-token-invalid
    │   ├── NotFoundError                    404 not-found           also: another office's record
    │   ├── TransitionRefusedError           409 transition-refused  not allowed in this state
    │   ├── FormInputError                   422 invalid-form        with ``problems``
    │   ├── DocumentRefusedError             413/415 document-refused too large, wrong type
    │   ├── StatusWriteError                 503 status-not-written  the chain refused or is away
    │   ├── DidcommUnavailableError          503 didcomm-unavailable no issuer agent configured
    │   └── DidcommFailedError               503 didcomm-failed      agent down or refused
    └── OAuthError                           the OAuth 2.0 / OID4VCI protocol errors: ``error`` code
        ├── TokenRequestError                400 at the token endpoint (RFC 6749 5.2, OID4VCI 6.3)
        │   ├── InvalidRequestError          invalid_request
        │   ├── InvalidGrantError            invalid_grant
        │   └── UnsupportedGrantTypeError    unsupported_grant_type
        ├── InvalidTokenError                401 invalid_token + WWW-Authenticate (RFC 6750 3.1)
        └── CredentialRequestError           400 at the credential endpoint (OID4VCI 8.3.1.2)
            ├── InvalidCredentialRequestError        invalid_credential_request
            ├── UnknownCredentialConfigurationError  unknown_credential_configuration
            ├── InvalidProofError                    invalid_proof
            ├── InvalidNonceError                    invalid_nonce
            └── CredentialRequestDeniedError         credential_request_denied (one permit,
                                                     one credential: already issued)

Protocol errors answer with the spec's JSON (``error``, ``error_description``) and, beside
it, the RFC 9457 members every govchain service uses (``type``, ``title``, ``status``,
``detail``, ``detail_de``). Every error has an English and a German sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from govchain.errors import ServiceError

__all__ = [
    "ActivationRequiredError",
    "ConsoleError",
    "CredentialRequestDeniedError",
    "CredentialRequestError",
    "CsrfTokenInvalidError",
    "CsrfTokenMissingError",
    "DevIdentityError",
    "DevIdentityRefusedError",
    "DidcommFailedError",
    "DidcommUnavailableError",
    "DocumentRefusedError",
    "ForbiddenError",
    "FormInputError",
    "InvalidCredentialRequestError",
    "InvalidGrantError",
    "InvalidNonceError",
    "InvalidProofError",
    "InvalidRequestError",
    "InvalidTokenError",
    "IssuerError",
    "IssuerNotReadyError",
    "LevelTooLowError",
    "LoginFailedError",
    "LoginRequiredError",
    "LoginUnavailableError",
    "NotAuthenticatedError",
    "NotFoundError",
    "OAuthError",
    "OfferInputError",
    "OfferNotFoundError",
    "RateLimitedError",
    "RequestBodyError",
    "RequestTooLargeError",
    "StatusWriteError",
    "TokenRequestError",
    "TransitionRefusedError",
    "UnknownCredentialConfigurationError",
    "UnsupportedGrantTypeError",
]


class IssuerError(ServiceError):
    """Anything the issuer service refuses."""

    status = 400
    code = "issuer-error"


class RequestBodyError(IssuerError):
    """A request body that does not fit the endpoint's schema, or is too large."""

    status = 422
    code = "invalid-request"

    @classmethod
    def from_errors(cls, errors: Sequence[Mapping[str, Any]]) -> RequestBodyError:
        """The first of pydantic's validation errors, as one sentence each way."""
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        return cls(
            f"The request is invalid at {where}: {first.get('msg')}.",
            f"Die Anfrage ist ungültig bei {where}: {first.get('msg')}.",
        )


class RequestTooLargeError(RequestBodyError):
    """A request body larger than the endpoint takes."""

    status = 413
    code = "request-too-large"


class OfferInputError(IssuerError):
    """An offer cannot be made: unknown credential type, invalid claims or tx_code."""

    status = 422
    code = "invalid-offer"

    def __init__(self, message: str, message_de: str, problems: list[str] | None = None) -> None:
        super().__init__(message, message_de)
        self.problems = problems or []


class OfferNotFoundError(IssuerError):
    """No open offer has this id (never made, already redeemed, or expired)."""

    status = 404
    code = "offer-not-found"

    def __init__(self, offer_id: str) -> None:
        super().__init__(
            "There is no open credential offer with this id (unknown, already used or expired).",
            "Es gibt kein offenes Nachweisangebot mit dieser Kennung (unbekannt, bereits "
            "eingelöst oder abgelaufen).",
        )
        self.offer_id = offer_id


class IssuerNotReadyError(IssuerError):
    """The office cannot issue yet: no status list is configured."""

    status = 503
    code = "issuer-not-ready"

    def __init__(self) -> None:
        super().__init__(
            "The issuer has no status list configured (GOVCHAIN_ISSUER_STATUS_LIST_URI); "
            "credentials cannot be issued.",
            "Für die ausstellende Stelle ist keine Statusliste eingerichtet "
            "(GOVCHAIN_ISSUER_STATUS_LIST_URI); Nachweise können nicht ausgestellt werden.",
        )


class NotAuthenticatedError(IssuerError):
    """No official is identified."""

    status = 401
    code = "not-authenticated"

    def __init__(self) -> None:
        super().__init__(
            "Only officials may create offers; identify with X-Govchain-Dev-Official "
            "(development only) until the officials' login exists.",
            "Nur Sachbearbeitende dürfen Angebote erstellen; bis zur Anmeldung für "
            "Sachbearbeitende mit X-Govchain-Dev-Official ausweisen (nur in der Entwicklung).",
        )


class DevIdentityError(IssuerError):
    """The development identity header is malformed."""

    code = "dev-identity-malformed"

    def __init__(self, value: str) -> None:
        shown = value if len(value) <= 60 else value[:57] + "..."
        super().__init__(
            f"The official identity {shown!r} is malformed; use <office>/<official>.",
            f"Die Kennung {shown!r} ist fehlerhaft; <Amt>/<Kennung> verwenden.",
        )


class DevIdentityRefusedError(IssuerError):
    """The development identity header was sent outside development."""

    status = 403
    code = "dev-identity-refused"

    def __init__(self) -> None:
        super().__init__(
            "The development identity header is refused outside development.",
            "Die Entwicklungs-Anmeldung ist außerhalb der Entwicklung nicht zulässig.",
        )


class OAuthError(IssuerError):
    """A protocol error with the OAuth / OID4VCI ``error`` code of the spec."""

    error = "invalid_request"


class TokenRequestError(OAuthError):
    """The token endpoint refuses a request (RFC 6749 5.2, OID4VCI 1.0 6.3)."""

    code = "token-request-refused"


class InvalidRequestError(TokenRequestError):
    """The token request lacks a parameter, e.g. the tx_code the offer requires."""

    error = "invalid_request"


class InvalidGrantError(TokenRequestError):
    """The pre-authorized code is unknown, used or expired, or the tx_code is wrong."""

    error = "invalid_grant"


class UnsupportedGrantTypeError(TokenRequestError):
    """Only the pre-authorized code grant is supported."""

    error = "unsupported_grant_type"

    def __init__(self, grant_type: str) -> None:
        shown = grant_type[:60]
        super().__init__(
            f"The grant type {shown!r} is not supported; use "
            "urn:ietf:params:oauth:grant-type:pre-authorized_code.",
            f"Der Grant-Typ {shown!r} wird nicht unterstützt; "
            "urn:ietf:params:oauth:grant-type:pre-authorized_code verwenden.",
        )


class InvalidTokenError(OAuthError):
    """The access token is missing, unknown, expired or already used (RFC 6750)."""

    status = 401
    code = "invalid-token"
    error = "invalid_token"

    def __init__(self, message: str, message_de: str, *, sent: bool = True) -> None:
        super().__init__(message, message_de)
        self.sent = sent

    @property
    def www_authenticate(self) -> str:
        """RFC 6750 3.1: no error code when the request carried no token at all."""
        if not self.sent:
            return 'Bearer realm="govchain-issuer"'
        return 'Bearer realm="govchain-issuer", error="invalid_token"'


class CredentialRequestError(OAuthError):
    """The credential endpoint refuses a request (OID4VCI 1.0 8.3.1.2)."""

    code = "credential-request-refused"


class InvalidCredentialRequestError(CredentialRequestError):
    """The credential request is malformed or asks for what the token does not grant."""

    error = "invalid_credential_request"


class UnknownCredentialConfigurationError(CredentialRequestError):
    """The requested credential configuration is not one this issuer offers."""

    error = "unknown_credential_configuration"

    def __init__(self, configuration_id: str) -> None:
        shown = configuration_id[:80]
        super().__init__(
            f"The credential configuration {shown!r} is unknown to this issuer.",
            f"Die Nachweiskonfiguration {shown!r} ist dieser ausstellenden Stelle unbekannt.",
        )
        self.configuration_id = configuration_id


class InvalidProofError(CredentialRequestError):
    """A key proof is missing, malformed, stale, for another audience or badly signed."""

    error = "invalid_proof"

    def __init__(self, reason: str, reason_de: str) -> None:
        super().__init__(
            f"The key proof is invalid: {reason}.",
            f"Der Schlüsselnachweis ist ungültig: {reason_de}.",
        )
        self.reason = reason


class InvalidNonceError(CredentialRequestError):
    """The proof's nonce is not a valid, unused c_nonce of this issuer."""

    error = "invalid_nonce"

    def __init__(self) -> None:
        super().__init__(
            "The key proof's nonce is not a valid c_nonce of this issuer (unknown, used or "
            "expired); fetch a new one from the nonce endpoint.",
            "Die Nonce des Schlüsselnachweises ist keine gültige c_nonce dieser Stelle "
            "(unbekannt, verbraucht oder abgelaufen); eine neue beim Nonce-Endpunkt abrufen.",
        )


class CredentialRequestDeniedError(CredentialRequestError):
    """The request is well-formed but not granted: the application behind the offer
    already has its credential (OID4VCI 1.0, 8.3.1.2 ``credential_request_denied``)."""

    error = "credential_request_denied"


class ConsoleError(IssuerError):
    """The console, the logins or an application refuses something."""

    code = "console-error"


class LoginRequiredError(ConsoleError):
    """The page needs a login with the BürgerID."""

    status = 401
    code = "login-required"

    def __init__(self) -> None:
        super().__init__(
            "Please log in with your BürgerID first.",
            "Bitte melden Sie sich zuerst mit Ihrer BürgerID an.",
        )


class LoginUnavailableError(ConsoleError):
    """No OIDC provider is configured (GOVCHAIN_ISSUER_OIDC_PROVIDER)."""

    status = 503
    code = "login-unavailable"

    def __init__(self) -> None:
        super().__init__(
            "Login with the BürgerID is not configured (GOVCHAIN_ISSUER_OIDC_PROVIDER).",
            "Die Anmeldung mit der BürgerID ist nicht eingerichtet "
            "(GOVCHAIN_ISSUER_OIDC_PROVIDER).",
        )


class LoginFailedError(ConsoleError):
    """The OIDC provider's answer was refused (state, code, ID token, userinfo)."""

    code = "login-failed"

    def __init__(self, reason: str, reason_de: str) -> None:
        super().__init__(
            f"The login failed: {reason}.", f"Die Anmeldung ist fehlgeschlagen: {reason_de}."
        )
        self.reason = reason


class ForbiddenError(ConsoleError):
    """The person may not do this (role, office, login level)."""

    status = 403
    code = "forbidden"


class LevelTooLowError(ForbiddenError):
    """A citizen page needs a login at level substanziell or higher: a "Basisregistrierung"
    is the person's own statement, and anyone can make one with another's name."""

    code = "level-too-low"

    def __init__(self) -> None:
        super().__init__(
            "This page needs a login with a BürgerID of level substanziell or higher.",
            "Für diese Seite ist eine Anmeldung mit BürgerID ab Niveau substanziell nötig.",
        )


class ActivationRequiredError(ForbiddenError):
    """A registered official or landlord whose row is not yet bound enters the one-time
    activation code first (pages: the browser goes to the activation form)."""

    code = "activation-required"

    def __init__(self) -> None:
        super().__init__(
            "Please enter the activation code you received at your registration first.",
            "Bitte geben Sie zuerst den Aktivierungscode ein, den Sie bei Ihrer Eintragung "
            "erhalten haben.",
        )


class RateLimitedError(ConsoleError):
    """Too many requests of one kind (per client or altogether); ``retry_after`` seconds."""

    status = 429
    code = "rate-limited"

    def __init__(self, message: str, message_de: str, retry_after: int) -> None:
        super().__init__(message, message_de)
        self.retry_after = max(1, retry_after)


class CsrfTokenMissingError(ConsoleError):
    """A form post without the anti-forgery token."""

    status = 403
    code = "csrf-token-missing"

    def __init__(self) -> None:
        super().__init__(
            "The form's security token is missing; reload the page and send it again.",
            "Das Sicherheitsmerkmal des Formulars fehlt; bitte die Seite neu laden und "
            "erneut senden.",
        )


class CsrfTokenInvalidError(ConsoleError):
    """A form post whose anti-forgery token does not match."""

    status = 403
    code = "csrf-token-invalid"

    def __init__(self) -> None:
        super().__init__(
            "The form's security token is invalid; reload the page and send it again.",
            "Das Sicherheitsmerkmal des Formulars ist ungültig; bitte die Seite neu laden "
            "und erneut senden.",
        )


class NotFoundError(ConsoleError):
    """No such record, or one of another office (never told apart)."""

    status = 404
    code = "not-found"

    def __init__(self, what: str, what_de: str) -> None:
        super().__init__(f"There is no such {what}.", f"{what_de} gibt es nicht.")


class TransitionRefusedError(ConsoleError):
    """The step is not allowed in the record's current state."""

    status = 409
    code = "transition-refused"


class FormInputError(ConsoleError):
    """A form's input is incomplete or invalid; ``problems`` lists each fault."""

    status = 422
    code = "invalid-form"

    def __init__(self, message: str, message_de: str, problems: list[str] | None = None) -> None:
        super().__init__(message, message_de)
        self.problems = problems or []


class DocumentRefusedError(ConsoleError):
    """An uploaded document is too large or of a type that is not accepted."""

    code = "document-refused"

    def __init__(self, status: int, message: str, message_de: str) -> None:
        super().__init__(message, message_de)
        self.status = status


class StatusWriteError(ConsoleError):
    """The status change could not be written on chain; nothing was changed."""

    status = 503
    code = "status-not-written"


class DidcommUnavailableError(ConsoleError):
    """No issuer agent is configured (GOVCHAIN_ISSUER_AGENT_DID): no DIDComm channel."""

    status = 503
    code = "didcomm-unavailable"

    def __init__(self) -> None:
        super().__init__(
            "Issuance to an Aries wallet (DIDComm) is not set up at this office "
            "(GOVCHAIN_ISSUER_AGENT_DID); take the credential with the QR code instead.",
            "Die Ausstellung in eine Aries-Wallet (DIDComm) ist bei diesem Amt nicht "
            "eingerichtet; bitte den Nachweis über den QR-Code abholen.",
        )


class DidcommFailedError(ConsoleError):
    """The issuer agent could not be reached or refused; nothing was issued."""

    status = 503
    code = "didcomm-failed"
