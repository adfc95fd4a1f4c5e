"""HTTP of the wallet: German pages under ``/wallet``.

Thin, as everywhere: parse the form (anti-forgery token checked by ``VerifiedForm``),
check the session (``OpenWallet``), call one wallet method, render or redirect.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from govchain.citizen_wallet._csrf import CSRF_COOKIE, CSRF_FIELD, CsrfGuard
from govchain.citizen_wallet._scan import MAX_PHOTO_BYTES
from govchain.citizen_wallet._session import LockReason, WalletSession, safe_return_path
from govchain.citizen_wallet.errors import (
    PhotoTooLargeError,
    PhotoTypeError,
    ScanError,
    WalletError,
    WalletLockedError,
    WarningsNotAcknowledgedError,
)
from govchain.citizen_wallet.service import CitizenWallet, PresentationOutcome

__all__ = ["PHOTO_FIELD", "SESSION_COOKIE", "error_page", "pages"]

SESSION_COOKIE = "govchain_wallet_session"

pages = APIRouter(prefix="/wallet", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _wallet(request: Request) -> CitizenWallet:
    wallet: CitizenWallet = request.app.state.wallet
    return wallet


def _session(request: Request) -> WalletSession:
    session: WalletSession = request.app.state.session
    return session


def open_wallet_dependency(request: Request) -> CitizenWallet:
    """The wallet, if it is unlocked and this browser holds the running session (which
    this request keeps alive). A session the wallet ended by itself sends the browser to
    the unlock page with the reason and the way back."""
    wallet = _wallet(request)
    session = _session(request)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if session.use(cookie) and wallet.unlocked:
        return wallet
    reason = session.expired_reason(cookie)
    if reason is None:
        raise WalletLockedError()
    raise WalletLockedError(reason=reason.value, return_to=_where_the_citizen_was(request))


def _where_the_citizen_was(request: Request) -> str | None:
    """The page to return to after unlocking: this one for a GET; for a form post the
    page it was sent from (same site only), since the post itself cannot be repeated."""
    if request.method == "GET":
        query = f"?{request.url.query}" if request.url.query else ""
        return safe_return_path(request.url.path + query)
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return None
    return safe_return_path(referer.path + (f"?{referer.query}" if referer.query else ""))


async def verified_form(request: Request) -> dict[str, str]:
    """The posted form, after its anti-forgery token was checked."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    guard: CsrfGuard = request.app.state.csrf
    guard.verify(request.cookies.get(CSRF_COOKIE), values.get(CSRF_FIELD))
    return values


PHOTO_FIELD: Final = "foto"
_MAX_UPLOAD: Final = MAX_PHOTO_BYTES + 64 * 1024
"""The photo plus the form around it (anti-forgery token, part headers)."""
_MAX_DRAINED: Final = 64 * 1024 * 1024
"""An upload over the limit is still read (and dropped) up to this size, so that the
browser, still sending, gets to see the German error page."""


def _too_large() -> PhotoTooLargeError:
    return PhotoTooLargeError(
        f"more than {MAX_PHOTO_BYTES / 1e6:.0f} MB", f"mehr als {MAX_PHOTO_BYTES / 1e6:.0f} MB"
    )


