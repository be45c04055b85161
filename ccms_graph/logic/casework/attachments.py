"""What an uploaded file is: its content type sniffed from its bytes, never taken from its name, and its thumbnail.

Pure functions: no database, no access decisions (`documents` stores and audits; this module only judges
bytes). The declared content type (the browser's guess, from the file's name) must be one we accept, and
the bytes must agree with it: a renamed executable (ELF, PE, Mach-O, a `#!` script) is refused naming the
file, whatever its name and declared type say. Where the bytes have no magic number (plain text, CSV,
JSON, XML, e-mail) the declared type stands only if the bytes are text.

Why `filetype` (pure Python, magic numbers of ~80 formats) rather than `python-magic` (libmagic through
ctypes): it needs no system library, so `pip install` is all a host needs, and the formats we accept are
all among its matchers. Executables are checked here by their own magic numbers first, so a format
`filetype` does not know cannot hide one.
"""

from __future__ import annotations

import io
import unicodedata

import filetype
from PIL import Image, UnidentifiedImageError

from ...errors import ValidationFailed

#: Content types an attachment may have: documents, images, audio, video, plain data.
CONTENT_TYPES = frozenset({
    "application/pdf", "text/plain", "text/csv", "application/json", "application/xml",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/rtf", "message/rfc822", "application/zip",
    "image/jpeg", "image/png", "image/gif", "image/tiff", "image/heic", "image/webp",
    "audio/mpeg", "audio/wav", "audio/mp4", "video/mp4", "video/quicktime",
})

#: Types whose bytes carry no magic number: accepted as declared when the bytes are text.
TEXT_TYPES = frozenset({"text/plain", "text/csv", "application/json", "application/xml", "message/rfc822"})

#: Images a person's photo may be (shown in the browser as they are).
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

#: Images and PDFs the browser shows inline (PDF in its viewer, images as <img>); all else downloads.
INLINE_TYPES = PHOTO_TYPES | {"application/pdf"}

#: What `filetype` calls a type -> the accepted type it is (the same format under another name).
_ALIASES = {
    "audio/x-wav": "audio/wav", "audio/x-m4a": "audio/mp4", "video/x-m4v": "video/mp4",
    "application/x-ole-storage": "application/msword", "text/rtf": "application/rtf",
}
#: Declared types that the sniffed type may stand for (an old Excel file is also an OLE container).
_SAME_FAMILY = {
    "application/msword": {"application/vnd.ms-excel"},
    "application/zip": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
}

#: Executable formats by their first bytes: refused under any name.
_EXECUTABLES = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows (PE) executable"),
    (b"\xfe\xed\xfa\xce", "a Mach-O executable"), (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"), (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O universal executable"),
    (b"#!", "a script"),
)

#: Longest side of a thumbnail, in pixels.
THUMBNAIL_PX = 320


def clean_filename(name: str) -> str:
    """A display-safe file name: no folders, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[:200]


def executable_kind(data: bytes) -> str | None:
    """What kind of executable these bytes are (by their magic number), or None."""
    head = bytes(data[:8])
    stripped = head.lstrip(b"\xef\xbb\xbf")  # a script may start with a UTF-8 byte-order mark
    for magic, kind in _EXECUTABLES:
        if head.startswith(magic) or stripped.startswith(magic):
            return kind
    return None


def _is_text(data: bytes) -> bool:
    if b"\0" in data[:65536]:
        return False
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the sample's end is still text
        return exc.start >= len(data[:65536]) - 3
    return True


def sniff(data: bytes) -> str | None:
    """The content type the bytes' magic number says (aliases folded), or None when they carry none."""
    kind = filetype.guess(bytes(data[:8192]))
    if kind is None:
        return None
    return _ALIASES.get(kind.mime, kind.mime)


def check(filename: str, content_type: str, data: bytes, limit: int, allowed: frozenset[str] = CONTENT_TYPES,
          field: str = "file") -> tuple[str, str]:
    """The upload's clean name and its content type, judged from its bytes; ValidationFailed naming the file.

    Refused: no name; empty; over `limit` bytes; a declared type we do not accept; an executable under any
    name; bytes whose magic number says another type than the declared one, or a type we do not accept;
    bytes with no magic number declared as anything but text, or declared as text and not text.
    """
    name = clean_filename(filename)
    label = name or "the file"
    errors: dict[str, list[str]] = {}
    if not name:
        errors["filename"] = ["give the file a name"]
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if not isinstance(data, bytes | bytearray) or not data:
        errors[field] = [f"{label} is empty"]
    elif len(data) > limit:
        errors[field] = [f"{label} is {len(data):,} bytes; the limit is {limit:,} bytes"]
    elif (kind := executable_kind(data)) is not None:
        errors[field] = [f"{label} is {kind}; executables and scripts are not accepted, whatever their name"]
    if declared not in allowed:
        errors["content_type"] = [f"{label}: {declared or 'no content type'} is not an accepted file type"]
    if errors:
        raise ValidationFailed(errors)
    sniffed = sniff(data)
    if sniffed is None:
        if declared in TEXT_TYPES and _is_text(bytes(data)):
            return name, declared
        raise ValidationFailed({field: [f"{label}: its content is not recognisably {declared}"]})
    if sniffed not in allowed:
        raise ValidationFailed({field: [f"{label}: its content is {sniffed}, which is not accepted"]})
    if sniffed != declared and sniffed not in _SAME_FAMILY.get(declared, ()) \
            and declared not in _SAME_FAMILY.get(sniffed, ()):
        raise ValidationFailed({field: [f"{label}: its content is {sniffed}, not {declared} as its name says"]})
    if sniffed in _DECODED and not _decodes(bytes(data)):  # a magic number on bytes that are not an image
        raise ValidationFailed({field: [f"{label}: its content is not a readable {sniffed} image"]})
    return name, sniffed


#: Images Pillow decodes: a magic number alone does not make one (HEIC needs a plugin we do not carry).
_DECODED = frozenset({"image/jpeg", "image/png", "image/gif", "image/tiff", "image/webp"})


def _decodes(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        return True
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False


def thumbnail(data: bytes) -> bytes | None:
    """A PNG at most THUMBNAIL_PX on its longest side, or None when the bytes are not an image Pillow reads."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            out = io.BytesIO()
            img.convert("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB").save(out, "PNG")
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
