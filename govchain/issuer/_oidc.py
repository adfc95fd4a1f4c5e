"""The issuer as an ordinary OpenID Connect client of "Login mit BürgerID".

Authorization code flow with PKCE (S256), ``state`` and ``nonce``; the ID token is
checked here, with jwcrypto, against the provider's JWKS: signature (ES256), ``iss``,
``aud`` (and ``azp`` when several audiences), ``exp``, ``iat``, ``nonce``, ``acr``. The
name and birth date come from the userinfo endpoint (scope ``profile``), whose ``sub``
must equal the ID token's. Discovery and JWKS are fetched once and the JWKS again when
a token names an unknown key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any, Final
from urllib.parse import urlencode

import httpx
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from govchain.chain.types import LevelOfAssurance
from govchain.issuer.errors import LoginFailedError

__all__ = ["ACR_PREFIX", "Identity", "OidcClient", "PkceLogin"]

ACR_PREFIX: Final = "urn:govchain:loa:"
LEVEL_BY_ACR: Final = {
    f"{ACR_PREFIX}basisregistrierung": LevelOfAssurance.LOW,
    f"{ACR_PREFIX}substanziell": LevelOfAssurance.SUBSTANTIAL,
    f"{ACR_PREFIX}hoch": LevelOfAssurance.HIGH,
}
ACR_BY_LEVEL: Final = {level: acr for acr, level in LEVEL_BY_ACR.items()}
_CLOCK_SKEW: Final = 60


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class PkceLogin:
    """What the client keeps while the browser is at the provider."""

    authorization_url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class Identity:
    """The logged-in person, as the provider vouched for them."""

    sub: str
    level: LevelOfAssurance
    given_name: str
    family_name: str
    birth_date: date


def _fail(reason: str, reason_de: str) -> LoginFailedError:
    return LoginFailedError(reason, reason_de)


class OidcClient:
    """A confidential (with secret) or public client of one OIDC provider.

    Args:
        provider: the provider's issuer identifier (discovery lives below it).
        client_id: this service's client id there.
        client_secret: the secret (client_secret_basic), or None for a public client.
        redirect_uri: this service's registered callback.
        timeout: seconds per request to the provider.
    """

    def __init__(
        self,
        provider: str,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        *,
        timeout: float = 10.0,
    ) -> None:
        self.provider = provider
        self.client_id = client_id
        self._secret = client_secret
        self.redirect_uri = redirect_uri
        self._http = httpx.Client(timeout=timeout)
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: jwk.JWKSet | None = None

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def _get_json(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.get(url, **kwargs)
        except httpx.HTTPError as err:
            raise _fail(
                f"the login service is unreachable ({type(err).__name__})",
                "der Anmeldedienst ist nicht erreichbar",
            ) from err
        if response.status_code != 200:
            raise _fail(
                f"the login service answered {response.status_code} at {url}",
                f"der Anmeldedienst antwortete mit {response.status_code}",
            )
        try:
            body = response.json()
        except ValueError as err:
            raise _fail("the login service sent no JSON", "keine gültige Antwort") from err
        if not isinstance(body, dict):
            raise _fail("the login service sent no JSON object", "keine gültige Antwort")
        return body

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once; its issuer must match)."""
        with self._lock:
            if self._metadata is None:
                meta = self._get_json(f"{self.provider}/.well-known/openid-configuration")
                if meta.get("issuer") != self.provider:
                    raise _fail(
                        "the discovery document names another issuer",
                        "das Anmeldeverzeichnis nennt einen anderen Aussteller",
                    )
                self._metadata = meta
            return self._metadata

    def _jwks(self, refresh: bool = False) -> jwk.JWKSet:
        with self._lock:
            keys = self._keys
        if keys is None or refresh:
            raw = self._get_json(str(self.metadata()["jwks_uri"]))
            keys = jwk.JWKSet.from_json(json.dumps(raw))
            with self._lock:
                self._keys = keys
        return keys

    def begin(self, level: LevelOfAssurance) -> PkceLogin:
        """A fresh authorization request asking for at least ``level``."""
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        challenge = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": "openid profile",
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "acr_values": ACR_BY_LEVEL[level],
            }
        )
        endpoint = str(self.metadata()["authorization_endpoint"])
        return PkceLogin(f"{endpoint}?{query}", state, nonce, verifier)

    def finish(self, code: str, *, nonce: str, code_verifier: str, now: int) -> Identity:
        """Redeem the code, check the ID token and read the name from userinfo."""
        meta = self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": code_verifier,
        }
        extra: dict[str, Any] = {}
        if self._secret is not None:
            extra["auth"] = httpx.BasicAuth(self.client_id, self._secret)
        else:
            form["client_id"] = self.client_id
        try:
            response = self._http.post(str(meta["token_endpoint"]), data=form, **extra)
        except httpx.HTTPError as err:
            raise _fail("the token endpoint is unreachable", "der Anmeldedienst fehlt") from err
        if response.status_code != 200:
            raise _fail(
                f"the code was refused ({response.status_code})",
                "der Anmeldecode wurde nicht angenommen",
            )
        tokens = response.json()
        id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise _fail("the token response lacks tokens", "die Antwort enthält keine Tokens")
        claims = self.check_id_token(id_token, nonce=nonce, now=now)
        info = self._get_json(
            str(meta["userinfo_endpoint"]), headers={"Authorization": f"Bearer {access_token}"}
        )
        if info.get("sub") != claims["sub"]:
            raise _fail("userinfo is about another subject", "die Angaben passen nicht")
        try:
            born = date.fromisoformat(str(info["birthdate"]))
            given, family = str(info["given_name"]), str(info["family_name"])
        except (KeyError, ValueError) as err:
            raise _fail(
                "userinfo lacks the name or birth date",
                "Name oder Geburtsdatum fehlen in der Anmeldung",
            ) from err
        return Identity(str(claims["sub"]), LEVEL_BY_ACR[claims["acr"]], given, family, born)

    def check_id_token(self, token: str, *, nonce: str, now: int) -> dict[str, Any]:
        """The ID token's claims once signature and claims are valid (OIDC Core 3.1.3.7)."""
        try:
            parsed = jws.JWS()
            parsed.deserialize(token)
            header = parsed.jose_header
        except (JWException, ValueError) as err:
            raise _fail("the ID token is malformed", "das ID-Token ist fehlerhaft") from err
        if not isinstance(header, dict) or header.get("alg") != "ES256":
            raise _fail("the ID token is not signed with ES256", "falsches Signaturverfahren")
        kid = header.get("kid")
        key = self._jwks().get_key(kid) if isinstance(kid, str) else None
        if key is None and isinstance(kid, str):
            key = self._jwks(refresh=True).get_key(kid)
        if key is None:
            raise _fail("the ID token's key is unknown", "der Schlüssel ist unbekannt")
        try:
            parsed.verify(key, alg="ES256")
            claims = json.loads(parsed.payload)
        except (JWException, ValueError) as err:
            raise _fail("the ID token's signature is invalid", "die Signatur ist ungültig") from err
        if not isinstance(claims, dict):
            raise _fail("the ID token holds no claims", "das ID-Token ist leer")
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        problems: list[tuple[bool, str, str]] = [
            (claims.get("iss") != self.provider, "iss is another issuer", "falscher Aussteller"),
            (self.client_id not in audiences, "aud is another client", "falscher Empfänger"),
            (
                len(audiences) > 1 and claims.get("azp") != self.client_id,
                "azp is another client",
                "falscher Empfänger",
            ),
            (
                not isinstance(claims.get("exp"), int) or claims["exp"] <= now - _CLOCK_SKEW,
                "the ID token has expired",
                "die Anmeldung ist abgelaufen",
            ),
            (
                not isinstance(claims.get("iat"), int) or claims["iat"] > now + _CLOCK_SKEW,
                "the ID token was issued in the future",
                "die Anmeldung liegt in der Zukunft",
            ),
            (
                not isinstance(claims.get("nonce"), str)
                or not secrets.compare_digest(claims["nonce"], nonce),
                "the nonce differs from the request's",
                "die Anmeldung gehört nicht zu dieser Anfrage",
            ),
            (claims.get("acr") not in LEVEL_BY_ACR, "unknown acr", "unbekanntes Niveau"),
            (
                not isinstance(claims.get("sub"), str) or not claims["sub"],
                "no sub",
                "keine Kennung",
            ),
        ]
        for failed, reason, reason_de in problems:
            if failed:
                raise _fail(reason, reason_de)
        return claims