async def _capped_body(request: Request) -> bytes:
    """The request body, refused (413) past ``_MAX_UPLOAD`` bytes; never more is kept."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _MAX_DRAINED:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_DRAINED:
            break
        if size <= _MAX_UPLOAD:
            chunks.append(chunk)
    if size > _MAX_UPLOAD:
        raise _too_large()
    return b"".join(chunks)


async def scanned_photo(request: Request) -> bytes:
    """The photo posted from a scan form (multipart, one image file), after the size
    limit and the anti-forgery token were checked; it is never stored (the parser's
    spool file for parts over 1 MB is anonymous and closed here)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise PhotoTypeError(media_type)
    body = await _capped_body(request)

    async def replay() -> AsyncGenerator[bytes]:
        yield body

    parser = MultiPartParser(
        request.headers, replay(), max_files=1, max_fields=4, max_part_size=4096
    )
    try:
        form = await parser.parse()
    except MultiPartException as err:
        raise ScanError(
            "bad_form",
            f"The upload form is malformed ({err.message}).",
            f"Das Formular mit dem Foto ist fehlerhaft ({err.message}).",
        ) from err
    try:
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        guard: CsrfGuard = request.app.state.csrf
        guard.verify(request.cookies.get(CSRF_COOKIE), values.get(CSRF_FIELD))
        photo = form.get(PHOTO_FIELD)
        if not isinstance(photo, UploadFile) or not photo.size:
            raise ScanError(
                "no_photo",
                "No photo arrived; take or choose a photo of the QR code first.",
                "Es kam kein Foto an; bitte zuerst ein Foto des QR-Codes aufnehmen oder auswählen.",
            )
        declared = (photo.content_type or "").lower()
        if not declared.startswith("image/"):
            raise PhotoTypeError(declared)
        return await photo.read()
    finally:
        await form.close()


OpenWallet = Annotated[CitizenWallet, Depends(open_wallet_dependency)]
VerifiedForm = Annotated[dict[str, str], Depends(verified_form)]
ScannedPhoto = Annotated[bytes, Depends(scanned_photo)]


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page with a fresh (or the visitor's) anti-forgery token."""
    guard: CsrfGuard = request.app.state.csrf
    token = guard.token_for(request.cookies.get(CSRF_COOKIE))
    response = templates.TemplateResponse(
        request, name, {"csrf_token": token, "csrf_field": CSRF_FIELD, **context}, status_code
    )
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/wallet")
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, err: WalletError) -> HTMLResponse:
    """The error page for a refused action: German, with the English sentence below;
    a photo that could not be used offers to scan again."""
    retry = request.url.path.removesuffix("/scannen") if isinstance(err, ScanError) else None
    return render(
        request,
        "fehler.html",
        err.status,
        message=err.message_de,
        message_en=err.message,
        retry_url=retry,
    )


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@pages.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """The cards, or set-up / unlock first."""
    wallet = _wallet(request)
    if not wallet.exists:
        return _see("/wallet/einrichten")
    open_wallet_dependency(request)
    cards = [(c, wallet.live_status(c.id)) for c in wallet.credentials()]
    return render(request, "karten.html", cards=cards)


@pages.get("/einrichten", response_class=HTMLResponse)
def setup_page(request: Request) -> Response:
    """Choose a PIN for a new wallet."""
    return render(request, "einrichten.html")


@pages.post("/einrichten")
def setup(request: Request, form: VerifiedForm) -> Response:
    """Create the wallet under the chosen PIN."""
    if form.get("pin", "") != form.get("pin2", ""):
        raise WalletError("The PINs differ.", "Die beiden PINs stimmen nicht überein.")
    _wallet(request).create(form.get("pin", ""))
    return _with_session(request, _see("/wallet/"))


def _with_session(request: Request, response: Response) -> Response:
    """Start a new session (the old cookie opens nothing any more) for this browser."""
    token = _session(request).start()
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


@pages.get("/entsperren", response_class=HTMLResponse)
def unlock_page(request: Request, grund: str = "", weiter: str = "") -> Response:
    """Enter the PIN; after the wallet locked itself, why, and the way back."""
    notice = None
    if grund in set(LockReason):
        notice = _session(request).message(LockReason(grund))
    return render(request, "entsperren.html", notice=notice, weiter=safe_return_path(weiter))


@pages.post("/entsperren")
def unlock(request: Request, form: VerifiedForm) -> Response:
    """Unlock with the PIN; a new session for this browser, back where it was."""
    _session(request).end()
    _wallet(request).unlock(form.get("pin", ""))
    return _with_session(request, _see(safe_return_path(form.get("weiter")) or "/wallet/"))


