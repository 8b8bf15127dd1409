"""Firm logos: accept PNG, JPEG or WebP up to LOGO_MAX_BYTES (a phone photo is fine), prove it is a real
image, turn it upright, shrink and re-encode it, store it under a generated name in the database (every app
node serves it; no shared disk). What the user uploaded is never served."""
import re
import warnings
from io import BytesIO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.errors import megabytes
from portal.exceptions import RuleViolation
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.media import services as media

ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP"}
MAX_PIXELS = 20_000_000  # PNG and WebP are decoded whole: a 5000 x 4000 image at most
# A JPEG is decoded at 1/2 to 1/8 scale (draft mode), so a 50-megapixel phone photo (8160 x 6120) needs no more
# memory than a small image. Pillow itself refuses anything above ~179 megapixels as a decompression bomb, and we
# turn its warning (above ~89 megapixels) into a refusal too.
MAX_PIXELS_JPEG = 64_000_000
OUTPUT_BOX = (512, 512)
NAME = re.compile(r"^[0-9a-f]{32}\.webp$")


def max_bytes() -> int:
    return current_app.config["LOGO_MAX_BYTES"]


def too_large_message() -> str:
    return _("The logo must be %(size)s or smaller. Please choose a smaller image.", size=megabytes(max_bytes()))


def process(stream) -> bytes:
    """The uploaded file, upright, as a re-encoded WebP of at most 512 x 512 pixels.

    :raises RuleViolation: too large, not an image, not PNG/JPEG/WebP, or too many pixels.
    """
    limit = max_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise RuleViolation(too_large_message())
    if not data:
        raise RuleViolation(_l("The logo file is empty."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise RuleViolation(_l("The logo must be a PNG, JPEG or WebP image."))
            width, height = image.size
            if width * height > (MAX_PIXELS_JPEG if image.format == "JPEG" else MAX_PIXELS):
                raise RuleViolation(_l("The logo has too many pixels. Please upload a smaller image."))
            if image.format == "JPEG":
                # Decode at the smallest scale still at least twice the output box: fast, and light on memory.
                image.draft("RGB", (OUTPUT_BOX[0] * 2, OUTPUT_BOX[1] * 2))
            image.load()
    except RuleViolation:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RuleViolation(_l("The logo has too many pixels. Please upload a smaller image.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise RuleViolation(_l("This file is not an image we can read. Please upload a PNG, JPEG or WebP.")) from None
    image = ImageOps.exif_transpose(image)
    image.thumbnail(OUTPUT_BOX)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    out = BytesIO()
    image.save(out, format="WEBP", quality=85, method=4)
    return out.getvalue()


def store(webp: bytes) -> str:
    """Add the processed logo to the database (portal/media) under a fresh random name; returns the name.
    Flushes only: it is saved with the firm that refers to it."""
    return media.store(webp, "image/webp", "webp")


def remove(name: str | None) -> None:
    if name and NAME.match(name):
        media.remove(name)


def is_valid_name(name: str) -> bool:
    return bool(NAME.match(name or ""))
