"""The wallet's side of OID4VCI 1.0 (pre-authorized code, tx_code, nonce, jwt proof)
and OID4VP 1.0 (request by reference, signed request object, DCQL, direct_post).

Only HTTP and message shapes live here; what to trust and what to keep is the
service's business.

Every address the wallet fetches or posts to comes from a link someone else made (the
offer's ``credential_offer_uri``, the request's ``request_uri``, the issuer's metadata
endpoints, the ``response_uri``), so every exchange is bounded: at most ``_MAX_BODY``
bytes are read (the download is aborted past it, never read whole first), no content
encoding (no decompression bombs), no redirect is followed, and the client from
``http_client`` connects only to public addresses, checked after DNS resolution on the
very address it connects to (loopback too in development, where everything runs on
127.0.0.1), so a link cannot make the wallet reach into the network it runs in.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import httpcore
import httpx

from govchain.citizen_wallet._links import OFFER_SCHEME, REQUEST_SCHEME, canonical_link
from govchain.citizen_wallet.errors import OfferError, PresentationRequestError
from govchain.credentials import SigningKey, resolve_did
from govchain.credentials.errors import CredentialsError
from govchain.credentials.jose import parse_compact_jws, sign_compact_jws
from govchain.credentials.sd_jwt import ClaimPath, split_sd_jwt

__all__ = [
    "PRE_AUTHORIZED_GRANT",
    "CredentialOffer",
    "IssuerMetadata",
    "PresentationRequest",
    "fetch_request",
    "http_client",
    "parse_offer",
    "post_presentation",
    "redeem",
    "verify_issued",
]

PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYP: Final = "openid4vci-proof+jwt"
REQUEST_TYP: Final = "oauth-authz-req+jwt"
DID_CLIENT_PREFIX: Final = "decentralized_identifier:"
_MAX_BODY: Final = 256 * 1024


def _offer_error(en: str, de: str) -> OfferError:
    return OfferError(en, de)


type _Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(httpcore.ConnectError):
    """A host resolved to an address the wallet does not connect to (loopback, private,
    link-local, multicast, reserved): raised at connect time, before any byte is sent."""

    def __init__(self, host: str, address: _Address) -> None:
        super().__init__(f"{host} resolves to the non-public address {address}")
        self.host = host
        self.address = address


def _public(address: _Address, *, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


class _PublicOnlyBackend(httpcore.SyncBackend):
    """Resolves the host itself, refuses it if any of its addresses is not public, and
    connects to the checked address (so DNS cannot answer differently in between; TLS
    still verifies the certificate for the host name)."""

    def __init__(self, *, allow_loopback: bool) -> None:
        self.allow_loopback = allow_loopback

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as err:
            raise httpcore.ConnectError(f"{host} cannot be resolved: {err}") from err
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))
        for address in addresses:
            if not _public(address, allow_loopback=self.allow_loopback):
                raise AddressRefused(host, address)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as err:
                failure = err
        raise failure or httpcore.ConnectError(f"{host} has no address")


class _PublicOnlyTransport(httpx.HTTPTransport):
    def __init__(self, *, allow_loopback: bool) -> None:
        super().__init__()
        # httpx has no parameter for the network backend: the pool is built again with it.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=_PublicOnlyBackend(allow_loopback=allow_loopback),
        )


def http_client(timeout: float, *, allow_loopback: bool) -> httpx.Client:
    """The wallet's client for issuers and verifiers: public addresses only (and loopback
    when ``allow_loopback``, i.e. in development), no redirects, and no proxy from the
    environment (a proxy would connect where the check cannot see)."""
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        transport=_PublicOnlyTransport(allow_loopback=allow_loopback),
    )


def _exchange(
    http: httpx.Client,
    method: str,
    url: str,
    error: type[OfferError] | type[PresentationRequestError],
    **kwargs: Any,
) -> httpx.Response:
    """One request whose answer is read to at most ``_MAX_BODY`` bytes (aborted past it),
    without content encoding and without following redirects; the response is returned
    read. Network failures raise ``error`` (a refused address says so)."""
    headers = {"Accept-Encoding": "identity", **kwargs.pop("headers", {})}
    shown = url[:120]
    try:
        with http.stream(method, url, headers=headers, follow_redirects=False, **kwargs) as r:
            if r.is_redirect:
                raise error(
                    f"{shown} redirects elsewhere; the wallet follows no redirects.",
                    f"{shown} leitet weiter; die Brieftasche folgt keinen Weiterleitungen.",
                )
            if r.headers.get("content-encoding", "identity").lower() not in {"", "identity"}:
                raise error(
                    f"{shown} sent a compressed answer, which the wallet does not accept.",
                    f"{shown} sandte eine komprimierte Antwort, die die Brieftasche nicht annimmt.",
                )
            declared = r.headers.get("content-length", "")
            too_large = error(
                f"The answer of {shown} is larger than {_MAX_BODY // 1024} KiB; refused.",
                f"Die Antwort von {shown} ist größer als {_MAX_BODY // 1024} KiB; abgelehnt.",
            )
            if declared.isdigit() and int(declared) > _MAX_BODY:
                raise too_large
            body = bytearray()
            for chunk in r.iter_raw():
                body += chunk
                if len(body) > _MAX_BODY:
                    raise too_large  # closing the stream drops the connection
    except httpx.HTTPError as err:
        cause = err.__cause__
        if isinstance(cause, AddressRefused):
            raise error(
                f"Refusing {shown}: {cause.host} is not a public address ({cause.address}).",
                f"{shown} abgelehnt: {cause.host} ist keine öffentliche Adresse ({cause.address}).",
            ) from err
        raise error(
            f"{shown} is unreachable ({type(err).__name__}).",
            f"{shown} ist nicht erreichbar ({type(err).__name__}).",
        ) from err
    return httpx.Response(r.status_code, headers=r.headers, content=bytes(body), request=r.request)


def _checked_url(
    url: object, *, allow_http: bool, error: type[OfferError] | type[PresentationRequestError]
) -> str:
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise error(
            f"Not an http(s) URL: {str(url)[:80]!r}.", f"Keine http(s)-Adresse: {str(url)[:80]!r}."
        )
    if url.startswith("http://") and not allow_http:
        raise error(
            f"Refusing an unencrypted http:// address: {url[:80]}.",
            f"Unverschlüsselte http://-Adresse abgelehnt: {url[:80]}.",
        )
    return url


def _get_json(http: httpx.Client, url: str) -> dict[str, Any]:
    response = _exchange(http, "GET", url, OfferError)
    if response.status_code != 200:
        raise _offer_error(
            f"{url} answered {response.status_code}.",
            f"{url} antwortete mit {response.status_code}.",
        )
    try:
        body = response.json()
    except ValueError as err:
        raise _offer_error(f"{url} sent no JSON.", f"{url} sandte kein JSON.") from err
    if not isinstance(body, dict):
        raise _offer_error(f"{url} sent no JSON object.", f"{url} sandte kein JSON-Objekt.")
    return body


@dataclass(frozen=True)
class CredentialOffer:
    """A resolved credential offer with the pre-authorized code grant."""

    credential_issuer: str
    configuration_ids: tuple[str, ...]
    pre_authorized_code: str
    tx_code: dict[str, Any] | None


def parse_offer(uri: str, http: httpx.Client, *, allow_http: bool) -> CredentialOffer:
    """An ``openid-credential-offer://`` link (or its https twin), by value or by
    reference."""
    parts = urlsplit(canonical_link(uri).strip())
    if parts.scheme != OFFER_SCHEME:
        raise _offer_error(
            "This is not a credential offer (openid-credential-offer://).",
            "Das ist kein Nachweis-Angebot (openid-credential-offer://).",
        )
    query = parse_qs(parts.query)
    if "credential_offer" in query:
        try:
            offer = json.loads(query["credential_offer"][0])
        except ValueError as err:
            raise _offer_error(
                "The offer is not valid JSON.", "Das Angebot ist kein gültiges JSON."
            ) from err
    elif "credential_offer_uri" in query:
        url = _checked_url(
            query["credential_offer_uri"][0], allow_http=allow_http, error=OfferError
        )
        offer = _get_json(http, url)
    else:
        raise _offer_error("The offer link carries no offer.", "Der Link enthält kein Angebot.")
    try:
        issuer = _checked_url(offer["credential_issuer"], allow_http=allow_http, error=OfferError)
        ids = offer["credential_configuration_ids"]
        grant = offer["grants"][PRE_AUTHORIZED_GRANT]
        code = grant["pre-authorized_code"]
        tx_code = grant.get("tx_code")
        if not (isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids)):
            raise TypeError("credential_configuration_ids")
        if not isinstance(code, str) or not (tx_code is None or isinstance(tx_code, dict)):
            raise TypeError("grant")
    except (KeyError, TypeError) as err:
        raise _offer_error(
            "The offer lacks the issuer, the credential types or a pre-authorized code.",
            "Dem Angebot fehlen Ausstellerin, Nachweistyp oder vorautorisierter Code.",
        ) from err
    return CredentialOffer(issuer.rstrip("/"), tuple(ids), code, tx_code)


@dataclass(frozen=True)
class IssuerMetadata:
    """What the wallet uses of the Credential Issuer Metadata."""

    credential_issuer: str
    credential_endpoint: str
    nonce_endpoint: str | None
    token_endpoint: str
    display: list[dict[str, Any]]
    configurations: dict[str, dict[str, Any]]

    @classmethod
    def fetch(cls, http: httpx.Client, issuer: str, *, allow_http: bool) -> IssuerMetadata:
        """Metadata and token endpoint from the issuer's well-known documents."""
        meta = _get_json(http, f"{issuer}/.well-known/openid-credential-issuer")
        if meta.get("credential_issuer", "").rstrip("/") != issuer:
            raise _offer_error(
                "The issuer's metadata names another issuer than the offer.",
                "Die Metadaten der Stelle nennen eine andere Ausstellerin als das Angebot.",
            )
        servers = meta.get("authorization_servers") or [issuer]
        oauth = _get_json(http, f"{servers[0]}/.well-known/oauth-authorization-server")
        try:
            return cls(
                credential_issuer=issuer,
                credential_endpoint=_checked_url(
                    meta["credential_endpoint"], allow_http=allow_http, error=OfferError
                ),
                nonce_endpoint=meta.get("nonce_endpoint"),
                token_endpoint=_checked_url(
                    oauth["token_endpoint"], allow_http=allow_http, error=OfferError
                ),
                display=list(meta.get("display") or []),
                configurations=dict(meta["credential_configurations_supported"]),
            )
        except (KeyError, TypeError) as err:
            raise _offer_error(
                "The issuer's metadata are incomplete.",
                "Die Metadaten der Stelle sind unvollständig.",
            ) from err


