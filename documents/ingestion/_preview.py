"""Preview images: bounded size, 8-bit modes, PNG encoded in memory."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

from PIL import Image, ImageChops, ImageFile

from documents.ingestion.errors import Refused
from documents.ingestion.limits import Limits

PREVIEW_MAX_SIDE = 800
# zlib level 1: a preview is a throw-away rendering, encoding time matters more than bytes.
PNG_COMPRESS_LEVEL = 1


def check_dimensions(width: int, height: int, limits: Limits, what: str = "L'image") -> None:
    """Refuse an image whose declared size passes ``limits``, before decoding it."""
    if width <= 0 or height <= 0:
        raise Refused("image_invalid", f"{what} a des dimensions nulles ({width}×{height}).")
    if width > limits.max_side or height > limits.max_side or width * height > limits.max_pixels:
        raise Refused(
            "image_too_large",
            f"{what} mesure {width}×{height} pixels : la limite est de {limits.max_side} pixels "
            f"de côté et {limits.max_pixels // 1_000_000} millions de pixels au total.",
        )


def to_display_mode(image: Image.Image) -> Image.Image:
    """The image in L, LA, RGB or RGBA, high bit depths stretched to 8 bits."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if mode in ("I", "F") or mode.startswith("I;16"):
        return stretch_to_8bit(image)
    if mode in ("P", "PA"):
        return image.convert("RGBA" if "transparency" in image.info or mode == "PA" else "RGB")
    if mode in ("La", "RGBa"):
        return image.convert(mode.upper())
    if mode == "1":
        return image.convert("L")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV


def stretch_to_8bit(image: Image.Image) -> Image.Image:
    """Map the value range of a single-channel image linearly onto 0-255."""
    if image.mode != "F":
        image = image.convert("I")
    low, high = image.getextrema()
    if not isinstance(low, int | float) or not isinstance(high, int | float) or high <= low:
        return Image.new("L", image.size, 0)
    scale = 255.0 / (high - low)
    offset = -low * scale
    # Pillow's point() on I and F images takes exactly this linear form.
    return image.point(lambda value: value * scale + offset).convert("L")


def fit(image: Image.Image, max_side: int = PREVIEW_MAX_SIDE) -> Image.Image:
    """The image shrunk (never enlarged) to fit ``max_side`` × ``max_side``."""
    image = to_display_mode(image)
    width, height = image.size
    if max(width, height) <= max_side:
        return image
    ratio = max_side / max(width, height)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes of ``image`` (already in a display mode), without metadata."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


_GREY_PALETTE = [level for value in range(256) for level in (value, value, value)]


def encode_png_compact(image: Image.Image) -> bytes:
    """PNG bytes of a rendered page as an 8-bit palette image.

    Palette PNGs skip the per-row filter search that makes RGB encoding slow
    (about three times faster for a page at 600 px). A page whose pixels are
    all grey (most letters) keeps its exact 256 grey levels; a page in colour
    is reduced to 256 colours (fast octree), plenty for a preview.
    """
    if image.mode in ("LA", "RGBA"):
        image = _on_white(image.convert("RGBA"))
    if image.mode == "RGB" and _is_grey(image):
        image = image.convert("L")
    if image.mode == "L":
        palette = Image.frombuffer("P", image.size, image.tobytes(), "raw", "P", 0, 1)
        palette.putpalette(_GREY_PALETTE)
        return encode_png(palette)
    if image.mode == "RGB":
        return encode_png(image.quantize(256, method=Image.Quantize.FASTOCTREE))
    return encode_png(to_display_mode(image))


def _on_white(image: Image.Image) -> Image.Image:
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def _is_grey(image: Image.Image) -> bool:
    red, green, blue = image.split()
    return (
        ImageChops.difference(red, green).getbbox() is None
        and ImageChops.difference(green, blue).getbbox() is None
    )


@contextlib.contextmanager
def strict_decoding() -> Iterator[None]:
    """Decode images strictly, whatever another library set process-wide.

    Importing WeasyPrint (the letters of the opt-out campaigns, in the same
    worker processes) sets ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True``,
    which would let a truncated upload through as a valid image.
    """
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