@pages.post("/sperren")
def lock(request: Request, form: VerifiedForm) -> Response:
    """Lock the wallet and end the session."""
    _wallet(request).lock()
    _session(request).end()
    response = _see("/wallet/entsperren")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@pages.get("/pin", response_class=HTMLResponse)
def pin_page(request: Request, wallet: OpenWallet) -> Response:
    """Change the PIN: the old one, the new one twice."""
    return render(request, "pin.html")


@pages.post("/pin", response_class=HTMLResponse)
def change_pin(request: Request, wallet: OpenWallet, form: VerifiedForm) -> Response:
    """Re-encrypt the wallet under the new PIN once the old one is verified; the
    session starts anew."""
    if form.get("neu", "") != form.get("neu2", ""):
        raise WalletError(
            "The two new PINs differ.", "Die beiden neuen PINs stimmen nicht überein."
        )
    wallet.change_pin(form.get("alt", ""), form.get("neu", ""))
    return _with_session(request, render(request, "pin_geaendert.html"))


@pages.get("/empfangen", response_class=HTMLResponse)
def receive_page(request: Request, wallet: OpenWallet) -> Response:
    """Paste a credential offer."""
    return render(request, "empfangen.html")


@pages.post("/empfangen", response_class=HTMLResponse)
def receive_preview(request: Request, wallet: OpenWallet, form: VerifiedForm) -> Response:
    """Show issuer, types and warnings before accepting."""
    preview = wallet.preview_offer(form.get("offer", ""))
    return render(request, "angebot.html", preview=preview)


@pages.post("/empfangen/scannen", response_class=HTMLResponse)
def receive_scanned(request: Request, wallet: OpenWallet, photo: ScannedPhoto) -> Response:
    """A photo of the offer's QR code: then the same preview as for a pasted link."""
    preview = wallet.preview_offer_photo(photo)
    return render(request, "angebot.html", preview=preview)


@pages.post("/empfangen/{preview_id}")
def receive(request: Request, preview_id: str, wallet: OpenWallet, form: VerifiedForm) -> Response:
    """Accept (with tx code and acknowledged warnings) or decline an offer."""
    if form.get("action") != "annehmen":
        return _see("/wallet/")
    try:
        wallet.accept_offer(
            preview_id,
            form.get("tx_code") or None,
            acknowledge_warnings=form.get("acknowledge") == "ja",
            accept_untrusted_issuer=form.get("accept_untrusted") == "ja",
        )
    except WarningsNotAcknowledgedError as err:
        # Shown again with the warnings (e.g. the chain's, known only after receiving).
        return render(
            request,
            "warnung.html",
            err.status,
            warnings=err.warnings,
            preview_id=preview_id,
            tx_code=form.get("tx_code", ""),
        )
    return _see("/wallet/")


@pages.get("/vorzeigen", response_class=HTMLResponse)
def present_page(request: Request, wallet: OpenWallet) -> Response:
    """Paste a presentation request."""
    return render(request, "vorzeigen.html")


@pages.post("/vorzeigen", response_class=HTMLResponse)
def present_preview(request: Request, wallet: OpenWallet, form: VerifiedForm) -> Response:
    """The consent page: exactly which claims go to whom."""
    preview = wallet.preview_request(form.get("request", ""))
    return render(request, "zustimmung.html", preview=preview)


@pages.post("/vorzeigen/scannen", response_class=HTMLResponse)
def present_scanned(request: Request, wallet: OpenWallet, photo: ScannedPhoto) -> Response:
    """A photo of the verifier's QR code: then the same consent page as for a pasted
    link."""
    preview = wallet.preview_request_photo(photo)
    return render(request, "zustimmung.html", preview=preview)


@pages.post("/vorzeigen/{preview_id}", response_class=HTMLResponse)
def present(request: Request, preview_id: str, wallet: OpenWallet, form: VerifiedForm) -> Response:
    """Consent or refuse; the outcome page."""
    outcome = wallet.respond(
        preview_id,
        consent=form.get("action") == "zustimmen",
        acknowledge_warnings=form.get("acknowledge") == "ja",
    )
    return render(request, "ergebnis.html", outcome=outcome)


