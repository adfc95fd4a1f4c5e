"""Errors of the verifier service.

Tree (below ``govchain.errors.ServiceError``)::

    VerifierError                    (status, code; English and German message)
    ├── UnknownCheckError            no field check of that name             400
    ├── CheckParameterError          a check's parameters are invalid         400
    ├── RequestNotFoundError         no request with that id or reference     404
    ├── RequestExpiredError          the request's time ran out               410
    ├── RequestFailedError           a DIDComm check was aborted (agent down, ...) 410
    ├── DidcommNotConfiguredError    no verifier agent in the settings        503
    ├── VerifierAgentUnavailableError  the verifier agent cannot be reached   503
    ├── TooManyDidcommChecksError    the cap on open DIDComm checks is reached 429
    ├── WebhookUnauthorizedError     a webhook without the verifier agent's key 401
    ├── MalformedWebhookError        the agent's webhook body is no JSON object 400
    ├── ResponseRefusedError         a direct_post the verifier refuses       400
    │   ├── UnknownStateError        state names no open request
    │   ├── ReplayedResponseError    the request was already answered
    │   └── MalformedResponseError   vp_token unreadable or not the DCQL shape
    ├── SnapshotInvalidError         offline snapshot: bad signature or shape     400
    ├── VerifierUnreachableError     the client cannot reach the service      503
    ├── VerifierProblemError         the client got a problem document (its status/code)
    └── OidcError                    "Login mit BürgerID" (OAuth ``error`` code)
        ├── UnknownClientError       no registered client: German page, no redirect 400
        ├── RedirectUriError         redirect_uri not registered: page, no redirect 400
        ├── LoginNotFoundError       no login with that id: German page         404
        ├── AuthorizationRequestError  sent back to the client's redirect_uri   303
        ├── TokenRequestError        token endpoint: invalid_request, ...       400
        │   ├── InvalidClientError   client authentication failed               401
        │   └── InvalidGrantError    code unknown, reused, expired, PKCE, ...   400
        └── InvalidTokenError        userinfo: access token unknown/expired     401

A presentation that fails *verification* is not an exception: it is answered and its
``VerificationResult`` (red, with reasons) is stored with the request.
"""

from __future__ import annotations

from govchain.errors import ServiceError

__all__ = [
    "AuthorizationRequestError",
    "CheckParameterError",
    "DidcommNotConfiguredError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidTokenError",
    "LoginNotFoundError",
    "MalformedResponseError",
    "MalformedWebhookError",
    "OfflineModeOffError",
    "OidcError",
    "RedirectUriError",
    "ReplayedResponseError",
    "RequestExpiredError",
    "RequestFailedError",
    "RequestNotFoundError",
    "ResponseRefusedError",
    "SnapshotInvalidError",
    "TokenRequestError",
    "TooManyDidcommChecksError",
    "UnknownCheckError",
    "UnknownClientError",
    "UnknownStateError",
    "VerifierAgentUnavailableError",
    "VerifierError",
    "VerifierProblemError",
    "VerifierUnreachableError",
    "WebhookUnauthorizedError",
]


class VerifierError(ServiceError):
    """Anything the verifier service refuses."""

    status = 400
    code = "verifier-error"
    oauth_error: str | None = None


class UnknownCheckError(VerifierError):
    """No field check has this name."""

    code = "unknown-check"

    def __init__(self, check: str, known: list[str]) -> None:
        names = ", ".join(known)
        super().__init__(
            f"There is no check {check!r}; choose one of {names}.",
            f"Es gibt keine Prüfung {check!r}; möglich sind {names}.",
        )
        self.check = check


class CheckParameterError(VerifierError):
    """A check's parameters do not fit the check."""

    code = "invalid-check-parameters"

    def __init__(self, check: str, problems: str) -> None:
        super().__init__(
            f"The parameters of check {check!r} are invalid: {problems}.",
            f"Die Angaben zur Prüfung {check!r} sind ungültig: {problems}.",
        )
        self.check = check


class RequestNotFoundError(VerifierError):
    """No verification request has this id (or request reference)."""

    status = 404
    code = "request-not-found"

    def __init__(self, request_id: str) -> None:
        shown = request_id if len(request_id) <= 64 else request_id[:61] + "..."
        super().__init__(
            f"There is no verification request {shown!r}.",
            f"Es gibt keine Prüfanfrage {shown!r}.",
        )
        self.request_id = request_id


class RequestExpiredError(VerifierError):
    """The request expired before it was answered; start a new one."""

    status = 410
    code = "request-expired"
    oauth_error = "invalid_request"

    def __init__(self, request_id: str) -> None:
        super().__init__(
            "The verification request expired before it was answered; start a new check.",
            "Die Prüfanfrage ist abgelaufen, bevor sie beantwortet wurde; bitte neu starten.",
        )
        self.request_id = request_id


