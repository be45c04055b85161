"""Typesetting the printable case file: a PDF made with fpdf2 from the content `case_file` gathered.

Pure: it reads no database and decides no access. Everything it is given is already what the reader
may read; it prints exactly that. fpdf2 is pure Python (with Pillow and fontTools from PyPI), so a fresh
clone needs no system package. Text is set in DejaVu Sans when Debian's fonts-dejavu-core is installed
(Latin, Greek, Cyrillic, Arabic, Hebrew and more); without it the PDF falls back to the core Helvetica,
which holds only Latin-1. A character the font cannot draw (a Chinese name in DejaVu, a Polish one in
Helvetica) prints as its code point, "[U+738B]", never silently dropped: a name in a case file must not
lose letters unnoticed.

The link chart is drawn with the PDF's own vector primitives: the case's subjects on an inner circle,
the records they link to on an outer one, a line per link. No image library and no layout engine: the
chart is a picture of the lists printed before it, not a second source of truth.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

#: Where Debian's fonts-dejavu-core puts its fonts; the first folder holding all three is used.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "mono": "DejaVuSansMono.ttf"}
#: The marking printed at the top of every page.
MARKING = "LAW ENFORCEMENT SENSITIVE - contains case information; do not copy or pass on"
#: At most this many records are drawn in the link chart (the lists carry every link).
CHART_NODES = 60
#: Fill colours of the chart's dots by record type (RGB); anything else is grey.
_COLOURS = {"Person": (52, 101, 164), "Business": (115, 210, 22), "Vehicle": (245, 121, 0),
            "Vessel": (6, 152, 154), "Aircraft": (117, 80, 123), "Thing": (193, 125, 17),
            "Case": (204, 0, 0)}


def _font_dir(dirs: Iterable[Path] = FONT_DIRS) -> Path | None:
    return next((d for d in dirs if all((d / f).is_file() for f in _FONT_FILES.values())), None)


class _Document(FPDF):
    """A4 pages with the marking on top and, below, who printed the file, its export id and the page number."""

    def __init__(self, footer_text: str, font_dir: Path | None):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        #: The code points the body font draws (None: Latin-1, the core font's).
        self.drawable: frozenset[int] | None = None
        if font_dir is not None:
            with TTFont(str(font_dir / _FONT_FILES[""]), lazy=True) as font:
                self.drawable = frozenset(font.getBestCmap())
            self.add_font("Body", "", str(font_dir / _FONT_FILES[""]))
            self.add_font("Body", "B", str(font_dir / _FONT_FILES["B"]))
            self.add_font("Mono", "", str(font_dir / _FONT_FILES["mono"]))
            self.body, self.mono = "Body", "Mono"
        else:
            self.body, self.mono = "Helvetica", "Courier"
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 18, 15)

    def clean(self, value) -> str:
        """Text as the font can print it: control characters dropped (newlines kept, tabs as spaces), and a
        character the font cannot draw as its code point, e.g. "[U+738B]"."""
        out = []
        for ch in "" if value is None else str(value):
            if ch in "\n\t":
                out.append(" " if ch == "\t" else ch)
            elif unicodedata.category(ch)[0] == "C":
                continue
            elif self.draws(ch):
                out.append(ch)
            else:
                out.append(f"[U+{ord(ch):04X}]")
        return "".join(out)

    def draws(self, ch: str) -> bool:
        return ord(ch) < 256 if self.drawable is None else (ord(ch) in self.drawable or ch == " ")

    def header(self) -> None:
        self.set_font(self.body, "B", 7)
        self.set_text_color(150, 0, 0)
        self.cell(0, 4, self.clean(MARKING), align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.body, "", 7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 4, self.clean(f"{self.footer_text} - page {self.page_no()}/{{nb}}"), align="C")
        self.set_text_color(0, 0, 0)

    # -- building blocks -------------------------------------------------------------------------

    def heading(self, text: str, level: int = 1) -> None:
        if level == 1 and self.get_y() > 240:
            self.add_page()
        self.ln(3 if level == 1 else 1)
        self.set_font(self.body, "B", 13 if level == 1 else 10.5)
        self.multi_cell(0, 6 if level == 1 else 5, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        if level == 1:
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(1.5)

    def para(self, text, size: float = 9.5, mono: bool = False) -> None:
        self.set_font(self.mono if mono else self.body, "", size)
        self.multi_cell(0, 4.6, self.clean(text), new_x="LMARGIN", new_y="NEXT")

    def facts(self, rows: Iterable[tuple[str, object]]) -> None:
        """Label and value pairs, one a line; empty values are left out."""
        for label, value in rows:
            if value in (None, "", [], ()):
                continue
            if isinstance(value, (list, tuple)):
                value = "; ".join(str(v) for v in value)
            self.set_font(self.body, "B", 9)
            self.cell(45, 4.6, self.clean(label))
            self.set_font(self.body, "", 9)
            self.multi_cell(0, 4.6, self.clean(value), new_x="LMARGIN", new_y="NEXT")

    def note(self, text: str) -> None:
        self.set_text_color(90, 90, 90)
        self.para(text, size=8.5)
        self.set_text_color(0, 0, 0)


def _when(value) -> str:
    """An ISO timestamp as "2026-11-30 12:04 UTC" (dates stay dates)."""
    if not value:
        return ""
    text = str(value)
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if len(text) <= 10:
        return text
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at.tzinfo else at.strftime("%Y-%m-%d %H:%M")


def render(content: dict, *, font_dirs: Iterable[Path] = FONT_DIRS) -> bytes:
    """The case file as PDF bytes. `content` is what `case_file.gather` answers."""
    case = content["case"]
    font_dir = _font_dir(font_dirs)
    pdf = _Document(f"{case['case_number']} - printed by {content['printed_by']} on "
                    f"{_when(content['printed_at'])} - export {content['export_id']}", font_dir)
    pdf.set_title(pdf.clean(f"Case file {case['case_number']}"))
    pdf.set_author(pdf.clean(content["printed_by"]))
    pdf.set_creator("CCMS-Graph")
    pdf.add_page()
    pdf.set_font(pdf.body, "B", 16)
    pdf.multi_cell(0, 8, pdf.clean(f"Case file {case['case_number']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.body, "", 12)
    pdf.multi_cell(0, 6, pdf.clean(case["title"]), new_x="LMARGIN", new_y="NEXT")
    if font_dir is None:
        pdf.note("The Unicode font (Debian's fonts-dejavu-core) is not installed: characters outside Latin-1 "
                 "print as their code points, e.g. [U+0141]. The records themselves are unchanged.")
    pdf.note(content["scope_note"])
    _summary(pdf, content)
    _lifecycle(pdf, content)
    _contents(pdf, content)
    _chart(pdf, content)
    return bytes(pdf.output())


def _summary(pdf: _Document, content: dict) -> None:
    case = content["case"]
    pdf.heading("1. Summary")
    pdf.facts([("Case number", case["case_number"]), ("Title", case["title"]), ("Status", case["status"]),
               ("Office", case["office_code"]), ("Violations", case["violations"]),
               ("Restricted", "yes: team and supervisors only" if case["restricted"] else "no"),
               ("Owner", case["owner"]), ("Team", case["team"]), ("Predication", case["predication"])])


def _lifecycle(pdf: _Document, content: dict) -> None:
    case = content["case"]
    pdf.heading("2. Lifecycle and approvals")
    pdf.facts([("Requested", _when(case["created_at"])), ("Opened", _when(case["opened_at"])),
               ("Referred", _when(case["referred_at"])), ("Closed", _when(case["closed_at"])),
               ("Close reason", case["close_reason"]), ("Last review", _when(case["last_reviewed_at"]))])
    if not content["approvals"]:
        pdf.note("No approval requests were filed on this case.")
    for r in content["approvals"]:
        pdf.heading(f"{r['kind']}: {r['status']}", level=2)
        pdf.facts([("Requested", f"{_when(r['requested_at'])} by {r['requested_by']}"), ("Comment", r["comment"]),
                   ("Decided", f"{_when(r['decided_at'])} by {r['decided_by']}" if r["decided_at"] else ""),
                   ("Decision comment", r["decision_comment"])])


def _section(pdf: _Document, title: str, items: list, empty: str, each: Callable[[_Document, dict], None],
             lead: str = "") -> None:
    """A numbered section: its heading with the count, a leading note, each item, or a line saying there is none."""
    pdf.heading(f"{title} ({len(items)})")
    if lead:
        pdf.note(lead)
    if not items:
        pdf.note(empty)
    for item in items:
        each(pdf, item)


def _subject(pdf: _Document, s: dict) -> None:
    pdf.heading(f"{s['caption']} ({s['type']})", level=2)
    pdf.facts(s["fields"])
    for link in s["links"]:
        pdf.para(f"- {link['label']} {link['other']} ({link['other_type']})", size=9)
    if s["withheld_links"]:
        pdf.note(f"{s['withheld_links']} link(s) to records you may not read are withheld.")


def _document(pdf: _Document, d: dict) -> None:
    pdf.heading(f"{d['caption']} ({d['type_label']})", level=2)
    pdf.facts([*d["fields"], ("Status", d["status"]), ("Filed", _when(d["created_at"])),
               ("Approved", f"{_when(d['approved_at'])} by {d['approved_by']}" if d["approved_at"] else "")])
    if d["narrative"]:
        pdf.para(d["narrative"])


def _attachments(pdf: _Document, content: dict) -> None:
    files = [(d, a) for d in [*content["reports"], *content["evidence"]] for a in d["attachments"]]
    pdf.heading(f"Attachments ({len(files)}), with the SHA-256 of their bytes", level=2)
    for d, a in files:
        pdf.facts([("File", f"{a['filename']} ({a.get('content_type')}, {a.get('size')} bytes)"),
                   ("Of", d["caption"]), ("Uploaded", _when(a.get("uploaded_at")))])
        pdf.para(f"sha256 {a['sha256']}", size=8, mono=True)
        pdf.ln(1)


def _disclosure(pdf: _Document, d: dict) -> None:
    pdf.heading(f"{d.get('disclosed_on')} to {d.get('recipient_agency')}", level=2)
    pdf.facts([(label, d.get(key)) for label, key in (
        ("Nature", "nature"), ("Description", "description"), ("Purpose", "purpose"),
        ("Recipient", "recipient_name"), ("Address", "recipient_address"), ("Authority", "authority"),
        ("Method", "method"), ("Disclosed by", "disclosed_by"), ("Subjects covered", "subjects"))])


def _contents(pdf: _Document, content: dict) -> None:
    """Sections 3 to 6: subjects, reports, evidence with the attachments' hashes, disclosures."""
    _section(pdf, "3. Subjects", content["subjects"], "The case has no subjects.", _subject)
    _section(pdf, "4. Reports of Investigation (approved) and incident reports", content["reports"],
             "No approved report and no incident report.", _document,
             lead="Reports of Investigation appear only once a supervisor has approved them; drafts, submitted "
                  "and returned reports are never printed.")
    _section(pdf, "5. Evidence", content["evidence"], "No evidence is filed.", _document)
    _attachments(pdf, content)
    _section(pdf, "6. Disclosures", content["disclosures"], "No disclosure is recorded.", _disclosure)


