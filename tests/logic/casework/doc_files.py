"""Real files for the document tests: a PDF with a text layer, a scanned page, a PNG with words on it, a Word file."""

from __future__ import annotations

import io

import docx
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont


def text_pdf(text: str = "Ledger of the Marlin shipment") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    return bytes(pdf.output())


def _words_image(words: str) -> Image.Image:
    img = Image.new("RGB", (1400, 260), "white")
    ImageDraw.Draw(img).text((40, 80), words, fill="black", font=ImageFont.load_default(size=72))
    return img


def words_png(words: str = "MANIFEST ZANZIBAR 4471") -> bytes:
    """A PNG showing `words` in large type: what OCR must read back."""
    out = io.BytesIO()
    _words_image(words).save(out, "PNG")
    return out.getvalue()


def scanned_pdf(words: str = "CUSTODY KESTREL 9902") -> bytes:
    """A PDF holding only a picture of `words` (no text layer): a scan."""
    out = io.BytesIO()
    _words_image(words).save(out, "PDF")
    return out.getvalue()


def word_docx(text: str = "Harbour pilot statement") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def photo_jpeg() -> bytes:
    """A small portrait: a pale face on a blue ground, so it stands out as a node's picture."""
    img = Image.new("RGB", (96, 120), (40, 90, 160))
    draw = ImageDraw.Draw(img)
    draw.ellipse((22, 18, 74, 82), fill=(236, 200, 170))
    draw.rectangle((14, 88, 82, 120), fill=(30, 30, 30))
    out = io.BytesIO()
    img.save(out, "JPEG")
    return out.getvalue()


#: A tiny ELF header, a PE stub and a shell script: executables under any name.
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 56
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 56
SCRIPT = b"#!/bin/sh\nrm -rf /\n"