@pages.get("/nachweis/{credential_id}", response_class=HTMLResponse)
def card(request: Request, credential_id: str, wallet: OpenWallet) -> Response:
    """One credential: its claims, issuer, warnings and live status."""
    credential = wallet.credential(credential_id)
    return render(
        request,
        "nachweis.html",
        card=credential,
        status=wallet.live_status(credential_id),
        history=[e for e in wallet.log() if e.credential_id == credential_id],
        received_de=datetime.fromtimestamp(credential.received_at, UTC).strftime(
            "%d.%m.%Y %H:%M UTC"
        ),
    )


@pages.post("/nachweis/{credential_id}/loeschen")
def delete(
    request: Request, credential_id: str, wallet: OpenWallet, form: VerifiedForm
) -> Response:
    """Delete a credential for good."""
    wallet.delete(credential_id)
    return _see("/wallet/")


@pages.get("/protokoll", response_class=HTMLResponse)
def log(request: Request, wallet: OpenWallet) -> Response:
    """Every presentation: who, when, which claims."""
    return render(request, "protokoll.html", entries=wallet.log())


# --- DIDComm (Aries): invitations, offers and proof requests of connected agents ---------


@pages.get("/verbinden", response_class=HTMLResponse)
def connect_page(request: Request, wallet: OpenWallet) -> Response:
    """Scan or paste a connection invitation."""
    return render(request, "verbinden.html")


@pages.post("/verbinden", response_class=HTMLResponse)
def connect_preview(request: Request, wallet: OpenWallet, form: VerifiedForm) -> Response:
    """Who invites, with a warning for unknown agents, before connecting."""
    preview = wallet.didcomm.preview_invitation(form.get("einladung", ""))
    return render(request, "einladung.html", preview=preview)


@pages.post("/verbinden/scannen", response_class=HTMLResponse)
def connect_scanned(request: Request, wallet: OpenWallet, photo: ScannedPhoto) -> Response:
    """A photo of the invitation's QR code: then the same preview as for a pasted link."""
    preview = wallet.didcomm.preview_invitation_photo(photo)
    return render(request, "einladung.html", preview=preview)


@pages.post("/verbinden/{preview_id}")
def connect(request: Request, preview_id: str, wallet: OpenWallet, form: VerifiedForm) -> Response:
    """Connect (with acknowledged warnings) or decline."""
    if form.get("action") != "verbinden":
        return _see("/wallet/")
    wallet.didcomm.connect(preview_id, acknowledge_warnings=form.get("acknowledge") == "ja")
    return _see("/wallet/anfragen")


@pages.get("/anfragen", response_class=HTMLResponse)
def inbox(request: Request, wallet: OpenWallet) -> Response:
    """Pending credential offers and proof requests of connected agents."""
    return render(request, "anfragen.html", inbox=wallet.didcomm.inbox())


@pages.post("/anfragen/angebot/{offer_id}")
def answer_offer(
    request: Request, offer_id: str, wallet: OpenWallet, form: VerifiedForm
) -> Response:
    """Accept or refuse a DIDComm credential offer."""
    if form.get("action") == "annehmen":
        wallet.didcomm.accept_offer(offer_id, acknowledge_warnings=form.get("acknowledge") == "ja")
        return _see("/wallet/")
    wallet.didcomm.refuse_offer(offer_id)
    return _see("/wallet/anfragen")


@pages.post("/anfragen/nachweis/{request_id}", response_class=HTMLResponse)
def answer_request(
    request: Request, request_id: str, wallet: OpenWallet, form: VerifiedForm
) -> Response:
    """Consent to or refuse a DIDComm proof request; the outcome page."""
    outcome, message = wallet.didcomm.answer_request(
        request_id,
        consent=form.get("action") == "zustimmen",
        acknowledge_warnings=form.get("acknowledge") == "ja",
    )
    return render(request, "ergebnis.html", outcome=PresentationOutcome(outcome, None, message))
