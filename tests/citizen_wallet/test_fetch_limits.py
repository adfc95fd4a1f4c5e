"""What the wallet fetches comes from links others made: answers are read to at most
256 KiB (the download is aborted, not read whole first), redirects are not followed, and
outside development no loopback or private address is contacted (checked after DNS
resolution). A plain HTTP server on loopback plays the hostile issuer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from pydantic import SecretStr

from govchain.citizen_wallet import _protocols as proto
from govchain.citizen_wallet.errors import OfferError, PresentationRequestError
from govchain.citizen_wallet.service import open_wallet
from govchain.citizen_wallet.settings import WalletSettings
from govchain.settings import Environment
from tests.citizen_wallet.conftest import FAST_SCRYPT, PIN

TEN_MB = 10 * 1024 * 1024
CHUNK = 64 * 1024


@dataclass
class Hostile:
    url: str
    paths: list[str] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def hostile() -> Iterator[Hostile]:
    state = Hostile("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.paths.append(self.path)
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            # /big: 10 MB of JSON-ish bytes, chunked (no length to refuse up front);
            # /big-declared: the same with a Content-Length.
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if self.path.startswith("/big-declared"):
                self.send_header("Content-Length", str(TEN_MB))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            chunked = not self.path.startswith("/big-declared")
            try:
                while sent < TEN_MB:
                    data = b" " * CHUNK
                    if chunked:
                        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    else:
                        self.wfile.write(data)
                    sent += len(data)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the wallet hung up
            state.sent[self.path] = sent
            self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def _offer_link(url: str) -> str:
    return f"openid-credential-offer://?credential_offer_uri={quote(url, safe='')}"


@pytest.mark.parametrize("path", ["/big", "/big-declared"])
def test_a_ten_megabyte_answer_is_aborted_past_256_kib(hostile: Hostile, path: str) -> None:
    with (
        proto.http_client(10, allow_loopback=True) as http,
        pytest.raises(OfferError) as refused,
    ):
        proto.parse_offer(_offer_link(hostile.url + path), http, allow_http=True)
    assert "größer als 256 KiB" in refused.value.message_de
    assert "larger than 256 KiB" in refused.value.message
    deadline = threading.Event()
    for _ in range(100):  # the server notices the hang-up once its buffers are full
        if path in hostile.sent:
            break
        deadline.wait(0.05)
    assert hostile.sent.get(path, 0) < TEN_MB  # not read to the end


def test_a_redirect_is_not_followed(hostile: Hostile) -> None:
    with (
        proto.http_client(10, allow_loopback=True) as http,
        pytest.raises(PresentationRequestError) as refused,
    ):
        proto.fetch_request(
            http,
            "openid4vp://?client_id=decentralized_identifier:did:jwk:x&request_uri="
            + quote(hostile.url + "/redirect", safe=""),
            allow_http=True,
            now=0,
        )
    assert "folgt keinen Weiterleitungen" in refused.value.message_de
    assert "follows no redirects" in refused.value.message


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "10.0.0.1", "169.254.169.254"])
def test_the_client_refuses_non_public_addresses_outside_development(host: str) -> None:
    """Checked on the resolved address before connecting (``localhost`` resolves to
    loopback); nothing is sent."""
    with (
        proto.http_client(2, allow_loopback=False) as http,
        pytest.raises(OfferError) as refused,
    ):
        proto.parse_offer(_offer_link(f"http://{host}:9/offer"), http, allow_http=True)
    assert "keine öffentliche Adresse" in refused.value.message_de
    assert "is not a public address" in refused.value.message


def test_a_production_wallet_refuses_a_loopback_issuer(hostile: Hostile, tmp_path: Path) -> None:
    settings = WalletSettings(
        data_dir=tmp_path / "data",
        environment=Environment.PRODUCTION,
        keystore_passphrase=SecretStr("a real passphrase for this test only"),
        wallet_scrypt_n=FAST_SCRYPT,
    )
    wallet = open_wallet(settings)
    wallet.create(PIN)
    before = len(hostile.paths)
    with pytest.raises(OfferError) as refused:
        wallet.preview_offer(_offer_link(hostile.url + "/offer"))
    assert "127.0.0.1 ist keine öffentliche Adresse" in refused.value.message_de
    assert len(hostile.paths) == before  # the server was never asked

    development = open_wallet(settings.model_copy(update={"environment": Environment.DEVELOPMENT}))
    with pytest.raises(OfferError) as answered:  # loopback reached; the answer is too large
        proto.parse_offer(_offer_link(hostile.url + "/big"), development.http, allow_http=True)
    assert "größer als 256 KiB" in answered.value.message_de
