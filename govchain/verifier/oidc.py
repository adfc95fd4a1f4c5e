""" "Login mit BürgerID": an OpenID Connect provider in front of the OID4VP verifier.

Towards a service it is plain OIDC (authorization code flow, PKCE S256 required, ES256
ID tokens, ``acr`` = the BürgerID's level of assurance, pairwise ``sub``); behind it the
citizen presents the BürgerID by OID4VP to this verifier (the unlisted
``buergerid-login`` check at the level the service needs).

Pairwise subject: ``sub = b64url(HMAC-SHA256(K_sector, identity))`` where
``K_sector = HMAC-SHA256(pairwise_secret, "govchain-oidc-sector" 0x00 sector)`` and
``identity`` is the compact JSON ``[acr, given_name, family_name, birth_date,
birth_place]`` (NFC) from the presented BürgerID. The same citizen at the same level gets
the same ``sub`` at one sector (by default one client) and unrelated ``sub`` values at
others; without the secret a ``sub`` cannot be linked to a person or to another service's
``sub``. The level is part of the identity because the personal data alone prove
nothing at "Basisregistrierung" (self-registration, no identity check): anyone can
enrol with a victim's data, and must not land in the account the victim opened with a
checked BürgerID. A ``sub`` is only as strong as its ``acr``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from govchain.credentials import CheckOutcome, ReasonCode, VerificationResult
from govchain.credentials.jose import sign_compact_jws
from govchain.verifier._oidc_store import LoginPhase, LoginRow, LoginStore
from govchain.verifier._store import RequestPhase
from govchain.verifier.checks import LOGIN_CHECK
from govchain.verifier.errors import (
    AuthorizationRequestError,
    InvalidClientError,
    InvalidGrantError,
    InvalidTokenError,
    LoginNotFoundError,
    RedirectUriError,
    TokenRequestError,
    UnknownClientError,
)
from govchain.verifier.service import VerifierService
from govchain.verifier.settings import OidcClient

__all__ = [
    "ACR_BY_LEVEL",
    "OIDC_PATH",
    "SUPPORTED_SCOPES",
    "LoginView",
    "OidcProvider",
    "TokenResponse",
]

log = logging.getLogger(__name__)

OIDC_PATH: Final = "/oidc"
LEVELS: Final = ("basisregistrierung", "substanziell", "hoch")
ACR_BY_LEVEL: Final = {level: f"urn:govchain:loa:{level}" for level in LEVELS}
LEVEL_BY_ACR: Final = {acr: level for level, acr in ACR_BY_LEVEL.items()}
LEVEL_BY_LOA: Final = {1: "basisregistrierung", 2: "substanziell", 3: "hoch"}
SUPPORTED_SCOPES: Final = ("openid", "profile", "address")
MAX_PARAM_CHARS: Final = 512


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class LoginView:
    """What the citizen's login page shows: the QR code while pending, then where to go."""

    login_id: str
    client_name: str
    min_level: str
    phase: LoginPhase
    openid4vp_uri: str | None
    redirect_to: str | None
    denied_de: str | None


@dataclass(frozen=True)
class TokenResponse:
    """The token endpoint's answer (RFC 6749, 5.1; OIDC Core, 3.1.3.3)."""

    access_token: str
    token_type: str
    expires_in: int
    id_token: str
    scope: str