class RequestFailedError(VerifierError):
    """A DIDComm check ended without a result (the verifier agent went away, the wallet
    declined, the service stopped); the reason is the request's stored failure."""

    status = 410
    code = "request-failed"

    def __init__(self, request_id: str, reason: str, reason_de: str) -> None:
        super().__init__(
            f"The check was aborted: {reason} Start a new check.",
            f"Die Prüfung wurde abgebrochen: {reason_de} Bitte eine neue Prüfung starten.",
        )
        self.request_id = request_id


class DidcommNotConfiguredError(VerifierError):
    """The DIDComm path needs a verifier agent (``GOVCHAIN_VERIFIER_AGENT_ADMIN_URL``)."""

    status = 503
    code = "didcomm-not-configured"

    def __init__(self) -> None:
        super().__init__(
            "Checks over DIDComm (Aries wallets) are not available: this verifier has no "
            "verifier agent configured (GOVCHAIN_VERIFIER_AGENT_ADMIN_URL).",
            "Prüfungen über DIDComm (Aries-Wallets) sind nicht verfügbar: für diesen "
            "Prüfdienst ist kein Prüf-Agent eingerichtet (GOVCHAIN_VERIFIER_AGENT_ADMIN_URL).",
        )


class VerifierAgentUnavailableError(VerifierError):
    """The verifier's ACA-Py agent did not answer or refused a call; nothing was started."""

    status = 503
    code = "verifier-agent-unavailable"

    def __init__(self, url: str, detail: str, detail_de: str | None = None) -> None:
        super().__init__(
            f"The verifier agent at {url} cannot be used ({detail}); no check was started. "
            "Is the agent running?",
            f"Der Prüf-Agent unter {url} ist nicht nutzbar ({detail_de or detail}); es wurde "
            "keine Prüfung gestartet. Läuft der Agent?",
        )
        self.url = url


class TooManyDidcommChecksError(VerifierError):
    """As many DIDComm checks are open as the settings allow
    (``GOVCHAIN_VERIFIER_DIDCOMM_MAX_OPEN``); each one holds an invitation on the agent
    and a task that follows it, so no more are started until one ends."""

    status = 429
    code = "too-many-didcomm-checks"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"{limit} checks over DIDComm are already open, the most this verifier runs at "
            "once; no check was started. Try again when one has ended (at the latest when "
            "it expires).",
            f"Es laufen bereits {limit} Prüfungen über DIDComm, mehr führt dieser Prüfdienst "
            "nicht gleichzeitig; es wurde keine Prüfung gestartet. Bitte erneut versuchen, "
            "sobald eine beendet ist (spätestens, wenn sie abläuft).",
        )
        self.limit = limit


class WebhookUnauthorizedError(VerifierError):
    """A post to the agent webhook endpoint without the verifier agent's key (or while
    webhooks are not set up). Says nothing more: not whether webhooks are configured,
    nor what was wrong with the key."""

    status = 401
    code = "unauthorized"

    def __init__(self) -> None:
        super().__init__("Not authorized.", "Nicht berechtigt.")


class MalformedWebhookError(VerifierError):
    """The verifier agent's webhook body is not a JSON object (or too large)."""

    code = "malformed-webhook"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The webhook is not usable: {detail}.",
            f"Der Webhook ist nicht verwendbar: {detail}.",
        )


class ResponseRefusedError(VerifierError):
    """A wallet's direct_post response that the verifier does not accept."""

    code = "response-refused"
    oauth_error = "invalid_request"


class UnknownStateError(ResponseRefusedError):
    """The response's ``state`` belongs to no request of this verifier."""

    code = "unknown-state"

    def __init__(self) -> None:
        super().__init__(
            "The response's state belongs to no open verification request.",
            "Der state der Antwort gehört zu keiner offenen Prüfanfrage.",
        )


class ReplayedResponseError(ResponseRefusedError):
    """The request was answered already; a second response (a replay) is refused."""

    code = "response-replayed"

    def __init__(self, request_id: str) -> None:
        super().__init__(
            "This verification request was answered already; a second response is refused.",
            "Diese Prüfanfrage wurde bereits beantwortet; eine zweite Antwort wird abgelehnt.",
        )
        self.request_id = request_id


class MalformedResponseError(ResponseRefusedError):
    """The ``vp_token`` is not a DCQL response to this request."""

    code = "malformed-response"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The response is not a valid DCQL vp_token for this request: {detail}.",
            f"Die Antwort ist kein gültiges DCQL-vp_token zu dieser Anfrage: {detail}.",
        )


