"""govchain's credentials as W3C VC Data Model 2.0 JSON-LD, and their contexts.

Each of the four types has its own ``@protected`` context with a term for every claim
of its model (at any depth), shipped in ``govchain/agents/contexts/`` and named by a
stable URL under ``https://contexts.govchain.de/v1/``. The agents have no internet: the
ACA-Py plugin ``govchain.agents.acapy_plugin`` maps that prefix to the loopback
``ContextServer`` govchain starts next to them.

``to_jsonld_credential`` maps a canonical record (a type's claims model) to an unsigned
credential: ``@context`` v2 plus the type's, ``type``, the issuer's did:key,
``validFrom``/``validUntil``, the holder's did:key as subject, and a
``BitstringStatusListEntry`` for the same on-chain entry an SD-JWT VC would use.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Final

from pydantic import BaseModel

from govchain.agents._loopback import serve_in_thread, shut_down
from govchain.credentials.status import StatusReference
from govchain.credentials.types import CredentialClaims, CredentialType, credential_type

__all__ = [
    "CONTEXTS_PREFIX",
    "VCDM2_CONTEXT",
    "VOCAB",
    "ContextServer",
    "context_document",
    "context_url",
    "shipped_context",
    "to_jsonld_credential",
    "type_name",
    "type_of_credential",
]

VCDM2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
CONTEXTS_PREFIX: Final = "https://contexts.govchain.de/v1/"
VOCAB: Final = "https://vocab.govchain.de/v1#"

# Claims whose values are free-form objects (arbitrary keys, or an ``id`` member that
# the protected v2 context reserves for ``@id``): signed as JSON literals.
_JSON_LITERALS: Final = frozenset({"zones", "pairwise_subjects"})


# Terms the protected credentials v2 context already defines (``name`` is schema:name);
# redefining them in our protected contexts is a JSON-LD error, so claims with these
# names use v2's definition.
_V2_TERMS: Final = frozenset({"id", "type", "name", "description"})

_STATUS: Final = "https://www.w3.org/ns/credentials/status#"
_STATUS_TERMS: Final = {
    "statusSize": {
        "@id": f"{_STATUS}statusSize",
        "@type": "http://www.w3.org/2001/XMLSchema#positiveInteger",
    },
    "statusMessage": {"@id": f"{_STATUS}statusMessage", "@container": "@set"},
    "status": f"{_STATUS}status",
    "message": f"{_STATUS}message",
}


def type_name(ctype: CredentialType) -> str:
    """The JSON-LD ``type`` of a credential type (its class name)."""
    return type(ctype).__name__


def _slug(ctype: CredentialType) -> str:
    # https://vct.govchain.de/<slug>/v1 -> <slug>
    return ctype.vct.rstrip("/").split("/")[-2]


def context_url(ctype: CredentialType) -> str:
    """The stable URL of a type's context."""
    return f"{CONTEXTS_PREFIX}{_slug(ctype)}.jsonld"


