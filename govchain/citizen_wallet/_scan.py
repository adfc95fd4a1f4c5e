"""Reading a wallet link from a photo of a QR code, on the wallet's own server.

The pages take a photo through ``<input type="file" accept="image/*"
capture="environment">`` (on a phone: the camera), so scanning needs no JavaScript.
The photo is decoded here with zxing-cpp after Pillow has loaded it; it is never
stored. A photo is refused before any decoding when it has more bytes or pixels than
the limits (decompression bombs), and afterwards unless it holds exactly one QR code
with the expected kind of wallet link.
"""

from __future__ import annotations

import io
import logging
from typing import Final

import zxingcpp
from PIL import Image, UnidentifiedImageError

from govchain.citizen_wallet._links import LinkKind, link_kind
from govchain.citizen_wallet.errors import PhotoTooLargeError, ScanError

__all__ = ["IMAGE_FORMATS", "MAX_PHOTO_BYTES", "MAX_PHOTO_PIXELS", "read_link", "read_qr_text"]

logger = logging.getLogger(__name__)

MAX_PHOTO_BYTES: Final = 10 * 1024 * 1024
"""The largest photo read: a phone camera's JPEG is 2 to 6 MB."""
MAX_PHOTO_PIXELS: Final = 50_000_000
"""The most pixels read (a 50 megapixel camera); checked from the header, before the
pixels are decoded, so a small file that unpacks to gigabytes is refused."""
IMAGE_FORMATS: Final = ("JPEG", "PNG", "WEBP", "GIF")
"""The formats Pillow may open: what phones' cameras and screenshots produce."""
_DECODE_SIZE: Final = (2048, 2048)
"""JPEGs are decoded at a reduced scale (not below this) in grey: enough for a QR code,
a fraction of the memory and time."""
_QR: Final = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode])


def read_qr_text(photo: bytes) -> str:
    """The text of the one QR code in ``photo`` (JPEG, PNG, WebP or GIF).

    Raises:
        PhotoTooLargeError: more than ``MAX_PHOTO_BYTES`` or ``MAX_PHOTO_PIXELS``.
        ScanError: no photo, not an image, no QR code, or several.
    """
    if not photo:
        raise ScanError(
            "no_photo",
            "No photo arrived; take or choose a photo of the QR code first.",
            "Es kam kein Foto an; bitte zuerst ein Foto des QR-Codes aufnehmen oder auswählen.",
        )
    if len(photo) > MAX_PHOTO_BYTES:
        raise PhotoTooLargeError(
            f"{len(photo) / 1e6:.1f} MB, at most {MAX_PHOTO_BYTES / 1e6:.0f} MB",
            f"{len(photo) / 1e6:.1f} MB, höchstens {MAX_PHOTO_BYTES / 1e6:.0f} MB",
        )
    grey = _load_grey(photo)
    try:
        found = zxingcpp.read_barcodes(grey, formats=_QR)
    finally:
        grey.close()
    texts = list(dict.fromkeys(code.text for code in found if code.valid))
    if not texts:
        raise ScanError(
            "no_qr_code",
            "No QR code was found in the photo; hold the camera closer and steady, "
            "with the whole code in the picture.",
            "Im Foto wurde kein QR-Code gefunden; bitte näher und ruhig fotografieren, "
            "mit dem ganzen Code im Bild.",
        )
    if len(texts) > 1:
        raise ScanError(
            "several_qr_codes",
            f"The photo shows {len(texts)} different QR codes; photograph only one.",
            f"Das Foto zeigt {len(texts)} verschiedene QR-Codes; bitte nur einen fotografieren.",
        )
    return texts[0]


def read_link(photo: bytes, expected: LinkKind) -> str:
    """The wallet link of kind ``expected`` in the one QR code in ``photo``; the caller
    goes on exactly as with a pasted link."""
    text = read_qr_text(photo)
    kind = link_kind(text)
    if kind is None:
        shown = text.strip()[:60]
        raise ScanError(
            "not_a_wallet_link",
            f"The QR code is not a wallet link ({expected.name_en}) but {shown!r}.",
            f"Der QR-Code ist kein Link für die Brieftasche ({expected.name_de}), "
            f"sondern {shown!r}.",
        )
    if kind is not expected:
        negation_de = "k" + expected.article_de
        raise ScanError(
            "wrong_kind_of_link",
            f"This QR code is a {kind.name_en}, not a {expected.name_en}; "
            f"scan it under {kind.page_de!r}.",
            f"Dieser QR-Code ist {kind.article_de} {kind.name_de}, {negation_de} "
            f"{expected.name_de}; bitte unter „{kind.page_de}“ scannen.",
        )
    return text


def _load_grey(photo: bytes) -> Image.Image:
    """The photo in grey, after its size was checked from the header."""
    try:
        with Image.open(io.BytesIO(photo), formats=IMAGE_FORMATS) as image:
            pixels = image.width * image.height
            if pixels > MAX_PHOTO_PIXELS:
                raise PhotoTooLargeError(
                    f"{pixels / 1e6:.0f} megapixels, at most {MAX_PHOTO_PIXELS / 1e6:.0f}",
                    f"{pixels / 1e6:.0f} Megapixel, höchstens {MAX_PHOTO_PIXELS / 1e6:.0f}",
                )
            image.draft("L", _DECODE_SIZE)  # JPEG only: scaled decoding; else a no-op
            return image.convert("L")
    except Image.DecompressionBombError as err:
        raise PhotoTooLargeError(
            f"more than {MAX_PHOTO_PIXELS / 1e6:.0f} megapixels",
            f"mehr als {MAX_PHOTO_PIXELS / 1e6:.0f} Megapixel",
        ) from err
    except UnidentifiedImageError as err:
        raise ScanError(
            "not_an_image",
            "The file is not a photo in a readable format (JPEG, PNG, WebP or GIF).",
            "Die Datei ist kein Foto in einem lesbaren Format (JPEG, PNG, WebP oder GIF).",
        ) from err
    except (OSError, ValueError, SyntaxError, EOFError) as err:
        logger.info("unreadable photo: %s", err)
        raise ScanError(
            "not_an_image",
            "The photo is damaged or cut off and cannot be read; take it again.",
            "Das Foto ist beschädigt oder unvollständig und nicht lesbar; bitte neu aufnehmen.",
        ) from err