class VerifierUnreachableError(VerifierError):
    """The verifier service did not answer (client side)."""

    status = 503
    code = "verifier-unreachable"

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(
            f"The verifier service at {url} cannot be reached ({detail}); is it running?",
            f"Der Prüfdienst unter {url} ist nicht erreichbar ({detail}); läuft er?",
        )
        self.url = url


class VerifierProblemError(VerifierError):
    """The service refused a client call with an RFC 9457 problem (client side)."""

    def __init__(self, status: int, code: str, message: str, message_de: str) -> None:
        super().__init__(message, message_de)
        self.status = status
        self.code = code


class OidcError(VerifierError):
    """Anything the "Login mit BürgerID" provider refuses; ``oauth_error`` is the code."""

    code = "oidc-error"
    oauth_error: str | None = "invalid_request"


class UnknownClientError(OidcError):
    """No service is registered with this client_id (never redirected anywhere)."""

    code = "unknown-client"
    oauth_error = "invalid_client"

    def __init__(self, client_id: str) -> None:
        shown = client_id[:64]
        super().__init__(
            f"No service is registered for Login mit BürgerID as {shown!r}.",
            f"Für „Login mit BürgerID“ ist kein Dienst {shown!r} angemeldet.",
        )
        self.client_id = client_id


class RedirectUriError(OidcError):
    """The redirect_uri is missing or not one the client registered (never redirected)."""

    code = "redirect-uri-not-registered"

    def __init__(self, client_id: str) -> None:
        super().__init__(
            f"The redirect_uri is not registered for client {client_id!r}; "
            "the login is not continued.",
            "Die Rücksprungadresse ist für diesen Dienst nicht angemeldet; "
            "die Anmeldung wird nicht fortgesetzt.",
        )
        self.client_id = client_id


class LoginNotFoundError(OidcError):
    """No login has this id."""

    status = 404
    code = "login-not-found"

    def __init__(self) -> None:
        super().__init__(
            "There is no such login; start again at the service.",
            "Diese Anmeldung gibt es nicht; bitte beim Dienst neu beginnen.",
        )


class AuthorizationRequestError(OidcError):
    """A faulty authorization request from a known client with a registered redirect_uri:
    the error goes back to the client (RFC 6749, 4.1.2.1)."""

    status = 303
    code = "authorization-request-refused"

    def __init__(
        self, oauth_error: str, detail: str, detail_de: str, redirect_uri: str, state: str | None
    ) -> None:
        super().__init__(detail, detail_de)
        self.oauth_error = oauth_error
        self.redirect_uri = redirect_uri
        self.state = state


class TokenRequestError(OidcError):
    """The token endpoint refuses the request (RFC 6749, 5.2)."""

    code = "token-request-refused"

    def __init__(self, oauth_error: str, detail: str, detail_de: str) -> None:
        super().__init__(detail, detail_de)
        self.oauth_error = oauth_error


class InvalidClientError(TokenRequestError):
    """Client authentication failed (unknown client, wrong secret, wrong method)."""

    status = 401
    code = "invalid-client"

    def __init__(self, detail: str) -> None:
        super().__init__(
            "invalid_client",
            f"Client authentication failed: {detail}.",
            "Der Dienst konnte sich nicht ausweisen.",
        )


class InvalidGrantError(TokenRequestError):
    """The code is unknown, used, expired, or not this client's, redirect_uri or verifier."""

    code = "invalid-grant"

    def __init__(self, detail: str) -> None:
        super().__init__(
            "invalid_grant",
            f"The authorization code is not valid: {detail}.",
            "Der Anmeldecode ist ungültig.",
        )


class InvalidTokenError(OidcError):
    """The userinfo endpoint got no, an unknown or an expired access token."""

    status = 401
    code = "invalid-token"
    oauth_error = "invalid_token"

    def __init__(self) -> None:
        super().__init__(
            "The access token is missing, unknown or expired.",
            "Das Zugriffstoken fehlt, ist unbekannt oder abgelaufen.",
        )


class SnapshotInvalidError(VerifierError):
    """An offline snapshot whose signature does not verify or whose content is unreadable:
    it is refused and never used."""

    code = "snapshot-invalid"

    def __init__(self, reason: str, reason_de: str) -> None:
        super().__init__(
            f"The offline snapshot is refused: {reason}.",
            f"Der Offline-Stand wird abgelehnt: {reason_de}.",
        )


class OfflineModeOffError(VerifierError):
    """Offline snapshots are used only with ``GOVCHAIN_VERIFIER_OFFLINE_FALLBACK`` set."""

    code = "offline-mode-off"
    status = 409

    def __init__(self) -> None:
        super().__init__(
            "Offline mode is off (GOVCHAIN_VERIFIER_OFFLINE_FALLBACK).",
            "Der Offline-Modus ist aus (GOVCHAIN_VERIFIER_OFFLINE_FALLBACK).",
        )