def _field_names(model: type[BaseModel], names: set[str]) -> set[str]:
    for name, info in model.model_fields.items():
        names.add(name)
        if name in _JSON_LITERALS:
            continue
        stack: list[Any] = [info.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                _field_names(annotation, names)
            stack.extend(typing.get_args(annotation))
    return names


def context_document(ctype: CredentialType) -> dict[str, Any]:
    """A type's context, derived from its claims model (what ``contexts/`` ships)."""
    terms: dict[str, Any] = {"@version": 1.1, "@protected": True}
    terms[type_name(ctype)] = f"{VOCAB}{type_name(ctype)}"
    # ACA-Py 1.7's cached credentials v2 context predates these BitstringStatusListEntry
    # terms; without them its expansion drops them and refuses to sign.
    terms.update(_STATUS_TERMS)
    for name in sorted(_field_names(ctype.model, set()) - _V2_TERMS):
        if name in _JSON_LITERALS:
            terms[name] = {"@id": f"{VOCAB}{name}", "@type": "@json"}
        else:
            terms[name] = f"{VOCAB}{name}"
    return {"@context": terms}


@cache
def _shipped() -> dict[str, bytes]:
    folder = resources.files("govchain.agents") / "contexts"
    return {
        f"{CONTEXTS_PREFIX}{item.name}": item.read_bytes()
        for item in folder.iterdir()
        if item.name.endswith(".jsonld")
    }


def shipped_context(url: str) -> bytes | None:
    """The bytes of a shipped context by its URL, or None."""
    return _shipped().get(url)


def type_of_credential(credential: typing.Mapping[str, Any]) -> CredentialType | None:
    """The govchain type a JSON-LD credential claims to be (by its ``type``), or None."""
    types = credential.get("type")
    names = set(types) if isinstance(types, list) else {types}
    from govchain.credentials.types import credential_types  # noqa: PLC0415

    for ctype in credential_types():
        if type_name(ctype) in names:
            return ctype
    return None


def _iso(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_jsonld_credential(
    claims: CredentialClaims,
    *,
    vct: str,
    issuer: str,
    holder: str,
    issued_at: int,
    status: StatusReference,
    valid_until: int | None = None,
) -> dict[str, Any]:
    """The unsigned VCDM 2.0 credential of a canonical record.

    ``validFrom`` is the later of the issuance time and what the claims imply (e.g. a
    permit's first day); ``validUntil`` the claims' end unless given.
    """
    ctype = credential_type(vct)
    record = ctype.parse(claims)
    nbf, exp = ctype.validity(record)
    until = valid_until if valid_until is not None else exp
    subject: dict[str, Any] = {"id": holder}
    subject.update(record.model_dump(mode="json", exclude_none=True))
    credential: dict[str, Any] = {
        "@context": [VCDM2_CONTEXT, context_url(ctype)],
        "type": ["VerifiableCredential", type_name(ctype)],
        "issuer": issuer,
        "validFrom": _iso(max(issued_at, nbf or issued_at)),
        "credentialSubject": subject,
        "credentialStatus": status.bitstring_entry(),
    }
    if until is not None:
        credential["validUntil"] = _iso(until)
    return credential


StatusHandler = Callable[[str], tuple[int, bytes]]


class ContextServer:
    """Serves the shipped contexts on loopback (``GET /v1/<name>.jsonld``) and, once a
    handler is set (``serve_status``), the status list credentials (``GET /status/...``)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._status: StatusHandler | None = None

    def serve_status(self, handler: StatusHandler | None) -> None:
        """Answer ``GET /status/...`` with `handler(path)` -> (HTTP status, JSON body);
        e.g. ``StatusListPublisher.serve``. None stops serving them."""
        self._status = handler

    @property
    def url(self) -> str:
        """Where ``https://contexts.govchain.de/`` is served on loopback."""
        return f"http://{self.host}:{self.port}/"

    def start(self) -> None:
        """Listen in a daemon thread."""
        if self._server is not None:
            return

        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status = server._status
                if status is not None and self.path.startswith("/status/"):
                    code, payload = status(self.path)
                    self.send_response(code)
                    kind = "application/vc" if code == 200 else "application/json"
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                body = shipped_context(f"https://contexts.govchain.de{self.path}")
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = serve_in_thread(self.host, self.port, _Handler, "jsonld-contexts")

    def stop(self) -> None:
        """Stop listening."""
        server, self._server = self._server, None
        shut_down(server)


def write_contexts() -> None:
    """Regenerate ``contexts/`` from the models (development helper)."""
    from pathlib import Path  # noqa: PLC0415

    from govchain.credentials.types import credential_types  # noqa: PLC0415

    folder = Path(__file__).parent / "contexts"
    for ctype in credential_types():
        text = json.dumps(context_document(ctype), indent=2, ensure_ascii=False) + "\n"
        (folder / f"{_slug(ctype)}.jsonld").write_text(text)
