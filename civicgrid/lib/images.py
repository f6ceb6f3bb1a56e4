"""Validation and cleaning of uploaded case photos: real type, size limits, upright, no metadata, thumbnail.

Residents' snap-and-report photos and agencies' result photos come straight from phones, so they carry EXIF
with the GPS position of the sender's home, the phone's serial number and the time; nothing of that may be
stored or served. Every accepted photo is therefore decoded in full and re-encoded from its pixels alone.

Limits, read from settings at each call so tests can override them:
- CASE_PHOTO_MAX_BYTES (default 10 MiB): the largest upload, checked before anything is decoded.
- CASE_PHOTO_MAX_PIXELS (default 40 million): width × height, checked from the header before the pixels are
  decoded. Pillow's own Image.MAX_IMAGE_PIXELS still applies on top of it, so the lower of the two wins.
- CASE_PHOTO_THUMB_PX (default 480): the longest side of the thumbnail.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import struct
import threading
import warnings
import zlib
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageFile

try:
    from PIL import ImageCms
except ImportError:  # Pillow built without Little CMS: colour profiles are dropped without conversion.
    ImageCms = None  # type: ignore[assignment]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_THUMB_PX = 480

JPEG_QUALITY = 85
WEBP_QUALITY = 85
THUMB_QUALITY = 80

# Format as Pillow names it -> (format to write, content type, extension). MPO is what Pillow calls a JPEG
# with a second picture appended (Samsung and some iPhone exports, depth maps); its first picture is the photo.
_OUTPUT = {
    "JPEG": ("JPEG", "image/jpeg", ".jpg"),
    "MPO": ("JPEG", "image/jpeg", ".jpg"),
    "PNG": ("PNG", "image/png", ".png"),
    "WEBP": ("WEBP", "image/webp", ".webp"),
}

# No camera or editor writes more than a few dozen scans (libjpeg's progressive default is 10); each scan makes
# libjpeg pass over every coefficient again, so a 200 KB file repeating one scan 5,000 times takes about half a
# minute to decode at 12 megapixels. libjpeg-turbo's own fuzzing harness stops at 500.
MAX_JPEG_SCANS = 100
# In entropy-coded data 0xFF is followed by 0x00 (stuffing) or a restart marker; anything else is a marker.
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")

_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# What Pillow's JPEG, PNG and WebP readers raise on malformed input; UnidentifiedImageError is an OSError.
# The fuzz tests in tests/test_images.py hold clean_image to turning every one of them into an ImageError.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    EOFError,
    struct.error,
    zlib.error,
    ZeroDivisionError,
    OverflowError,
)

# warnings.catch_warnings() swaps the process-wide filter list and puts it back on exit; two threads
# interleaving their enter/exit would leave one thread's filter behind for good. The lock orders this module's
# own calls (code elsewhere using catch_warnings in another thread is not covered); only Image.open runs under
# it, which reads headers and takes microseconds.
_OPEN_LOCK = threading.Lock()


class ImageError(ValueError):
    """A photo a user sent that cannot be stored; the message is translated, `code` is stable.

    `extra` mirrors ApplicationError's, so a service can re-raise it as one without losing the limits.
    """

    def __init__(self, message: str, *, code: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.extra = extra or {}


@dataclass
class CleanImage:
    """A photo fit to store and serve: re-encoded from its pixels, upright, with no metadata at all.

    `extension` carries its dot (".jpg"), like mimetypes.guess_extension. The thumbnail is always a JPEG.
    """

    content: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def clean_image(
    data: bytes | bytearray | memoryview | IO[bytes],
    *,
    filename: str = "",
    claimed_type: str = "",
    max_bytes: int | None = None,
    max_pixels: int | None = None,
) -> CleanImage:
    """Validate an uploaded photo and return it re-encoded without metadata, with a thumbnail.

    1. Read at most max_bytes + 1 bytes; refuse an empty upload and one over the limit.
    2. Tell the type from the content alone: JPEG, PNG and WebP are accepted, anything else is refused.
       `filename` and `claimed_type` (the browser's Content-Type) are never trusted: a PNG sent as
       "photo.jpg" or as image/jpeg is accepted and stored as the PNG it is, since phones and messaging apps
       rename files freely; a GIF, SVG, HTML page or PDF is refused whatever it is called. The filename only
       names the file in errors (`extra["filename"]`).
    3. Read the dimensions from the header and refuse a decompression bomb before any pixel is decoded.
    4. Decode every pixel, so a truncated or corrupt file is refused now rather than served broken.
    5. Turn the photo upright by its EXIF orientation, convert its colours to sRGB if it embeds a profile,
       and copy the pixels into a fresh image, which leaves EXIF (GPS included), XMP, ICC profiles and
       comments behind.
    6. Encode the photo in its own format and a JPEG thumbnail no larger than CASE_PHOTO_THUMB_PX.

    Raises ImageError with code "empty", "too_large", "unsupported_type", "too_many_pixels" or "corrupt";
    no other exception comes out of it for any input bytes.
    """
    if max_bytes is None:
        max_bytes = getattr(settings, "CASE_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES)
    if max_pixels is None:
        max_pixels = getattr(settings, "CASE_PHOTO_MAX_PIXELS", DEFAULT_MAX_PIXELS)
    thumb_px = getattr(settings, "CASE_PHOTO_THUMB_PX", DEFAULT_THUMB_PX)
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Pillow would pad a truncated photo with grey instead of failing, and the check below would pass it.
        raise ImproperlyConfigured("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False for case photos.")
    extra = {"filename": _display_name(filename)} if filename else {}

    raw = _read_limited(data, max_bytes)
    if not raw:
        raise ImageError(_("The photo is empty."), code="empty", extra=extra)
    if len(raw) > max_bytes:
        raise ImageError(
            _("The photo is larger than %(limit)s MB.") % {"limit": _format_number(max_bytes / 1024 / 1024)},
            code="too_large",
            extra={**extra, "limit_bytes": max_bytes},
        )

    sniffed = _sniff_format(raw)
    if sniffed is None:
        raise _unsupported(extra)
    if Image.MAX_IMAGE_PIXELS is not None:
        max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS)
    if sniffed == "WEBP":
        # libwebp allocates the whole canvas when the file is opened, before Image.open can check the size.
        size = _webp_canvas_size(raw)
        if size is not None:
            _check_pixels(size, max_pixels, extra)

    img = _open(raw, sniffed, max_pixels, extra)
    try:
        if img.format not in _OUTPUT:
            raise _unsupported(extra)
        _check_pixels(img.size, max_pixels, extra)
        if sniffed == "JPEG" and _jpeg_scan_count(raw, stop_after=MAX_JPEG_SCANS) > MAX_JPEG_SCANS:
            raise _corrupt(extra)
        out_format, content_type, extension = _OUTPUT[img.format]
        try:
            img.load()
        except _DECODE_ERRORS:
            raise _corrupt(extra)
        try:
            clean = _cleaned_pixels(img, alpha=out_format != "JPEG")
            content = _encode(clean, out_format)
            thumbnail = _encode_thumbnail(clean, thumb_px)
        except _DECODE_ERRORS:
            raise _corrupt(extra)
    finally:
        img.close()

    return CleanImage(
        content=content,
        thumbnail=thumbnail,
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _read_limited(data: bytes | bytearray | memoryview | IO[bytes], max_bytes: int) -> bytes:
    """Return the bytes of `data`, but never more than max_bytes + 1 of a file (enough to know it is too big).

    A file is read from its current position; Django's UploadedFile is at the start unless a caller moved it.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    chunks = []
    remaining = max_bytes + 1
    while remaining > 0:
        chunk = data.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _sniff_format(raw: bytes) -> str | None:
    """Name the format by its signature, the same test Pillow's readers start with.

    It decides between "not a photo" (unsupported_type) and "a damaged photo" (corrupt): a JPEG whose header
    is cut short is corrupt, even though Pillow cannot identify it either.
    """
    if raw.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if raw.startswith(b"RIFF") and raw[8:12] == b"WEBP":
        return "WEBP"
    return None


def _webp_canvas_size(raw: bytes) -> tuple[int, int] | None:
    """Read the canvas size from a WebP header (VP8X, VP8 or VP8L), or None if the header is malformed."""
    chunk = raw[12:16]
    if chunk == b"VP8X" and len(raw) >= 30:
        return int.from_bytes(raw[24:27], "little") + 1, int.from_bytes(raw[27:30], "little") + 1
    if chunk == b"VP8 " and len(raw) >= 30 and raw[23:26] == b"\x9d\x01\x2a":
        return (
            int.from_bytes(raw[26:28], "little") & 0x3FFF,
            int.from_bytes(raw[28:30], "little") & 0x3FFF,
        )
    if chunk == b"VP8L" and len(raw) >= 25 and raw[20] == 0x2F:
        bits = int.from_bytes(raw[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_scan_count(raw: bytes, *, stop_after: int) -> int:
    """Count the scans of the first picture in a JPEG, walking its markers the way a decoder does.

    Counting stops at the first picture's end (EOI), since MPO pictures and the motion-photo videos some
    phones append after it are never decoded, and once past `stop_after`. Malformed structure ends the walk
    early; the decoder then says what is wrong.
    """
    scans = 0
    pos = 2
    end = len(raw)
    while pos + 1 < end and scans <= stop_after:
        if raw[pos] != 0xFF:
            break
        marker = raw[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        if pos + 4 > end:
            break
        pos += 2 + int.from_bytes(raw[pos + 2 : pos + 4], "big")
        if marker == 0xDA:  # SOS: its entropy-coded data runs to the next marker
            scans += 1
            match = _JPEG_MARKER.search(raw, pos)
            if match is None:
                break
            pos = match.start()
    return scans


def _open(raw: bytes, sniffed: str, max_pixels: int, extra: dict[str, Any]) -> ImageFile.ImageFile:
    """Open the header with only the reader the signature names; Pillow's bomb warning becomes a refusal."""
    # JpegImagePlugin hands MPO files over to the MPO reader itself.
    try:
        with _OPEN_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(raw), formats=[sniffed])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels, None, extra)
    except _DECODE_ERRORS:
        raise _corrupt(extra)


def _check_pixels(size: tuple[int, int], max_pixels: int, extra: dict[str, Any]) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise _corrupt(extra)
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels, size, extra)


def _cleaned_pixels(img: Image.Image, *, alpha: bool) -> Image.Image:
    """Return the photo upright, in sRGB, as L, RGB or RGBA (RGBA only if `alpha`), with no metadata.

    Each step closes the image it replaced, so a 40-megapixel photo (160 MB decoded) is held at most twice.
    """
    icc_profile = img.info.get("icc_profile")
    img = _replaced(img, _upright(img))
    if img.mode != "CMYK":
        img = _replaced(img, _plain_mode(img))
    if icc_profile and ImageCms is not None:
        img = _replaced(img, _to_srgb(img, icc_profile))
    img = _replaced(img, _plain_mode(img))  # a CMYK photo whose profile could not be used
    if img.mode == "RGBA" and not alpha:
        img = _replaced(img, _flatten(img))
    # A fresh image never had `info` or `encoderinfo`, so encoders find no EXIF, XMP, ICC profile or comment.
    fresh = Image.new(img.mode, img.size)
    fresh.paste(img)
    img.close()
    return fresh


def _replaced(old: Image.Image, new: Image.Image) -> Image.Image:
    if new is not old:
        old.close()
    return new


def _upright(img: Image.Image) -> Image.Image:
    """Turn the pixels by the EXIF orientation, the way phones expect viewers to show them.

    The table is ImageOps.exif_transpose's; that function also rewrites the EXIF and XMP it leaves behind,
    which is wasted work here since both are dropped, and it fails on some damaged EXIF after turning.
    """
    orientation = 1
    with contextlib.suppress(*_DECODE_ERRORS):  # EXIF too damaged to read: keep the photo as stored
        orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
    method = _ORIENTATION.get(orientation) if isinstance(orientation, int) else None
    return img.transpose(method) if method is not None else img


def _plain_mode(img: Image.Image) -> Image.Image:
    """Convert any mode the three readers produce to L, RGB or RGBA."""
    mode = img.mode
    if mode in ("L", "RGB", "RGBA"):
        return img
    if mode == "1":
        return img.convert("L")
    if mode.startswith("I"):
        # 16-bit grey (PNG): Pillow's convert("L") clips at 255 instead of scaling.
        return img.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if mode in ("P", "PA"):
        return img.convert("RGBA" if img.has_transparency_data else "RGB")
    if mode in ("LA", "La", "RGBa"):
        return img.convert("RGBA")
    return img.convert("RGB")  # CMYK, YCbCr, RGBX, LAB


def _to_srgb(img: Image.Image, icc_profile: bytes) -> Image.Image:
    """Convert colours from the embedded profile to sRGB, so the photo looks the same once the profile is gone.

    iPhones tag their photos Display P3, print workflows tag CMYK; without the conversion they would turn
    dull or shifted. A profile Little CMS cannot use, or one for another colour space than the pixels', is
    dropped and the pixels are kept as they are.
    """
    if img.mode not in ("RGB", "RGBA", "CMYK"):
        return img
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if source.profile.xcolor_space.strip() != ("CMYK" if img.mode == "CMYK" else "RGB"):
            return img
        alpha = img.getchannel("A") if img.mode == "RGBA" else None
        rgb = img.convert("RGB") if alpha is not None else img
        converted = ImageCms.profileToProfile(rgb, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, *_DECODE_ERRORS):
        return img
    if converted is None:
        return img
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _flatten(img: Image.Image) -> Image.Image:
    """Put an RGBA image on white: JPEG has no alpha, and white is what a page behind it shows."""
    background = Image.new("RGB", img.size, (255, 255, 255))
    background.paste(img, mask=img.getchannel("A"))
    return background


def _encode(img: Image.Image, out_format: str) -> bytes:
    out = io.BytesIO()
    if out_format == "JPEG":
        img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif out_format == "PNG":
        # zlib's default level, not optimize (level 9): on a phone screenshot, the usual PNG upload, optimize
        # saved 10 % (0.09 -> 0.08 MB); on a 12-megapixel photo saved as PNG it took 7.1 s instead of 2.2 s
        # for 17 %, and any upload could ask for that.
        img.save(out, "PNG")
    else:
        img.save(out, "WEBP", quality=WEBP_QUALITY)
    return out.getvalue()


def _encode_thumbnail(img: Image.Image, thumb_px: int) -> bytes:
    width, height = img.size
    scale = thumb_px / max(width, height)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        img = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if img.mode == "RGBA":
        img = _flatten(img)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=THUMB_QUALITY, optimize=True)
    return out.getvalue()


def _format_number(value: float) -> str:
    """Show a limit the way a person writes it: 10, 2.5, 89.5, 0.095."""
    if value < 0.1:
        return f"{value:.2g}"
    return f"{value:.1f}".removesuffix(".0")


def _display_name(filename: str) -> str:
    """Keep the last path component of a client-supplied name, shortened, for error details."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name[:100]


def _unsupported(extra: dict[str, Any]) -> ImageError:
    return ImageError(
        _("Only JPEG, PNG and WebP photos are accepted."),
        code="unsupported_type",
        extra=extra,
    )


def _corrupt(extra: dict[str, Any]) -> ImageError:
    return ImageError(
        _("The photo is damaged or incomplete and cannot be read; please take or send it again."),
        code="corrupt",
        extra=extra,
    )


def _too_many_pixels(max_pixels: int, size: tuple[int, int] | None, extra: dict[str, Any]) -> ImageError:
    details: dict[str, Any] = {**extra, "limit_pixels": max_pixels}
    if size is not None:
        details["width"], details["height"] = size
    return ImageError(
        _("The photo has too many pixels; the limit is %(limit)s megapixels.")
        % {"limit": _format_number(max_pixels / 1_000_000)},
        code="too_many_pixels",
        extra=details,
    )