def _post(http: httpx.Client, url: str, **kwargs: Any) -> dict[str, Any]:
    response = _exchange(http, "POST", url, OfferError, **kwargs)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict):
        detail_de = body.get("detail_de") if isinstance(body, dict) else None
        detail = body.get("error_description") if isinstance(body, dict) else None
        raise _offer_error(
            f"The issuer refused: {detail or response.status_code}.",
            f"Die Stelle lehnte ab: {detail_de or detail or response.status_code}.",
        )
    return body


def redeem(
    http: httpx.Client,
    offer: CredentialOffer,
    meta: IssuerMetadata,
    tx_code: str | None,
    keys: dict[str, SigningKey],
    *,
    now: int,
) -> dict[str, str]:
    """Token (with the tx_code), then per configuration a fresh nonce, a jwt proof of
    possession signed by that configuration's own fresh key, and the credential."""
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": offer.pre_authorized_code}
    if tx_code:
        form["tx_code"] = tx_code
    token = _post(http, meta.token_endpoint, data=form).get("access_token")
    if not isinstance(token, str):
        raise _offer_error(
            "The issuer sent no access token.", "Die Stelle sandte kein Zugangstoken."
        )
    issued: dict[str, str] = {}
    for cid, key in keys.items():
        payload: dict[str, Any] = {"aud": meta.credential_issuer, "iat": now}
        if meta.nonce_endpoint:
            nonce = _post(http, meta.nonce_endpoint).get("c_nonce")
            if isinstance(nonce, str):
                payload["nonce"] = nonce
        proof = sign_compact_jws({"typ": PROOF_TYP, "jwk": key.public_key.jwk}, payload, key)
        body = _post(
            http,
            meta.credential_endpoint,
            json={"credential_configuration_id": cid, "proofs": {"jwt": [proof]}},
            headers={"Authorization": f"Bearer {token}"},
        )
        try:
            credential = body["credentials"][0]["credential"]
        except (KeyError, IndexError, TypeError) as err:
            raise _offer_error(
                "The issuer sent no credential.", "Die Stelle sandte keinen Nachweis."
            ) from err
        if not isinstance(credential, str):
            raise _offer_error("The credential is not an SD-JWT.", "Der Nachweis ist kein SD-JWT.")
        issued[cid] = credential
    return issued


