"""Errors of the verifier service.

Tree (below ``govchain.errors.GovchainError``)::

    VerifierError                    (status, code; English and German message)
    ├── UnknownCheckError            no field check of that name             400
    ├── CheckParameterError          a check's parameters are invalid         400
    ├── RequestNotFoundError         no request with that id or reference     404
    ├── RequestExpiredError          the request's time ran out               410
    ├── ResponseRefusedError         a direct_post the verifier refuses       400
    │   ├── UnknownStateError        state names no open request
    │   ├── ReplayedResponseError    the request was already answered
    │   └── MalformedResponseError   vp_token unreadable or not the DCQL shape
    ├── VerifierUnreachableError     the client cannot reach the service      503
    └── VerifierProblemError         the client got a problem document (its status/code)

A presentation that fails *verification* is not an exception: it is answered and its
``VerificationResult`` (red, with reasons) is stored with the request.
"""

from __future__ import annotations

from govchain.errors import GovchainError

__all__ = [
    "CheckParameterError",
    "MalformedResponseError",
    "ReplayedResponseError",
    "RequestExpiredError",
    "RequestNotFoundError",
    "ResponseRefusedError",
    "UnknownCheckError",
    "UnknownStateError",
    "VerifierError",
    "VerifierProblemError",
    "VerifierUnreachableError",
]


class VerifierError(GovchainError):
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
