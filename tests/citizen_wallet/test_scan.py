"""Scanning QR codes on the wallet's pages over real HTTP (uvicorn on loopback): photos
(PNG and JPEG, rendered by segno from the real issuer's offers and the real verifier's
requests) are uploaded through the scan forms, decoded on the wallet's server, and then
handled exactly like a pasted link. Every bad upload is refused with a German and an
English sentence and leaves nothing behind: no preview, no credential."""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import segno
from PIL import Image, ImageDraw, ImageFilter

from govchain.citizen_wallet import PhotoTooLargeError, ScanError, WalletSettings, create_app
from govchain.citizen_wallet._scan import MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS, read_qr_text
from govchain.credentials import _samples
from tests.citizen_wallet.conftest import PIN, new_wallet
from tests.citizen_wallet.test_pages import Browser
from tests.conftest import free_port
from tests.credentials.conftest import CredWorld
from tests.issuer.conftest import Issuing, Server
from tests.verifier.conftest import Running

DOG = "dangerous_dog_permit_sd_jwt"
TX_CODE = "731902"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ACTION = re.compile(
    r'<form method="post" action="(/wallet/(?:empfangen|vorzeigen)/(?!scannen")[^"]+)"'
)
_PAPER = (214, 206, 190)


# --- photos -------------------------------------------------------------------------------


def qr_image(text: str, scale: int = 6) -> Image.Image:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=4)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def png(text: str) -> bytes:
    """A clean PNG of the QR code, as a screenshot would be."""
    out = io.BytesIO()
    qr_image(text).save(out, "PNG")
    return out.getvalue()


def camera_jpeg(*texts: str, size: tuple[int, int] = (2016, 1512)) -> bytes:
    """A camera-like JPEG: the codes slightly rotated and blurred on a grey-brown
    background, lossy compressed."""
    photo = Image.new("RGB", size, _PAPER)
    for n, text in enumerate(texts):
        code = qr_image(text, scale=9).rotate(7 - 14 * n, expand=True, fillcolor=_PAPER)
        photo.paste(code.filter(ImageFilter.GaussianBlur(1.5)), (150 + 950 * n, 300))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=80)
    return out.getvalue()


def no_code_jpeg() -> bytes:
    """A photo of something that is not a QR code."""
    photo = Image.new("RGB", (1200, 900), _PAPER)
    draw = ImageDraw.Draw(photo)
    for n in range(12):
        draw.rectangle((60 * n, 40 * n, 60 * n + 200, 40 * n + 120), fill=(20 * n, 90, 160))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=85)
    return out.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A real decompression bomb: a tiny PNG (1-bit grey, all white) whose pixels would
    fill ``width * height`` bytes of memory once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


# --- the wallet over HTTP -----------------------------------------------------------------


class Scanner(Browser):
    """A browser that also uploads photos through the scan forms."""

    def scan(
        self,
        page: str,
        photo: bytes,
        *,
        filename: str = "foto.jpg",
        content_type: str = "image/jpeg",
    ) -> httpx.Response:
        form = self.get(f"/wallet/{page}")
        assert 'capture="environment"' in form.text and 'accept="image/*"' in form.text
        token = _CSRF.search(form.text)
        assert token, form.text
        return self.http.post(
            f"/wallet/{page}/scannen",
            data={"csrf_token": token.group(1)},
            files={"foto": (filename, photo, content_type)},
        )

    def nothing_kept(self) -> None:
        """No credential, and no open offer or request preview."""
        assert self.wallet.credentials() == []
        assert not self.wallet._offers and not self.wallet._requests


def _serve(tmp_path: Path, **options: object) -> Iterator[Scanner]:
    port = free_port()
    settings = WalletSettings(data_dir=tmp_path / "data", wallet_port=port)
    wallet = new_wallet(tmp_path / "w", **options)
    with Server(create_app(settings, wallet=wallet), port) as http:
        scanner = Scanner(http, wallet)
        form = scanner.get("/wallet/einrichten")
        assert scanner.submit(form, "/wallet/einrichten", pin=PIN, pin2=PIN).status_code == 303
        yield scanner


@pytest.fixture(scope="module")
def scanner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanner]:
    """One unlocked wallet for the refusals: each must leave it as it was."""
    yield from _serve(tmp_path_factory.mktemp("scan"))


def _dog_offer(issuer: Issuing, **extra: object) -> str:
    claims = _samples.dog_permit(date.today()).model_dump(mode="json")
    created = issuer.offer(claims, ctype=DOG, tx_code=TX_CODE, **extra)
    return str(created["offer_uri"])


def _without_ids(page: str) -> str:
    return _CSRF.sub("", re.sub(r"/wallet/(empfangen|vorzeigen)/[\w-]+", "", page))


# --- receiving ----------------------------------------------------------------------------