def verify_issued(credential: str, key: SigningKey, vct: str) -> dict[str, Any]:
    """The issuer-signed payload of a fresh credential, after checking its signature
    against the issuer's DID, its type and that it is bound to ``key``."""
    try:
        jws = parse_compact_jws(split_sd_jwt(credential).issuer_jwt)
        issuer = jws.payload.get("iss")
        kid = jws.header.get("kid")
        if not isinstance(issuer, str) or not isinstance(kid, str):
            raise ValueError("iss or kid missing")
        method = resolve_did(issuer).method(kid)
    except (CredentialsError, ValueError) as err:
        raise _offer_error(
            "The credential cannot be read or its issuer not resolved.",
            "Der Nachweis ist unlesbar oder seine Ausstellerin unauflösbar.",
        ) from err
    if method is None or not jws.verify_with(method.public_key):
        raise _offer_error(
            "The credential's signature does not verify.",
            "Die Signatur des Nachweises ist ungültig.",
        )
    if jws.payload.get("vct") != vct:
        raise _offer_error(
            "The credential is of another type than offered.",
            "Der Nachweis hat einen anderen Typ als angeboten.",
        )
    if jws.payload.get("cnf", {}).get("jwk") != key.public_key.jwk:
        raise _offer_error(
            "The credential is not bound to this wallet's key.",
            "Der Nachweis ist nicht an den Schlüssel dieser Brieftasche gebunden.",
        )
    return jws.payload