def _chart(pdf: _Document, content: dict) -> None:
    chart = content["chart"]
    pdf.add_page()
    pdf.heading("7. Link chart")
    nodes = chart["nodes"][:CHART_NODES]
    if len(chart["nodes"]) > CHART_NODES:
        pdf.note(f"{len(chart['nodes']) - CHART_NODES} more linked records are not drawn; section 3 lists them.")
    if chart["withheld"]:
        pdf.note(f"{chart['withheld']} link(s) to records you may not read are not drawn.")
    if not nodes:
        pdf.note("Nothing to draw: the case has no subjects.")
        return
    cx, cy = pdf.w / 2, pdf.get_y() + 95
    inner = [n for n in nodes if n["subject"]]
    outer = [n for n in nodes if not n["subject"]]
    at: dict[str, tuple[float, float]] = {}
    for ring, radius in ((inner, 38 if outer else 60), (outer, 80)):
        for i, n in enumerate(ring):
            angle = 2 * math.pi * i / max(len(ring), 1) - math.pi / 2
            at[n["id"]] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.3)
    for a, b, _ in chart["edges"]:
        if a in at and b in at:
            pdf.line(*at[a], *at[b])
    pdf.set_draw_color(0, 0, 0)
    for n in nodes:
        x, y = at[n["id"]]
        pdf.set_fill_color(*_COLOURS.get(n["type"], (136, 138, 133)))
        r = 2.6 if n["subject"] else 1.8
        pdf.ellipse(x - r, y - r, 2 * r, 2 * r, style="DF")
        pdf.set_font(pdf.body, "B" if n["subject"] else "", 7)
        label = pdf.clean(n["caption"])[:32]
        left = x < cx - 1
        width = pdf.get_string_width(label)
        pdf.text(x - r - 1 - width if left else x + r + 1, y + 1, label)
    pdf.set_y(cy + 92)
    pdf.set_font(pdf.body, "", 7.5)
    pdf.multi_cell(0, 4, pdf.clean("Inner circle: the case's subjects (bold). Outer circle: the records they "
                                   "link to; lines are links. Dots are coloured by record type."), new_x="LMARGIN", new_y="NEXT")
