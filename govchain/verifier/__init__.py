"""The verifier service: OID4VP 1.0 (DCQL, signed request objects by reference,
direct_post) and DIDComm present-proof 2.0 through the verifier agent (``DidcommChannel``)
for the officials' field checks, results kept per request in one model, and a small
HTTP client the CLI uses.

Start a check with ``VerifierClient(url).create_request(check, params)`` (or the
service's ``POST /verifier/v1/requests``); read its result with ``.result(id)``.
"Login mit BürgerID" is the OpenID Connect provider under ``/oidc`` (``OidcProvider``;
its clients are ``OidcClient`` settings).
"""

from govchain.verifier.app import create_app
from govchain.verifier.checks import FieldCheck, dcql_query, field_check, field_checks
from govchain.verifier.client import (
    CreatedDidcommRequestInfo,
    CreatedRequestInfo,
    Pending,
    VerifierClient,
)
from govchain.verifier.didcomm import CreatedDidcommRequest, DidcommChannel
from govchain.verifier.errors import (
    CheckParameterError,
    DidcommNotConfiguredError,
    MalformedResponseError,
    ReplayedResponseError,
    RequestExpiredError,
    RequestFailedError,
    RequestNotFoundError,
    ResponseRefusedError,
    TooManyDidcommChecksError,
    UnknownCheckError,
    UnknownStateError,
    VerifierAgentUnavailableError,
    VerifierError,
    VerifierProblemError,
    VerifierUnreachableError,
)
from govchain.verifier.oidc import OidcProvider
from govchain.verifier.service import CreatedRequest, StoredRequest, VerifierService
from govchain.verifier.settings import OidcClient, VerifierSettings

__all__ = [
    "CheckParameterError",
    "CreatedDidcommRequest",
    "CreatedDidcommRequestInfo",
    "CreatedRequest",
    "CreatedRequestInfo",
    "DidcommChannel",
    "DidcommNotConfiguredError",
    "FieldCheck",
    "MalformedResponseError",
    "OidcClient",
    "OidcProvider",
    "Pending",
    "ReplayedResponseError",
    "RequestExpiredError",
    "RequestFailedError",
    "RequestNotFoundError",
    "ResponseRefusedError",
    "StoredRequest",
    "TooManyDidcommChecksError",
    "UnknownCheckError",
    "UnknownStateError",
    "VerifierAgentUnavailableError",
    "VerifierClient",
    "VerifierError",
    "VerifierProblemError",
    "VerifierService",
    "VerifierSettings",
    "VerifierUnreachableError",
    "create_app",
    "dcql_query",
    "field_check",
    "field_checks",
]
