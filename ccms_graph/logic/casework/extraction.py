"""The text of an attachment: extracted from PDFs (pypdf) and Word files (python-docx), OCR'd from images
and scanned PDFs (Debian's tesseract-ocr through pytesseract, pages rasterised by pypdfium2).

Runs in the background (`logic.jobs.extraction`), one attachment per job. The text goes into the
Attachment node's `text` (which the search's full-text index reads), with `extraction_status`
(pending, done, failed) and, on failure, `extraction_error`: a sentence saying why. A failed extraction
never touches the upload itself.

Why pypdfium2 for rasterising rather than pdf2image: pdf2image shells out to poppler's `pdftoppm`, a
second system package; pypdfium2 ships PDFium in its wheel. A PDF page with a text layer is read as
text; a page with almost none (a scan) is OCR'd.
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pypdf
import pypdfium2
import pytesseract
from PIL import Image, UnidentifiedImageError

from ...db import Graph
from ...errors import NotFound
from .attachments import TEXT_TYPES

STATUSES = ("pending", "done", "failed")
#: Characters of text kept per attachment (a search index is not an archive: the bytes are kept whole).
MAX_TEXT = 1_000_000
#: Pages of a PDF read (text or OCR) at most.
MAX_PAGES = 200
#: A PDF page with fewer characters of text than this is treated as a scan and OCR'd.
SCANNED_BELOW = 20
#: Rendering scale for OCR (72 dpi x 3 = 216 dpi: what tesseract reads body text well at).
OCR_SCALE = 3
#: Seconds tesseract may spend on one image.
OCR_TIMEOUT = 120

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class ExtractionFailed(Exception):
    """The file's text could not be read; the message says why, for the document page."""


def _ocr(image: Image.Image) -> str:
    try:
        return pytesseract.image_to_string(image, lang="eng", timeout=OCR_TIMEOUT)
    except pytesseract.TesseractNotFoundError as exc:
        raise ExtractionFailed("OCR is not available: tesseract-ocr is not installed on this server") from exc
    except RuntimeError as exc:  # pytesseract's timeout
        raise ExtractionFailed(f"OCR gave up after {OCR_TIMEOUT} seconds") from exc


def _pdf(data: bytes) -> str:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionFailed("the PDF is encrypted")
        if len(reader.pages) == 0:
            raise ExtractionFailed("the PDF has no readable pages (is it damaged or cut short?)")
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PAGES]]
    except pypdf.errors.PyPdfError as exc:
        raise ExtractionFailed(f"the PDF could not be read ({exc})") from exc
    scanned = [i for i, text in enumerate(pages) if len(text.strip()) < SCANNED_BELOW]
    if scanned:
        try:
            pdf = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            raise ExtractionFailed(f"the PDF's pages could not be rendered for OCR ({exc})") from exc
        try:
            for i in scanned:
                pages[i] = (pages[i] + "\n" + _ocr(pdf[i].render(scale=OCR_SCALE).to_pil())).strip()
        finally:
            pdf.close()
    return "\n\n".join(p.strip() for p in pages if p.strip())


def _docx(data: bytes) -> str:
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zipfile, KeyError and lxml errors for a broken file
        raise ExtractionFailed(f"the Word file could not be read ({type(exc).__name__})") from exc
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(p for p in parts if p.strip())


def _image(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return _ocr(img.convert("RGB") if img.mode not in ("RGB", "L") else img)
    except (UnidentifiedImageError, OSError) as exc:
        raise ExtractionFailed(f"the image could not be read ({exc})") from exc


def extract_text(data: bytes, content_type: str) -> str | None:
    """The text of a file of `content_type`; None for a type that holds no text we read (audio, video,
    spreadsheets); ExtractionFailed saying why when the file should hold text and could not be read."""
    if content_type == "application/pdf":
        text = _pdf(data)
    elif content_type == DOCX:
        text = _docx(data)
    elif content_type.startswith("image/"):
        text = _image(data)
    elif content_type in TEXT_TYPES:
        text = data.decode("utf-8", errors="replace")
    else:
        return None
    return text[:MAX_TEXT]


_SET = """
MATCH (a:Attachment {uid: $uid})
SET a.text = $text, a.extraction_status = $status, a.extraction_error = $error, a.extracted_at = datetime()
RETURN a.uid AS uid
"""


def set_extracted_text(tx, attachment_uid: str, text: str | None, status: str = "done",
                       error: str | None = None) -> None:
    """Record an attachment's extracted text (`text`, which search indexes) and how extraction went;
    NotFound if there is no such attachment. The search tests use it to give an attachment its text."""
    if status not in STATUSES:
        raise ValueError(f"unknown extraction status {status!r}")
    if tx.run(_SET, uid=attachment_uid, text=text, status=status, error=error).single() is None:
        raise NotFound(f"no attachment {attachment_uid}")


_ATTACHMENT = "MATCH (a:Attachment {uid: $uid}) RETURN a.sha256 AS sha256, a.content_type AS content_type"


def extract_attachment(graph: Graph, attachment_uid: str, store: Path) -> dict:
    """Read one attachment's bytes from the file store, extract its text and record it (done or failed, with
    why); the outcome, for the job's record. The bytes are only read."""
    rows = graph.query(_ATTACHMENT, {"uid": attachment_uid})
    if not rows:
        raise NotFound(f"no attachment {attachment_uid}")
    sha, ctype = rows[0]["sha256"], rows[0]["content_type"]
    path = store / sha[:2] / sha
    try:
        if not path.exists():
            raise ExtractionFailed("the file's bytes are missing from the file store")
        text = extract_text(path.read_bytes(), ctype)
    except ExtractionFailed as exc:
        return _failed(graph, attachment_uid, str(exc))
    except Exception as exc:  # a library choking on a malformed file: the job says so, the upload stays
        return _failed(graph, attachment_uid, f"the file's text could not be read ({type(exc).__name__})")
    if text is None:
        graph.write(set_extracted_text, attachment_uid, None, "done", None)
        return {"status": "done", "characters": 0, "note": f"{ctype} holds no text to extract"}
    graph.write(set_extracted_text, attachment_uid, text, "done", None)
    return {"status": "done", "characters": len(text)}


def _failed(graph: Graph, attachment_uid: str, why: str) -> dict:
    graph.write(set_extracted_text, attachment_uid, None, "failed", why)
    return {"status": "failed", "error": why}
