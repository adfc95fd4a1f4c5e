"""A test wallet speaking OID4VP 1.0 with the holder functions of govchain.credentials:
read the QR link, fetch the request object by reference, check its signature against the
verifier's DID, build the DCQL vp_token with ``present_credential``, POST direct_post."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from govchain.credentials import SigningKey, present_credential, resolve_did
from govchain.credentials.jose import parse_compact_jws
from govchain.credentials.sd_jwt import ClaimPath


class WalletRefusalError(Exception):
    """The wallet does not trust the request."""


@dataclass(frozen=True)
class AuthorizationRequest:
    """A verified request object."""

    client_id: str
    header: dict[str, Any]
    payload: dict[str, Any]

    @property
    def nonce(self) -> str:
        return str(self.payload["nonce"])

    @property
    def state(self) -> str:
        return str(self.payload["state"])

    @property
    def query_id(self) -> str:
        return str(self.payload["dcql_query"]["credentials"][0]["id"])

    @property
    def requested(self) -> list[ClaimPath]:
        claims = self.payload["dcql_query"]["credentials"][0]["claims"]
        return [tuple(c["path"]) for c in claims]


def fetch_request(http: httpx.Client, openid4vp_uri: str) -> AuthorizationRequest:
    """Resolve the QR code's link and verify the signed request object."""
    parts = urlsplit(openid4vp_uri)
    if parts.scheme != "openid4vp":
        raise WalletRefusalError(f"not an openid4vp link: {parts.scheme}")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    client_id, request_uri = query["client_id"], query["request_uri"]
    response = http.get(request_uri)
    response.raise_for_status()
    if response.headers["content-type"] != "application/oauth-authz-req+jwt":
        raise WalletRefusalError("request object has the wrong media type")
    jws = parse_compact_jws(response.text)
    if jws.header.get("typ") != "oauth-authz-req+jwt":
        raise WalletRefusalError("request object has the wrong typ")
    if not client_id.startswith("decentralized_identifier:"):
        raise WalletRefusalError("unsupported client identifier prefix")
    did = client_id.removeprefix("decentralized_identifier:")
    kid = jws.header.get("kid")
    if not isinstance(kid, str) or not kid.startswith(did + "#"):
        raise WalletRefusalError("kid is not a key of the client's DID")
    method = resolve_did(did).method(kid)
    if method is None or not jws.verify_with(method.public_key):
        raise WalletRefusalError("request object signature does not verify")
    if jws.payload.get("client_id") != client_id:
        raise WalletRefusalError("client_id in the request object differs from the link")
    if jws.payload.get("response_mode") != "direct_post":
        raise WalletRefusalError("unexpected response mode")
    return AuthorizationRequest(client_id, jws.header, jws.payload)


def presentation(
    request: AuthorizationRequest,
    credential: str,
    holder_key: SigningKey,
    *,
    issued_at: int,
    disclose: list[ClaimPath] | None = None,
) -> str:
    """An SD-JWT+KB for the request (its nonce, its client_id as audience)."""
    return present_credential(
        credential,
        disclose=request.requested if disclose is None else disclose,
        holder_key=holder_key,
        nonce=request.nonce,
        audience=request.client_id,
        issued_at=issued_at,
    )


def post_response(
    http: httpx.Client,
    request: AuthorizationRequest,
    vp_token: dict[str, Any] | str,
    *,
    state: str | None = None,
) -> httpx.Response:
    """direct_post: form-encoded ``vp_token`` (JSON) and ``state`` to the response_uri."""
    token = vp_token if isinstance(vp_token, str) else json.dumps(vp_token)
    return http.post(
        str(request.payload["response_uri"]),
        data={"vp_token": token, "state": request.state if state is None else state},
    )


def answer(
    http: httpx.Client,
    request: AuthorizationRequest,
    credential: str,
    holder_key: SigningKey,
    *,
    issued_at: int,
    disclose: list[ClaimPath] | None = None,
) -> httpx.Response:
    """The whole wallet response to a request."""
    shown = presentation(request, credential, holder_key, issued_at=issued_at, disclose=disclose)
    return post_response(http, request, {request.query_id: [shown]})