class OidcProvider:
    """The OpenID Connect provider: clients from settings, logins on SQLite, the
    verifier's key signs ID tokens.

    Args:
        verifier: the OID4VP verifier that checks the BürgerID.
        store: where logins, codes and tokens (hashed) are kept.
        clients: the registered services.
        pairwise_secret: the secret the per-sector keys are derived from.
        code_ttl: seconds an authorization code stays redeemable.
        token_ttl: seconds an access token and ID token are valid.
        clock: unix seconds.
    """

    def __init__(
        self,
        *,
        verifier: VerifierService,
        store: LoginStore,
        clients: tuple[OidcClient, ...],
        pairwise_secret: bytes,
        code_ttl: int = 60,
        token_ttl: int = 600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.verifier = verifier
        self.store = store
        self.clients = {c.client_id: c for c in clients}
        self._pairwise_secret = pairwise_secret
        self.code_ttl = code_ttl
        self.token_ttl = token_ttl
        self._clock = clock
        self.issuer = f"{verifier.base_url}{OIDC_PATH}"
        self.key = verifier.key
        self.kid = _b64url(self.key.public_key.thumbprint())

    def _now(self) -> int:
        return int(self._clock())

    # --- metadata ------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        """OpenID Provider Metadata (OIDC Discovery 1.0, 3)."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": list(ACR_BY_LEVEL.values()),
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "scopes_supported": list(SUPPORTED_SCOPES),
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "acr",
                "amr",
                "given_name",
                "family_name",
                "birthdate",
                "address",
            ],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "authorization_response_iss_parameter_supported": True,
            "ui_locales_supported": ["de"],
        }

    def jwks(self) -> dict[str, Any]:
        """The key ID tokens are signed with (the verifier's P-256 key)."""
        jwk = dict(self.key.public_key.jwk)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": self.key.alg}]}

    # --- authorization -------------------------------------------------------------------

    def _client(self, client_id: str | None) -> OidcClient:
        client = self.clients.get(client_id or "")
        if client is None:
            raise UnknownClientError(client_id or "")
        return client

    def begin(self, query: Mapping[str, str], repeated: frozenset[str] = frozenset()) -> str:
        """Check an authorization request and start its login; returns the login id.

        An unknown client or an unregistered redirect_uri is refused with a page (never
        redirected); every other fault goes back to the registered redirect_uri.
        ``repeated`` names parameters sent more than once (RFC 6749, 3.1: refused).
        """
        client = self._client(query.get("client_id"))
        redirect_uri = query.get("redirect_uri")
        if (
            redirect_uri is None
            or redirect_uri not in client.redirect_uris
            or repeated & {"client_id", "redirect_uri"}
        ):
            raise RedirectUriError(client.client_id)
        state = None if "state" in repeated else query.get("state")

        def refuse(error: str, detail: str, detail_de: str) -> AuthorizationRequestError:
            return AuthorizationRequestError(error, detail, detail_de, redirect_uri, state)

        if repeated:
            raise refuse(
                "invalid_request",
                f"parameters sent more than once: {', '.join(sorted(repeated))}",
                "Angaben doppelt gesendet.",
            )
        if any(len(v) > MAX_PARAM_CHARS for v in query.values()):
            raise refuse("invalid_request", "a parameter is too long", "Angabe zu lang")
        if query.get("response_type") != "code":
            raise refuse(
                "unsupported_response_type",
                "only response_type=code is supported",
                "Nur response_type=code ist möglich.",
            )
        scopes = query.get("scope", "").split()
        if "openid" not in scopes:
            raise refuse("invalid_scope", "scope must include openid", "scope ohne openid")
        challenge = query.get("code_challenge", "")
        if query.get("code_challenge_method") != "S256" or not (43 <= len(challenge) <= 128):
            raise refuse(
                "invalid_request",
                "PKCE is required: code_challenge with code_challenge_method=S256",
                "PKCE (S256) ist erforderlich.",
            )
        level = self._required_level(client, query.get("acr_values", ""))
        granted = " ".join(s for s in SUPPORTED_SCOPES if s in scopes)
        created = self.verifier.create_request(
            LOGIN_CHECK, {"min_level": level, "address": "address" in scopes}, internal=True
        )
        now = self._now()
        row = LoginRow(
            id=secrets.token_urlsafe(24),
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scope=granted,
            state=state,
            nonce=query.get("nonce"),
            code_challenge=challenge,
            min_level=level,
            request_id=created.request_id,
            created_at=now,
            expires_at=created.expires_at,
            code_expires_at=None,
            code_used=False,
            denied_de=None,
            sub=None,
            acr=None,
            auth_time=None,
            claims=None,
            token_expires_at=None,
        )
        self.store.add(row)
        log.info("login %s for client %s at level %s", row.id[:8], client.client_id, level)
        return row.id

    @staticmethod
    def _required_level(client: OidcClient, acr_values: str) -> str:
        """The client's minimum, raised to the lowest level the request asks for."""
        asked = [LEVELS.index(LEVEL_BY_ACR[a]) for a in acr_values.split() if a in LEVEL_BY_ACR]
        floor = LEVELS.index(client.min_level)
        return LEVELS[max([floor, min(asked)] if asked else [floor])]

    def login(self, login_id: str) -> LoginView:
        """The login page's state. Once the BürgerID was presented, the first view issues
        the code (``redirect_to`` the client with code and state) or denies the login
        (``redirect_to`` the client with ``error=access_denied``, German reasons shown)."""
        row = self.store.by_id(login_id)
        if row is None:
            raise LoginNotFoundError()
        if row.phase(self._now()) in (LoginPhase.PENDING, LoginPhase.EXPIRED):
            stored = self.verifier.get(row.request_id)
            if stored.result is not None:
                target = self._conclude(row, stored.result)
                if target is not None:
                    return self._view(row, LoginPhase.CODE_ISSUED, redirect_to=target)
            elif stored.phase is RequestPhase.PENDING:
                return self._view(row, LoginPhase.PENDING, openid4vp_uri=stored.openid4vp_uri)
            else:
                self.store.deny(
                    row.id, "Es wurde keine BürgerID vorgezeigt, bevor die Zeit ablief."
                )
            row = self.store.by_id(login_id) or row
        phase = row.phase(self._now())
        if phase is LoginPhase.DENIED:
            return self._view(row, phase, redirect_to=self._error_redirect(row))
        return self._view(row, phase)

    def _view(
        self,
        row: LoginRow,
        phase: LoginPhase,
        *,
        openid4vp_uri: str | None = None,
        redirect_to: str | None = None,
    ) -> LoginView:
        return LoginView(
            login_id=row.id,
            client_name=self.clients[row.client_id].name_de,
            min_level=row.min_level,
            phase=phase,
            openid4vp_uri=openid4vp_uri,
            redirect_to=redirect_to,
            denied_de=row.denied_de,
        )

    def _conclude(self, row: LoginRow, result: VerificationResult) -> str | None:
        """Issue the code for a valid presentation (the redirect), or deny the login."""
        if not result.valid or result.claims is None:
            reasons = [
                c.message_de
                for c in result.checks
                if c.outcome is not CheckOutcome.PASSED
                and c.reason_code is not ReasonCode.NOT_CHECKED
            ]
            self.store.deny(row.id, " ".join(reasons) or "Die BürgerID wurde nicht anerkannt.")
            log.info("login %s denied: %s", row.id[:8], [r.value for r in result.reasons])
            return None
        claims = result.claims
        client = self.clients[row.client_id]
        level = LEVEL_BY_LOA[int(claims["level_of_assurance"])]
        code = secrets.token_urlsafe(32)
        answered = self.verifier.store.by_id(row.request_id)
        issued = self.store.issue_code(
            row.id,
            code,
            code_expires_at=self._now() + self.code_ttl,
            sub=self._pairwise_sub(client, ACR_BY_LEVEL[level], claims),
            acr=ACR_BY_LEVEL[level],
            auth_time=(answered.answered_at if answered and answered.answered_at else self._now()),
            claims=_scoped_claims(claims, row.scope.split()),
        )
        if not issued:
            return None
        log.info("login %s: code issued to client %s", row.id[:8], client.client_id)
        return self._redirect(row.redirect_uri, {"code": code, "state": row.state})

    def _redirect(self, redirect_uri: str, params: Mapping[str, str | None]) -> str:
        query = urlencode(
            {**{k: v for k, v in params.items() if v is not None}, "iss": self.issuer}
        )
        return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"

    def _error_redirect(self, row: LoginRow) -> str:
        return self._redirect(
            row.redirect_uri,
            {
                "error": "access_denied",
                "error_description": "The BürgerID presentation was refused or did not come.",
                "state": row.state,
            },
        )

    def error_redirect(self, err: AuthorizationRequestError) -> str:
        """Where a faulty authorization request is sent back to (its registered URI)."""
        return self._redirect(
            err.redirect_uri,
            {"error": err.oauth_error, "error_description": err.message, "state": err.state},
        )

    def _pairwise_sub(self, client: OidcClient, acr: str, claims: Mapping[str, Any]) -> str:
        """The citizen's ``sub`` at this client's sector for a BürgerID of level ``acr``:
        a lower level never yields the ``sub`` of a higher one (see the module docstring)."""
        identity = json.dumps(
            [acr]
            + [
                unicodedata.normalize("NFC", str(claims[k]))
                for k in ("given_name", "family_name", "birth_date", "birth_place")
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        sector_key = hmac.new(
            self._pairwise_secret,
            b"govchain-oidc-sector\x00" + client.pairwise_sector.encode(),
            hashlib.sha256,
        ).digest()
        return _b64url(hmac.new(sector_key, identity.encode(), hashlib.sha256).digest())

    # --- token and userinfo --------------------------------------------------------------

    def authenticate(
        self, basic: tuple[str, str] | None, form_id: str | None, form_secret: str | None
    ) -> OidcClient:
        """The client from HTTP Basic, form fields, or (public clients) client_id alone."""
        if basic is not None and (form_secret is not None):
            raise TokenRequestError(
                "invalid_request",
                "use one client authentication method",
                "Nur eine Anmeldeart des Dienstes ist erlaubt.",
            )
        client_id, secret = basic if basic is not None else (form_id, form_secret)
        client = self.clients.get(client_id or "")
        if client is None:
            raise InvalidClientError("unknown client")
        if form_id is not None and form_id != client.client_id:
            raise InvalidClientError("client_id differs from the authenticated client")
        if client.client_secret_sha256 is None:
            if secret:
                raise InvalidClientError("a public client has no secret")
            return client
        given = hashlib.sha256((secret or "").encode()).hexdigest()
        if not secret or not hmac.compare_digest(given, client.client_secret_sha256):
            raise InvalidClientError("wrong or missing client secret")
        return client

    def token(
        self,
        client: OidcClient,
        *,
        grant_type: str | None,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> TokenResponse:
        """Redeem a code (once, in time, by its client, with its redirect_uri and PKCE
        verifier) for an access token and an ID token."""
        if grant_type != "authorization_code":
            raise TokenRequestError(
                "unsupported_grant_type",
                "only grant_type=authorization_code is supported",
                "Nur authorization_code ist möglich.",
            )
        if not code:
            raise TokenRequestError("invalid_request", "code is missing", "code fehlt.")
        row, first = self.store.redeem(code)
        if row is None:
            raise InvalidGrantError("unknown code")
        if not first:
            log.warning("authorization code of login %s reused; token revoked", row.id[:8])
            raise InvalidGrantError("the code was used already")
        now = self._now()
        if row.code_expires_at is None or now >= row.code_expires_at:
            raise InvalidGrantError("the code expired")
        if row.client_id != client.client_id:
            raise InvalidGrantError("the code was issued to another client")
        if redirect_uri != row.redirect_uri:
            raise InvalidGrantError("redirect_uri differs from the authorization request")
        if not code_verifier or not (43 <= len(code_verifier) <= 128):
            raise InvalidGrantError("code_verifier missing or malformed")
        challenge = _b64url(hashlib.sha256(code_verifier.encode("ascii", "replace")).digest())
        if not hmac.compare_digest(challenge, row.code_challenge):
            raise InvalidGrantError("code_verifier does not match the code_challenge")
        assert row.sub is not None and row.acr is not None and row.auth_time is not None
        access_token = secrets.token_urlsafe(32)
        self.store.set_token(row.id, access_token, now + self.token_ttl)
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": row.sub,
            "aud": client.client_id,
            "iat": now,
            "exp": now + self.token_ttl,
            "auth_time": row.auth_time,
            "acr": row.acr,
            "amr": ["oid4vp"],
        }
        if row.nonce is not None:
            payload["nonce"] = row.nonce
        id_token = sign_compact_jws({"typ": "JWT", "kid": self.kid}, payload, self.key)
        log.info("tokens issued to client %s for login %s", client.client_id, row.id[:8])
        return TokenResponse(access_token, "Bearer", self.token_ttl, id_token, row.scope)

    def userinfo(self, access_token: str | None) -> dict[str, Any]:
        """``sub`` and the claims the scope allows, for a valid access token."""
        if not access_token:
            raise InvalidTokenError()
        row = self.store.by_token(access_token)
        if row is None or row.token_expires_at is None or self._now() >= row.token_expires_at:
            raise InvalidTokenError()
        return {"sub": row.sub, **(row.claims or {})}


def _scoped_claims(claims: Mapping[str, Any], scopes: list[str]) -> dict[str, Any]:
    """The standard OIDC claims the granted scopes allow (nothing else is kept)."""
    out: dict[str, Any] = {}
    if "profile" in scopes:
        out["given_name"] = claims["given_name"]
        out["family_name"] = claims["family_name"]
        out["birthdate"] = claims["birth_date"]
    address = claims.get("address")
    if "address" in scopes and isinstance(address, Mapping):
        street = " ".join(
            str(address[k]) for k in ("street", "house_number") if address.get(k) is not None
        )
        out["address"] = {
            "street_address": street,
            "postal_code": address.get("postal_code"),
            "locality": address.get("city"),
        }
    return out