def test_a_scanned_offer_is_the_pasted_offer(offline: Issuing, tmp_path: Path) -> None:
    for browser in _serve(tmp_path):
        offer = _dog_offer(offline, by_reference=True)
        scanned = browser.scan("empfangen", camera_jpeg(offer))
        assert scanned.status_code == 200, scanned.text
        pasted = browser.submit(browser.get("/wallet/empfangen"), "/wallet/empfangen", offer=offer)
        assert _without_ids(scanned.text) == _without_ids(pasted.text)
        for shown in ("Erlaubnis für gefährliche Hunde", "Unbekannte Ausstellerin"):
            assert shown in scanned.text
        assert 'name="tx_code"' in scanned.text
        assert browser.wallet.credentials() == []

        action = _ACTION.search(scanned.text)
        assert action
        accepted = browser.submit(
            scanned, action.group(1), action="annehmen", tx_code=TX_CODE, acknowledge="ja"
        )
        assert accepted.status_code == 303, accepted.text
        [card] = browser.wallet.credentials()
        assert card.name_de == "Erlaubnis für gefährliche Hunde"
        assert "Mustermann" in str(card.claims_de())


def test_offers_by_value_and_https_links_scan_from_png(offline: Issuing, tmp_path: Path) -> None:
    for browser in _serve(tmp_path):
        by_value = _dog_offer(offline)
        assert "credential_offer=" in by_value
        page = browser.scan("empfangen", png(by_value), filename="qr.png", content_type="image/png")
        assert page.status_code == 200 and "Erlaubnis für gefährliche Hunde" in page.text

        # The same offer as an https link to a wallet (OID4VCI 4.1.1) reads the same.
        https = "https://wallet.example/angebot?" + urlsplit(_dog_offer(offline)).query
        page = browser.scan("empfangen", png(https), content_type="image/png")
        assert page.status_code == 200 and "Erlaubnis für gefährliche Hunde" in page.text


def _refused(response: httpx.Response, status: int, de: str, en: str) -> None:
    assert response.status_code == status, response.text
    assert de in response.text and en in response.text, response.text
    assert 'id="fehler-en" lang="en"' in response.text
    assert "Noch einmal" in response.text


@pytest.mark.parametrize(
    ("photo", "content_type", "status", "de", "en"),
    [
        (lambda: b"openid-credential-offer://?x=1", "image/png", 422, "kein Foto", "not a photo"),
        (lambda: png("x")[:300], "image/png", 422, "beschädigt", "damaged"),
        (no_code_jpeg, "image/jpeg", 422, "kein QR-Code gefunden", "No QR code"),
        (
            lambda: camera_jpeg(
                "openid4vp://?client_id=a&request_uri=https://a/1", "https://b.example"
            ),
            "image/jpeg",
            422,
            "2 verschiedene QR-Codes",
            "2 different QR codes",
        ),
        (
            lambda: png("https://www.aachen.de/hundesteuer"),
            "image/png",
            422,
            "kein Link für die Brieftasche",
            "not a wallet link",
        ),
        (
            lambda: png(
                "openid4vp://?client_id=decentralized_identifier:did:key:z&request_uri=https://a/1"
            ),
            "image/png",
            422,
            "ist eine Vorzeige-Anfrage, kein Nachweis-Angebot",
            "presentation request, not a credential offer",
        ),
        (
            lambda: png("openid-credential-offer://?x=1"),
            "application/pdf",
            415,
            "Bilddatei",
            "image",
        ),
        (lambda: png_bomb(8000, 7500), "image/png", 413, "60 Megapixel", "megapixels"),
        (lambda: png_bomb(20000, 20000), "image/png", 413, "zu groß", "too large"),
        (lambda: b"\xff\xd8\xff" + bytes(MAX_PHOTO_BYTES + 100_000), "image/jpeg", 413, "MB", "MB"),
    ],
    ids=[
        "not-an-image",
        "cut-off",
        "no-code",
        "two-codes",
        "not-a-wallet-link",
        "request-on-the-receive-page",
        "pdf",
        "pixel-bomb",
        "huge-pixel-bomb",
        "too-many-bytes",
    ],
)
def test_bad_photos_are_refused_and_leave_nothing(
    scanner: Scanner, photo: Callable[[], bytes], content_type: str, status: int, de: str, en: str
) -> None:
    _refused(scanner.scan("empfangen", photo(), content_type=content_type), status, de, en)
    scanner.nothing_kept()


def test_a_pasted_link_is_the_same_error_when_scanned(scanner: Scanner) -> None:
    """The decoded link goes through the same checks as a pasted one."""
    link = "openid-credential-offer://?credential_offer=%7Bnope"
    scanned = scanner.scan("empfangen", png(link), content_type="image/png")
    pasted = scanner.submit(scanner.get("/wallet/empfangen"), "/wallet/empfangen", offer=link)
    assert scanned.status_code == pasted.status_code == 422
    assert "kein gültiges JSON" in scanned.text and "kein gültiges JSON" in pasted.text
    scanner.nothing_kept()


