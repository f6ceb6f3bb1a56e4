"""Cleaning of uploaded case photos (no database): real type, limits, metadata, orientation, robustness."""

from __future__ import annotations

import hashlib
import io
import struct
import time
import warnings
import zipfile
import zlib
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, ImageOps, WebPImagePlugin
from PIL.TiffImagePlugin import IFDRational

from civicgrid.lib.images import CleanImage, ImageError, clean_image


@pytest.fixture(autouse=True)
def _limits(settings):
    """Pin the limits these tests were written against, whatever the deployment's defaults."""
    settings.CASE_PHOTO_MAX_PIXELS = 40_000_000
    settings.CASE_PHOTO_MAX_BYTES = 10 * 1024 * 1024
    settings.CASE_PHOTO_THUMB_PX = 480


if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

# 39°54'39.54271" N, stored as a rational exactly as a phone would; its big-endian bytes (Pillow writes EXIF
# as "MM") must not survive anywhere in the output.
GPS_SECONDS = (3954271, 100000)
GPS_SECONDS_BYTES = struct.pack(">II", *GPS_SECONDS)


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def two_colour(size: tuple[int, int] = (40, 20), mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue, so a rotation shows where the left half went."""
    img = Image.new(mode, size, (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return img


def phone_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "ACME-CAM"  # Make
    exif[0x0110] = "Snapper 12"  # Model
    if orientation is not None:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (IFDRational(39), IFDRational(54), IFDRational(*GPS_SECONDS))
    gps[3] = "E"
    gps[4] = (IFDRational(116), IFDRational(23), IFDRational(50))
    gps[0x1D] = "2024:05:01"  # GPSDateStamp
    return exif


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def swapped_primaries_profile() -> bytes:
    """An RGB profile whose red and blue primaries are swapped: stored red means what sRGB calls blue.

    Stands in for Display P3 (iPhones) with a difference too large to miss.
    """
    profile = bytearray(srgb_profile())
    count = struct.unpack(">I", profile[128:132])[0]
    entries = {bytes(profile[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"] + 4, entries[b"bXYZ"] + 4
    profile[red : red + 8], profile[blue : blue + 8] = profile[blue : blue + 8], profile[red : red + 8]
    return bytes(profile)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int) -> bytes:
    """A 1-bit PNG of all zeros: a few hundred KB that would decode to width × height pixels."""
    row = bytes(1 + (width + 7) // 8)
    compressor = zlib.compressobj(1)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) is rewritten to claim another size."""
    raw = bytearray(encode(Image.new("RGB", (16, 16), "green"), "JPEG"))
    sof = raw.index(b"\xff\xc0")
    raw[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(raw)


def webp_claiming(width: int, height: int) -> bytes:
    """A WebP header (VP8X) claiming a canvas of width × height, followed by a tiny real frame."""
    frame = encode(Image.new("RGB", (16, 16), "green"), "WEBP")[12:]  # the VP8 chunk of a real file
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes(4) + (width - 1).to_bytes(3, "little")
    vp8x += (height - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x + frame
    return b"RIFF" + struct.pack("<I", len(body)) + body


def pixels_allocated() -> int:
    """How many images Pillow's core has created so far in this process."""
    return Image.core.get_stats()["new_count"]


def opened(clean: CleanImage) -> Image.Image:
    img = Image.open(io.BytesIO(clean.content))
    img.load()
    return img


def refusal(data: object, **kwargs: object) -> ImageError:
    with pytest.raises(ImageError) as caught:
        clean_image(data, **kwargs)  # type: ignore[arg-type]
    return caught.value


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


# --- Metadata and orientation -----------------------------------------------------------------------------


def test_it_strips_exif_with_gps_from_a_jpeg() -> None:
    raw = encode(two_colour(), "JPEG", exif=phone_exif())
    assert b"ACME-CAM" in raw and GPS_SECONDS_BYTES in raw and b"2024:05:01" in raw  # the fixture leaks

    clean = clean_image(raw, filename="IMG_0001.JPG", claimed_type="image/jpeg")

    assert clean.content_type == "image/jpeg" and clean.extension == ".jpg"
    img = opened(clean)
    assert img.format == "JPEG"
    assert len(img.getexif()) == 0
    assert "exif" not in img.info
    for blob in (clean.content, clean.thumbnail):
        assert b"Exif" not in blob
        assert b"ACME-CAM" not in blob and b"Snapper" not in blob
        assert GPS_SECONDS_BYTES not in blob and b"2024:05:01" not in blob


def test_it_strips_xmp_comments_and_colour_profiles_from_a_jpeg() -> None:
    raw = encode(
        two_colour(),
        "JPEG",
        exif=phone_exif(),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">home-address</x:xmpmeta>',
        comment=b"taken at home",
        icc_profile=srgb_profile(),
    )

    clean = clean_image(raw)

    info = opened(clean).info
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(info)
    for marker in (b"home-address", b"taken at home", b"ICC_PROFILE", b"http://ns.adobe.com/xap"):
        assert marker not in clean.content


def test_it_strips_exif_text_and_profiles_from_a_png() -> None:
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Comment", "home-address")
    text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret-xmp</x:xmpmeta>")
    raw = encode(two_colour(), "PNG", exif=phone_exif(), pnginfo=text, icc_profile=srgb_profile())
    assert b"eXIf" in raw and b"iCCP" in raw

    clean = clean_image(raw)

    assert clean.content_type == "image/png"
    for chunk in (b"eXIf", b"iCCP", b"tEXt", b"iTXt", b"zTXt", b"home-address", b"secret-xmp", b"ACME"):
        assert chunk not in clean.content
    assert len(opened(clean).getexif()) == 0


def test_it_strips_exif_from_a_webp_and_keeps_its_transparency() -> None:
    img = two_colour(mode="RGBA")
    img.putpixel((0, 0), (0, 0, 0, 0))
    raw = encode(img, "WEBP", exif=phone_exif(), lossless=True)
    assert b"EXIF" in raw

    clean = clean_image(raw, filename="shot.webp")

    assert (clean.content_type, clean.extension) == ("image/webp", ".webp")
    out = opened(clean)
    assert out.mode == "RGBA" and out.getpixel((0, 0))[3] == 0
    assert b"EXIF" not in clean.content and b"ACME-CAM" not in clean.content
    assert len(out.getexif()) == 0


def test_it_turns_a_photo_upright_by_its_exif_orientation() -> None:
    # Orientation 6: the camera was held rotated, the viewer must turn the stored pixels 90° clockwise.
    raw = encode(two_colour((40, 20)), "JPEG", exif=phone_exif(orientation=6))

    clean = clean_image(raw)

    assert (clean.width, clean.height) == (20, 40)
    img = opened(clean)
    assert img.size == (20, 40)
    assert close(img.getpixel((10, 5)), (255, 0, 0))  # the stored left half is now on top
    assert close(img.getpixel((10, 35)), (0, 0, 255))
    assert Image.open(io.BytesIO(clean.thumbnail)).size == (20, 40)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow says what it skipped in the damaged EXIF
def test_it_keeps_a_photo_with_unreadable_exif_as_it_is() -> None:
    raw = bytearray(encode(two_colour(), "JPEG", exif=phone_exif(orientation=6)))
    start = raw.index(b"Exif\x00\x00") + 6
    raw[start + 8 : start + 40] = b"\xff" * 32  # the first IFD's entries

    clean = clean_image(bytes(raw))

    assert b"Exif" not in clean.content


# --- Type detection ---------------------------------------------------------------------------------------


def gif_bytes() -> bytes:
    return encode(two_colour(), "GIF")


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", b"not really")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "filename", "claimed_type"),
    [
        (gif_bytes(), "photo.jpg", "image/jpeg"),
        (b"<!doctype html><script>alert(1)</script>", "photo.png", "image/png"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>',
            "photo.png",
            "image/svg+xml",
        ),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", "photo.jpg", "image/jpeg"),
        (zip_bytes(), "photo.jpg", "image/jpeg"),
        (encode(two_colour(), "BMP"), "photo.jpg", "image/jpeg"),
        (encode(two_colour(), "TIFF"), "photo.jpg", "image/jpeg"),
    ],
    ids=["gif", "html", "svg", "pdf", "zip", "bmp", "tiff"],
)
def test_it_refuses_what_is_not_a_jpeg_png_or_webp_whatever_it_is_called(
    content: bytes, filename: str, claimed_type: str
) -> None:
    error = refusal(content, filename=filename, claimed_type=claimed_type)

    assert error.code == "unsupported_type"
    assert error.message == "Only JPEG, PNG and WebP photos are accepted."
    assert error.extra == {"filename": filename}


def test_it_accepts_a_png_named_jpg_as_the_png_it_is() -> None:
    raw = encode(two_colour(), "PNG")

    clean = clean_image(raw, filename="photo.jpg", claimed_type="image/jpeg")

    assert (clean.content_type, clean.extension) == ("image/png", ".png")
    assert opened(clean).format == "PNG"


def test_it_accepts_a_jpeg_sent_with_a_generic_content_type() -> None:
    clean = clean_image(
        encode(two_colour(), "JPEG"), filename="upload", claimed_type="application/octet-stream"
    )

    assert clean.content_type == "image/jpeg"


def test_it_stores_the_first_picture_of_an_mpo_as_a_plain_jpeg() -> None:
    raw = encode(two_colour(), "MPO", save_all=True, append_images=[Image.new("RGB", (40, 20), "white")])
    assert Image.open(io.BytesIO(raw)).format == "MPO"

    clean = clean_image(raw)

    img = opened(clean)
    assert img.format == "JPEG" and clean.extension == ".jpg"
    assert close(img.getpixel((5, 10)), (255, 0, 0))
    assert b"MPF" not in clean.content


def test_it_names_only_the_last_path_component_of_the_filename_in_errors() -> None:
    error = refusal(b"GIF89a", filename="C:\\Users\\li\\Desktop\\secret\\photo.gif")

    assert error.extra["filename"] == "photo.gif"


# --- Size limits and decompression bombs ------------------------------------------------------------------


def test_it_refuses_an_empty_upload() -> None:
    assert refusal(b"").code == "empty"
    assert refusal(io.BytesIO(b"")).code == "empty"


def test_it_refuses_a_photo_over_the_byte_limit_with_the_limit_in_the_message() -> None:
    raw = encode(two_colour(), "PNG")

    error = refusal(raw, max_bytes=len(raw) - 1)
    assert error.code == "too_large"
    assert error.extra["limit_bytes"] == len(raw) - 1

    assert clean_image(raw, max_bytes=len(raw)).content_type == "image/png"


def test_it_takes_the_byte_limit_from_settings(settings: Settings) -> None:
    settings.CASE_PHOTO_MAX_BYTES = int(2.5 * 1024 * 1024)

    error = refusal(b"\xff\xd8\xff" + bytes(3 * 1024 * 1024))

    assert error.code == "too_large"
    assert error.message == "The photo is larger than 2.5 MB."


class EndlessStream(io.RawIOBase):
    """A client that never stops sending; counts what was read from it."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        size = min(len(buffer), 4096)  # short reads, like a socket
        buffer[:size] = b"\xff" * size
        self.served += size
        return size


def test_it_reads_no_more_than_one_byte_past_the_limit_from_a_file() -> None:
    stream = EndlessStream()

    error = refusal(stream, max_bytes=100_000)

    assert error.code == "too_large"
    assert error.message == "The photo is larger than 0.095 MB."
    assert stream.served == 100_001


def test_it_reads_a_django_upload() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("photo.jpg", encode(two_colour(), "JPEG"), content_type="image/jpeg")

    assert clean_image(upload, filename=upload.name, claimed_type=upload.content_type).width == 40


@pytest.fixture(scope="module")
def png_50k_bomb() -> bytes:
    return png_bomb(50_000, 50_000)


def test_it_refuses_a_png_decompression_bomb_quickly_without_decoding_it(png_50k_bomb: bytes) -> None:
    assert len(png_50k_bomb) < 2_000_000  # 2.5 gigapixels in a small upload
    before = pixels_allocated()
    start = time.perf_counter()

    error = refusal(png_50k_bomb, filename="cat.png")

    assert time.perf_counter() - start < 1.0
    assert error.code == "too_many_pixels"
    assert error.message == "The photo has too many pixels; the limit is 40 megapixels."
    assert pixels_allocated() == before


def test_it_refuses_a_photo_over_the_pixel_limit_from_its_header() -> None:
    # 7000 × 6000 = 42 megapixels: over the default 40 million, under Pillow's own warning threshold.
    bomb = png_bomb(7000, 6000)
    before = pixels_allocated()

    error = refusal(bomb)

    assert error.code == "too_many_pixels"
    assert (error.extra["width"], error.extra["height"], error.extra["limit_pixels"]) == (
        7000,
        6000,
        40_000_000,
    )
    assert pixels_allocated() == before


def test_it_takes_the_pixel_limit_from_settings(settings: Settings) -> None:
    settings.CASE_PHOTO_MAX_PIXELS = 800

    assert clean_image(encode(two_colour((40, 20)), "PNG")).width == 40
    error = refusal(encode(two_colour((41, 20)), "PNG"))
    assert error.code == "too_many_pixels"
    assert error.message == "The photo has too many pixels; the limit is 0.0008 megapixels."
    assert refusal(encode(two_colour((40, 20)), "PNG"), max_pixels=799).code == "too_many_pixels"


def test_pillows_own_limit_turns_its_warning_into_a_refusal_without_touching_warning_filters() -> None:
    # 10,000 × 10,000 = 100 megapixels: Pillow warns (over 89.5 million) but does not raise (under 179 million).
    bomb = png_bomb(10_000, 10_000)
    filters_before = list(warnings.filters)

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        error = refusal(bomb, max_pixels=500_000_000)

    assert error.code == "too_many_pixels"
    assert error.extra["limit_pixels"] == Image.MAX_IMAGE_PIXELS  # the lower of the two limits is reported
    assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]
    assert warnings.filters == filters_before


def test_it_refuses_a_jpeg_claiming_a_huge_frame() -> None:
    for width, height in ((65_000, 65_000), (8000, 6000)):
        assert refusal(jpeg_claiming(width, height)).code == "too_many_pixels"


def test_it_refuses_a_webp_claiming_a_huge_canvas_before_libwebp_allocates_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_decoder(data: bytes) -> None:
        raise AssertionError("libwebp was asked to allocate the canvas")

    monkeypatch.setattr(WebPImagePlugin._webp, "WebPAnimDecoder", no_decoder)

    for width, height in ((10_000, 5_000), (16_384, 16_384)):
        error = refusal(webp_claiming(width, height))
        assert error.code == "too_many_pixels"
        assert (error.extra["width"], error.extra["height"]) == (width, height)


# --- Damaged files ----------------------------------------------------------------------------------------


def noisy(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """Noise, so the encoded file is long and every part of it matters to the decoder."""
    return Image.frombytes("RGB", size, bytes((i * 7919) % 251 for i in range(size[0] * size[1] * 3)))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_it_refuses_a_truncated_photo_as_corrupt(fmt: str) -> None:
    raw = encode(noisy(), fmt)

    error = refusal(raw[: len(raw) // 2], filename=f"photo.{fmt.lower()}")

    assert error.code == "corrupt"
    assert (
        error.message
        == "The photo is damaged or incomplete and cannot be read; please take or send it again."
    )


def test_it_refuses_a_jpeg_cut_inside_its_header_as_corrupt_not_as_another_type() -> None:
    assert refusal(encode(noisy(), "JPEG")[:40]).code == "corrupt"


def test_it_refuses_a_png_with_damaged_pixel_data_as_corrupt() -> None:
    raw = bytearray(encode(noisy(), "PNG"))
    start = raw.index(b"IDAT") + 4
    raw[start + 10 : start + 60] = bytes(50)

    assert refusal(bytes(raw)).code == "corrupt"


# --- Modes and formats ------------------------------------------------------------------------------------


def test_it_converts_a_cmyk_jpeg_to_rgb() -> None:
    raw = encode(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG")  # pure red ink

    img = opened(clean_image(raw))

    assert img.mode == "RGB"
    assert close(img.getpixel((10, 10)), (255, 0, 0))


def test_it_converts_a_palette_png_to_rgb_or_rgba_by_its_transparency() -> None:
    opaque = two_colour().convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    assert opened(clean_image(encode(opaque, "PNG"))).mode == "RGB"

    transparent = opaque.copy()
    transparent.info["transparency"] = transparent.getpixel((0, 0))
    out = opened(clean_image(encode(transparent, "PNG", transparency=transparent.getpixel((0, 0)))))
    assert out.mode == "RGBA"
    assert out.getpixel((0, 0))[3] == 0 and out.getpixel((39, 0))[3] == 255


def test_it_converts_grey_with_alpha_to_rgba_and_keeps_plain_grey() -> None:
    assert opened(clean_image(encode(Image.new("LA", (8, 8), (100, 50)), "PNG"))).mode == "RGBA"
    assert opened(clean_image(encode(Image.new("L", (8, 8), 100), "JPEG"))).mode == "L"
    assert opened(clean_image(encode(Image.new("1", (8, 8), 1), "PNG"))).mode == "L"


def test_it_scales_16_bit_grey_down_instead_of_clipping_it() -> None:
    img = Image.new("I;16", (2, 1))
    img.putpixel((0, 0), 32768)
    img.putpixel((1, 0), 65535)

    out = opened(clean_image(encode(img, "PNG")))

    assert out.mode == "L"
    assert (out.getpixel((0, 0)), out.getpixel((1, 0))) == (128, 255)


def test_it_keeps_colours_of_a_photo_tagged_srgb_and_drops_the_profile() -> None:
    raw = encode(two_colour(), "PNG", icc_profile=srgb_profile())

    img = opened(clean_image(raw))

    assert "icc_profile" not in img.info
    assert close(img.getpixel((5, 5)), (255, 0, 0), tolerance=2)


@pytest.mark.parametrize(("fmt", "mode"), [("JPEG", "RGB"), ("PNG", "RGBA"), ("WEBP", "RGB")])
def test_it_converts_colours_to_srgb_before_dropping_the_profile(fmt: str, mode: str) -> None:
    img = Image.new(mode, (16, 16), (255, 0, 0, 128) if mode == "RGBA" else (255, 0, 0))
    raw = encode(img, fmt, icc_profile=swapped_primaries_profile())

    out = opened(clean_image(raw))

    assert "icc_profile" not in out.info
    assert close(out.getpixel((8, 8))[:3], (0, 0, 255))
    if mode == "RGBA":
        assert out.getpixel((8, 8))[3] == 128


def test_it_accepts_a_photo_whose_colour_profile_is_garbage() -> None:
    raw = encode(two_colour(), "JPEG", icc_profile=b"not a profile" * 20)

    img = opened(clean_image(raw))

    assert "icc_profile" not in img.info
    assert close(img.getpixel((5, 5)), (255, 0, 0))


def test_it_stores_the_first_frame_of_an_animated_webp() -> None:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ("red", "blue")]
    raw = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)

    img = opened(clean_image(raw))

    assert getattr(img, "n_frames", 1) == 1
    assert close(img.getpixel((5, 5)), (255, 0, 0))


# --- Result ------------------------------------------------------------------------------------------------


def test_it_makes_a_jpeg_thumbnail_no_longer_than_the_setting(settings: Settings) -> None:
    raw = encode(noisy((1200, 300)), "PNG")

    clean = clean_image(raw)
    thumb = Image.open(io.BytesIO(clean.thumbnail))
    assert thumb.format == "JPEG" and thumb.size == (480, 120)

    settings.CASE_PHOTO_THUMB_PX = 100
    assert Image.open(io.BytesIO(clean_image(raw).thumbnail)).size == (100, 25)


def test_it_never_enlarges_a_small_photo_for_its_thumbnail() -> None:
    clean = clean_image(encode(two_colour((40, 20)), "JPEG"))

    assert Image.open(io.BytesIO(clean.thumbnail)).size == (40, 20)


def test_it_puts_a_transparent_photo_on_white_for_its_thumbnail() -> None:
    img = Image.new("RGBA", (600, 600), (0, 0, 0, 0))

    clean = clean_image(encode(img, "PNG"))

    thumb = Image.open(io.BytesIO(clean.thumbnail))
    assert thumb.mode == "RGB" and close(thumb.getpixel((10, 10)), (255, 255, 255))


def test_it_reports_size_and_checksum_of_what_it_stores() -> None:
    clean = clean_image(encode(noisy((64, 48)), "WEBP"))

    assert (clean.width, clean.height) == (64, 48)
    assert clean.sha256 == hashlib.sha256(clean.content).hexdigest()


# --- Any bytes at all ---------------------------------------------------------------------------------------


def valid_samples() -> list[bytes]:
    photo = noisy((48, 32))
    return [
        encode(photo, "JPEG", exif=phone_exif(orientation=6)),
        encode(photo, "JPEG", progressive=True),
        encode(photo, "PNG", exif=phone_exif(orientation=3)),
        encode(photo.convert("P"), "PNG"),
        encode(photo, "WEBP", exif=phone_exif(orientation=8)),
        encode(photo.convert("RGBA"), "WEBP", lossless=True),
    ]


SAMPLES = valid_samples()


def survives(data: bytes) -> None:
    """Any input ends in a CleanImage or an ImageError with a known code, nothing else."""
    try:
        result = clean_image(data)
    except ImageError as error:
        assert error.code in {"empty", "too_large", "unsupported_type", "too_many_pixels", "corrupt"}
        assert error.message
    else:
        assert Image.open(io.BytesIO(result.content)).format in {"JPEG", "PNG", "WEBP"}


# Pillow warns (UserWarning) about the damaged EXIF it skips; that is not a failure.
skips_exif_warnings = pytest.mark.filterwarnings("ignore::UserWarning")
FUZZ = hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@skips_exif_warnings
@FUZZ
@given(st.binary(max_size=4096))
def test_any_bytes_give_a_clean_image_or_an_image_error(data: bytes) -> None:
    survives(data)


SIGNATURES = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBPVP8 ", b"RIFF\0\0\0\0WEBPVP8X"]


@skips_exif_warnings
@FUZZ
@given(st.sampled_from(SIGNATURES), st.binary(max_size=4096))
def test_any_bytes_behind_a_photo_signature_give_a_clean_image_or_an_image_error(
    signature: bytes, rest: bytes
) -> None:
    survives(signature + rest)


@skips_exif_warnings
@FUZZ
@given(st.sampled_from(SAMPLES), st.floats(min_value=0, max_value=1))
def test_a_truncated_photo_gives_a_clean_image_or_an_image_error(sample: bytes, fraction: float) -> None:
    survives(sample[: int(len(sample) * fraction)])


@skips_exif_warnings
@FUZZ
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.floats(min_value=0, max_value=1), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_a_photo_with_damaged_bytes_gives_a_clean_image_or_an_image_error(
    sample: bytes, damage: list[tuple[float, int]]
) -> None:
    raw = bytearray(sample)
    for where, value in damage:
        raw[min(int(where * len(raw)), len(raw) - 1)] = value
    survives(bytes(raw))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_it_turns_every_exif_orientation_the_way_pillow_does(orientation: int) -> None:
    raw = encode(noisy((12, 7)), "PNG", exif=phone_exif(orientation=orientation))
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(raw)))

    img = opened(clean_image(raw))

    assert img.size == expected.size
    assert img.tobytes() == expected.tobytes()


# --- Progressive JPEG scan bombs ----------------------------------------------------------------------------


def repeated_last_scan(img: Image.Image, times: int) -> bytes:
    """A progressive JPEG whose last refinement scan is repeated: tiny, but every scan is a full pass."""
    raw = encode(img, "JPEG", progressive=True)
    last_scan = raw[raw.rindex(b"\xff\xda") : -2]  # up to EOI
    return raw[:-2] + last_scan * times + b"\xff\xd9"


def test_it_refuses_a_progressive_jpeg_with_thousands_of_scans_without_decoding_them() -> None:
    bomb = repeated_last_scan(Image.new("RGB", (4000, 3000), (120, 130, 140)), 5000)
    assert len(bomb) < 300_000  # about half a minute of decoding
    start = time.perf_counter()

    error = refusal(bomb)

    assert time.perf_counter() - start < 1.0
    assert error.code == "corrupt"


def test_it_accepts_progressive_jpegs_with_a_usual_number_of_scans() -> None:
    assert clean_image(repeated_last_scan(noisy(), 50)).width == 64
    assert refusal(repeated_last_scan(noisy(), 100)).code == "corrupt"  # 10 scans + 100 repeats


def test_it_ignores_what_a_phone_appends_after_the_picture() -> None:
    # Motion photos append a video after the JPEG's end; its bytes may look like any marker.
    raw = encode(noisy(), "JPEG", progressive=True) + b"ftypmp42" + b"\xff\xda\x00\x02" * 500

    clean = clean_image(raw)

    assert b"ftypmp42" not in clean.content and clean.width == 64
