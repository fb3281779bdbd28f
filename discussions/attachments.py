"""Files of a session: what an upload must be, and where its bytes go.

A PDF is a PDF when it starts with `%PDF-` and pypdf can open it and count its pages; a figure is
an image when Pillow can decode it, and what is stored is Pillow's re-encoding of its pixels, so
no EXIF block (a phone's GPS position, the camera's serial) reaches the archive. Nothing here
trusts a file's name or the type the browser sent.

The bytes go through Django's storage API (`default_storage`: a folder under MEDIA_ROOT, or an S3
bucket with django-storages), under a name made of their SHA-256, so the same file uploaded twice
is stored once (writes.attach() makes it one attachment too).
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader

# The group's papers are 1-10 MB (GPT-3's arXiv PDF: 6.6 MB); slides with figures can be more.
MAX_PDF_BYTES = 30 * 1024 * 1024
# A screenshot or a figure cut out of a paper: well under a megabyte as PNG.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
# 16 million pixels: a phone's 12-megapixel photo, a 4,000 × 4,000 figure. Beyond that an image is
# a decompression bomb (a few KB of PNG that decode to gigabytes), or a worker's memory spent on
# pixels no screen shows: a 4,000 × 4,000 PNG takes a worker ~70 MB more while it is re-encoded.
# Pillow warns above its own MAX_IMAGE_PIXELS (89 million) and refuses above twice that; this
# refuses earlier, from the header alone, before any pixel is decoded.
MAX_IMAGE_PIXELS = 16_000_000
# What is stored is at most this wide and high: a figure in a thread is shown at 700 px or so, and
# a sharp 2x screen needs no more; a bigger one costs seconds to encode for pixels nobody sees.
MAX_STORED_SIDE = 2560
# The multipart dress around a file, and a post's text beside a figure.
BODY_MARGIN = 256 * 1024
UPLOAD_BODY_BYTES = MAX_PDF_BYTES + BODY_MARGIN
# A post's form with a figure: the image, the text (20,000 characters of up to 4 bytes each), the rest.
POST_BODY_BYTES = MAX_IMAGE_BYTES + BODY_MARGIN + 80_000

# Re-encoded as what they were; anything else Pillow reads (BMP, TIFF, a GIF's first frame) as PNG.
IMAGE_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
PDF_TYPE = "application/pdf"


class Refused(ValueError):
    """A file that is not what it must be; the message says why, in the reader's language."""


@dataclass
class Checked:
    """An upload's bytes as they will be stored, and what they are."""

    data: bytes
    content_type: str
    extension: str
    original_name: str

    @property
    def sha256(self):
        return hashlib.sha256(self.data).hexdigest()


def read_upload(upload, limit):
    """An UploadedFile's bytes, refused from its size before it is read."""
    if upload.size > limit:
        raise Refused(
            _("%(name)s is %(size)s; a file here may hold %(limit)s.")
            % {"name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    return upload.read()


def check_pdf(data: bytes, name: str) -> Checked:
    if len(data) > MAX_PDF_BYTES:
        raise Refused(
            _("%(name)s is %(size)s; a file here may hold %(limit)s.")
            % {"name": name, "size": filesizeformat(len(data)), "limit": filesizeformat(MAX_PDF_BYTES)}
        )
    if not data.startswith(b"%PDF-"):
        raise Refused(_("%(name)s is not a PDF: it does not start as a PDF file does.") % {"name": name})
    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except Exception as error:  # pypdf raises many kinds on a broken file; each means "not readable"
        raise Refused(
            _("%(name)s is not a PDF that can be read: %(error)s") % {"name": name, "error": error}
        ) from error
    if not pages:
        raise Refused(_("%(name)s is a PDF without pages.") % {"name": name})
    return Checked(data, PDF_TYPE, "pdf", name)


def check_image(data: bytes, name: str) -> Checked:
    """Decode an image and re-encode its pixels: metadata (EXIF, GPS, comments) stays behind."""
    if len(data) > MAX_IMAGE_BYTES:
        raise Refused(
            _("%(name)s is %(size)s; a figure may hold %(limit)s.")
            % {"name": name, "size": filesizeformat(len(data)), "limit": filesizeformat(MAX_IMAGE_BYTES)}
        )
    bomb = _("%(name)s is too large an image: at most %(limit)s pixels.") % {
        "name": name,
        "limit": f"{MAX_IMAGE_PIXELS:,}",
    }
    unreadable = _("%(name)s is not an image that can be read.") % {"name": name}
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))  # reads the header only
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise Refused(bomb) from error
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
            raise Refused(unreadable) from error
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise Refused(bomb)
        try:
            # A JPEG decodes straight to a smaller scale (its DCT allows 1/2, 1/4, 1/8): less memory.
            image.draft(None, (MAX_STORED_SIDE, MAX_STORED_SIDE))
            image.load()
            source_format = image.format
            # A photo's EXIF says which way is up: apply it to the pixels before the EXIF goes.
            image = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise Refused(bomb) from error
        except (OSError, ValueError, SyntaxError, EOFError) as error:  # a truncated or corrupt file
            raise Refused(unreadable) from error
    content_type, extension = IMAGE_FORMATS.get(source_format, IMAGE_FORMATS["PNG"])
    save_as = source_format if source_format in IMAGE_FORMATS else "PNG"
    if save_as == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif save_as == "PNG" and image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        image = image.convert("RGBA")
    image.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE))  # only ever shrinks
    image.info = {}  # only pixels are written again: no EXIF, XMP, text chunks or comments
    out = io.BytesIO()
    options = {"quality": 90} if save_as in ("JPEG", "WEBP") else {}
    image.save(out, format=save_as, **options)
    return Checked(out.getvalue(), content_type, extension, name)


def storage_name(checked: Checked) -> str:
    digest = checked.sha256
    return f"attachments/{digest[:2]}/{digest}.{checked.extension}"


def store(checked: Checked) -> str:
    """Save the bytes unless the same bytes are stored already; returns their storage name."""
    name = storage_name(checked)
    if default_storage.exists(name):
        return name
    return default_storage.save(name, ContentFile(checked.data))
