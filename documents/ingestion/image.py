"""JPEG and PNG images: validated with Pillow, bounded, previewed."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from documents.ingestion import _preview
from documents.ingestion.errors import Refused
from documents.ingestion.limits import Limits
from documents.ingestion.parsed import Parsed

_FORMATS = {"jpeg": "JPEG", "png": "PNG"}


def parse_image(data: bytes, kind: str, limits: Limits) -> Parsed:
    """Check a JPEG or PNG image and make its preview; the text is empty.

    The declared dimensions are checked against ``limits`` before any pixel
    is decoded; Pillow's own bomb guard (``Image.MAX_IMAGE_PIXELS``, left at
    its default) is caught too. The image is then verified and fully decoded,
    so a truncated or corrupt file is refused (``image_invalid``).
    """
    return Parsed(preview_png=image_preview(data, kind, limits))


def image_preview(data: bytes, kind: str, limits: Limits) -> bytes:
    """Validate the image and return its PNG preview (at most 800 px a side)."""
    pillow_format = _FORMATS[kind]
    try:
        with (
            _preview.strict_decoding(),
            Image.open(io.BytesIO(data), formats=[pillow_format]) as image,
        ):
            _preview.check_dimensions(*image.size, limits)
            image.verify()
        with (
            _preview.strict_decoding(),
            Image.open(io.BytesIO(data), formats=[pillow_format]) as image,
        ):
            _preview.check_dimensions(*image.size, limits)
            if pillow_format == "JPEG":
                # Let libjpeg decode at a reduced scale: far faster for photos.
                image.draft(None, (_preview.PREVIEW_MAX_SIDE, _preview.PREVIEW_MAX_SIDE))
            image.load()
            return _preview.encode_png_compact(_preview.fit(_upright(image)))
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Refused(
            "image_too_large",
            f"L'image est trop grande pour être ouverte sans risque ({error}).",
        ) from error
    except MemoryError:
        raise
    except Exception as error:
        raise Refused(
            "image_invalid",
            f"L'image {pillow_format} est illisible ou tronquée ({type(error).__name__} : "
            f"{str(error)[:200]}).",
        ) from error


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says; as is if the EXIF is unreadable."""
    try:
        return ImageOps.exif_transpose(image) or image
    except Exception:
        return image