def _request_error(en: str, de: str) -> PresentationRequestError:
    return PresentationRequestError(en, de)


@dataclass(frozen=True)
class PresentationRequest:
    """A verified OID4VP request object."""

    client_id: str
    payload: dict[str, Any]

    @property
    def did(self) -> str:
        """The verifier's DID (from the ``decentralized_identifier`` client_id)."""
        return self.client_id.removeprefix(DID_CLIENT_PREFIX)

    @property
    def query(self) -> dict[str, Any]:
        """The (single) DCQL credential query."""
        query: dict[str, Any] = self.payload["dcql_query"]["credentials"][0]
        return query

    @property
    def vct_values(self) -> list[str]:
        """The credential types the verifier accepts."""
        return [str(v) for v in self.query.get("meta", {}).get("vct_values", [])]

    @property
    def requested(self) -> list[ClaimPath]:
        """The claim paths the verifier asks for."""
        return [tuple(c["path"]) for c in self.query.get("claims", [])]


def fetch_request(
    http: httpx.Client, uri: str, *, allow_http: bool, now: float
) -> PresentationRequest:
    """Resolve an ``openid4vp://`` link and verify the signed request object against
    the verifier's DID (an https twin of the link is read the same way)."""
    parts = urlsplit(canonical_link(uri).strip())
    if parts.scheme != REQUEST_SCHEME:
        raise _request_error(
            "This is not a presentation request (openid4vp://).",
            "Das ist keine Vorzeige-Anfrage (openid4vp://).",
        )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    client_id = query.get("client_id", "")
    if not client_id.startswith(DID_CLIENT_PREFIX):
        raise _request_error(
            "Only verifiers identified by a DID are supported.",
            "Nur Prüfstellen mit DID werden unterstützt.",
        )
    request_uri = _checked_url(
        query.get("request_uri"), allow_http=allow_http, error=PresentationRequestError
    )
    response = _exchange(http, "GET", request_uri, PresentationRequestError)
    if response.status_code != 200:
        raise _request_error(
            f"The verifier answered {response.status_code}; the request may have expired.",
            f"Die Prüfstelle antwortete mit "
            f"{response.status_code}; die Anfrage ist vielleicht abgelaufen.",
        )
    if response.headers.get("content-type", "").split(";")[0] != "application/" + REQUEST_TYP:
        raise _request_error(
            "The request object has the wrong media type.",
            "Das Anfrageobjekt hat den falschen Medientyp.",
        )
    did = client_id.removeprefix(DID_CLIENT_PREFIX)
    try:
        jws = parse_compact_jws(response.text)
        kid = jws.header.get("kid")
        if jws.header.get("typ") != REQUEST_TYP or not isinstance(kid, str):
            raise ValueError("typ or kid")
        if not kid.startswith(did + "#"):
            raise ValueError("kid not of the client's DID")
        method = resolve_did(did).method(kid)
    except (CredentialsError, ValueError) as err:
        raise _request_error(
            "The request object is malformed.", "Das Anfrageobjekt ist fehlerhaft."
        ) from err
    if method is None or not jws.verify_with(method.public_key):
        raise _request_error(
            "The request's signature does not verify.", "Die Signatur der Anfrage ist ungültig."
        )
    payload = jws.payload
    if payload.get("client_id") != client_id or payload.get("response_mode") != "direct_post":
        raise _request_error(
            "The request object does not fit the link.", "Das Anfrageobjekt passt nicht zum Link."
        )
    exp = payload.get("exp")
    if isinstance(exp, int) and exp < now:
        raise _request_error("The request has expired.", "Die Anfrage ist abgelaufen.")
    try:
        _checked_url(payload["response_uri"], allow_http=allow_http, error=PresentationRequestError)
        request = PresentationRequest(client_id, payload)
        if not isinstance(payload["nonce"], str) or not isinstance(payload["state"], str):
            raise TypeError("nonce/state")
        if request.query.get("format") != "dc+sd-jwt" or not request.requested:
            raise TypeError("query")
    except (KeyError, IndexError, TypeError) as err:
        raise _request_error(
            "The request lacks nonce, state or a DCQL query for an SD-JWT VC.",
            "Der Anfrage fehlen nonce, state oder eine DCQL-Abfrage.",
        ) from err
    return request


def post_presentation(
    http: httpx.Client, request: PresentationRequest, presentation: str
) -> httpx.Response:
    """direct_post of the DCQL vp_token (``{query id: [presentation]}``)."""
    vp_token = json.dumps({str(request.query["id"]): [presentation]})
    return _exchange(
        http,
        "POST",
        str(request.payload["response_uri"]),
        PresentationRequestError,
        data={"vp_token": vp_token, "state": str(request.payload["state"])},
    )