def test_the_scan_forms_need_token_session_and_a_file(scanner: Scanner) -> None:
    photo = png("openid-credential-offer://?x=1")
    files = {"foto": ("qr.png", photo, "image/png")}
    forged = scanner.http.post("/wallet/empfangen/scannen", data={"csrf_token": "x.y"}, files=files)
    assert forged.status_code == 403 and "Formular ist abgelaufen" in forged.text
    missing = scanner.http.post("/wallet/vorzeigen/scannen", files=files)
    assert missing.status_code == 403

    page = scanner.get("/wallet/empfangen")
    token = _CSRF.search(page.text)
    assert token
    no_file = scanner.http.post(
        "/wallet/empfangen/scannen",
        data={"csrf_token": token.group(1)},
        files={"foto": ("", b"", "application/octet-stream")},
    )
    _refused(no_file, 422, "kein Foto an", "No photo arrived")
    not_multipart = scanner.http.post(
        "/wallet/empfangen/scannen", data={"csrf_token": token.group(1), "foto": "x"}
    )
    _refused(not_multipart, 415, "Bilddatei", "application/x-www-form-urlencoded")

    with httpx.Client(base_url=str(scanner.http.base_url)) as stranger:
        locked = stranger.post("/wallet/empfangen/scannen", files=files)
    assert locked.status_code == 303 and locked.headers["location"] == "/wallet/entsperren"
    scanner.nothing_kept()


def test_the_limits_hold_without_http() -> None:
    with pytest.raises(PhotoTooLargeError):
        read_qr_text(bytes(MAX_PHOTO_BYTES + 1))
    with pytest.raises(ScanError) as empty:
        read_qr_text(b"")
    assert empty.value.problem == "no_photo"
    assert MAX_PHOTO_PIXELS < 8000 * 7500


# --- presenting ---------------------------------------------------------------------------


def test_the_present_page_checks_scanned_requests_like_pasted_ones(
    offline: Issuing, scanner: Scanner
) -> None:
    offer = png(_dog_offer(offline))
    _refused(
        scanner.scan("vorzeigen", offer, content_type="image/png"),
        422,
        "ist ein Nachweis-Angebot, keine Vorzeige-Anfrage",
        "credential offer, not a presentation request",
    )
    not_a_did = "openid4vp://?client_id=x509_san_dns:a.example&request_uri=https://a.example/1"
    scanned = scanner.scan("vorzeigen", camera_jpeg(not_a_did))
    pasted = scanner.submit(
        scanner.get("/wallet/vorzeigen"), "/wallet/vorzeigen", request=not_a_did
    )
    assert scanned.status_code == pasted.status_code == 422
    assert "Nur Prüfstellen mit DID" in scanned.text and "Nur Prüfstellen mit DID" in pasted.text
    scanner.nothing_kept()


@pytest.mark.ganache
def test_receive_and_present_by_scanning(
    chain_issuer: Issuing, server: Running, vw: CredWorld, tmp_path: Path
) -> None:
    for browser in _serve(
        tmp_path,
        known_issuers={chain_issuer.issuer: "Ordnungsamt"},
        status=vw.status,
        trust=vw.trust,
        clock=vw.now,
    ):
        claims = _samples.dog_permit(vw.today()).model_dump(mode="json")
        created = chain_issuer.offer(claims, ctype=DOG, tx_code=TX_CODE)
        preview = browser.scan("empfangen", camera_jpeg(str(created["offer_uri"])))
        assert "Angebot von Ordnungsamt" in preview.text, preview.text
        action = _ACTION.search(preview.text)
        assert action
        done = browser.submit(
            preview, action.group(1), action="annehmen", tx_code=TX_CODE, acknowledge="ja"
        )
        assert done.status_code == 303, done.text

        request = server.client.create_request("hund", {})
        consent = browser.scan("vorzeigen", camera_jpeg(request.openid4vp_uri))
        assert consent.status_code == 200, consent.text
        assert "Unbekannte Prüfstelle" in consent.text  # the same warning as for a paste
        assert "Familienname" in consent.text and "Mustermann" in consent.text
        assert "Geburtsdatum" not in consent.text
        action = _ACTION.search(consent.text)
        assert action
        shared = browser.submit(consent, action.group(1), action="zustimmen", acknowledge="ja")
        assert shared.status_code == 200 and "Vorgezeigt bei" in shared.text
        assert "geteilt" in browser.get("/wallet/protokoll").text
    result = server.http.get(f"/verifier/v1/requests/{request.request_id}/result")
    assert result.status_code == 200 and result.json()["valid"] is True, result.text
