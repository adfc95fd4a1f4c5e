"""The verifier service: OID4VP 1.0 (DCQL, signed request objects by reference,
direct_post) for the officials' field checks, results kept per request, and a small
HTTP client the CLI uses.

Start a check with ``VerifierClient(url).create_request(check, params)`` (or the
service's ``POST /verifier/v1/requests``); read its result with ``.result(id)``.
"Login mit BürgerID" is the OpenID Connect provider under ``/oidc`` (``OidcProvider``;
its clients are ``OidcClient`` settings).
"""

from govchain.verifier.app import create_app
from govchain.verifier.checks import FieldCheck, dcql_query, field_check, field_checks
from govchain.verifier.client import CreatedRequestInfo, Pending, VerifierClient
from govchain.verifier.errors import (
    CheckParameterError,
    MalformedResponseError,
    ReplayedResponseError,
    RequestExpiredError,
    RequestNotFoundError,
    ResponseRefusedError,
    UnknownCheckError,
    UnknownStateError,
    VerifierError,
    VerifierProblemError,
    VerifierUnreachableError,
)
from govchain.verifier.oidc import OidcProvider
from govchain.verifier.service import CreatedRequest, StoredRequest, VerifierService
from govchain.verifier.settings import OidcClient, VerifierSettings

__all__ = [
    "CheckParameterError",
    "CreatedRequest",
    "CreatedRequestInfo",
    "FieldCheck",
    "MalformedResponseError",
    "OidcClient",
    "OidcProvider",
    "Pending",
    "ReplayedResponseError",
    "RequestExpiredError",
    "RequestNotFoundError",
    "ResponseRefusedError",
    "StoredRequest",
    "UnknownCheckError",
    "UnknownStateError",
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
