"""How the commands read input files: UTF-16 with its byte-order mark, UTF-8 (a byte-order mark allowed), else
Windows-1252, said on stderr; the same order as the browser's and the API's uploads (`logic.common.text_of`).

Files other systems export are often not UTF-8: a German registry's "Müller" or a restaurant guide's "Café"
written by a spreadsheet in Windows-1252 (Latin-1 plus curly quotes and dashes). Such a file is read in
that encoding, with a note naming the first byte UTF-8 could not read, rather than refused with a
traceback; `--encoding` names the file's encoding outright.
"""

from __future__ import annotations

import codecs
import gzip
import sys
from typing import IO, BinaryIO

from ..logic.common import TEXT_ENCODINGS, UTF16_BOMS

#: Read whole, 1 MiB at a time, to tell the encoding before the first line is used.
_CHUNK = 1 << 20

#: Tried after UTF-8, in this order (as uploads are read: `logic.common.TEXT_ENCODINGS`).
FALLBACKS = TEXT_ENCODINGS[1:]


#: How a gzip file begins (RFC 1952): such a file is read decompressed, whatever its name.
GZIP_MAGIC = b"\x1f\x8b"


def _compressed(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def _open_bytes(path: str) -> BinaryIO:
    """`path`'s bytes, decompressed when it is a gzip file (`people.csv.gz`, as public data sets ship)."""
    if _compressed(path):
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]  # a GzipFile reads as a BinaryIO does
    return open(path, "rb")


def _reads(path: str, encoding: str) -> int | None:
    """None when `encoding` reads the whole file, else the offset of the first byte it cannot."""
    decoder = codecs.getincrementaldecoder(encoding)()
    done = 0
    with _open_bytes(path) as f:
        while chunk := f.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return done + exc.start
            done += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return done + exc.start
    return None


def encoding_of(path: str, given: str | None = None) -> str:
    """The encoding to read `path` in: `given` when named, else "utf-8-sig" when it reads the whole file, else
    the first of FALLBACKS that does (with a note on stderr)."""
    if given:
        return given
    with _open_bytes(path) as f:
        if f.read(2) in UTF16_BOMS and _reads(path, "utf-16") is None:
            return "utf-16"
    bad = _reads(path, "utf-8-sig")
    if bad is None:
        return "utf-8-sig"
    for encoding in FALLBACKS:
        if _reads(path, encoding) is None:
            print(f"note: {path} is not UTF-8 (byte {bad} is not); read as {encoding} "
                  "(--encoding names another)", file=sys.stderr)
            return encoding
    return "latin-1"  # reads any byte; not reached


def add_encoding(parser) -> None:
    """The `--encoding` option of a command that reads an input file."""
    parser.add_argument("--encoding", help="the input file's encoding, e.g. latin-1 (default: UTF-8, else "
                                           "Windows-1252, said on stderr)")


def open_text(path: str, encoding: str) -> IO[str]:
    """`path` opened for reading in `encoding` (`encoding_of`), lines as written (newline=""); a gzip file
    decompressed."""
    if _compressed(path):
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return open(path, encoding=encoding, newline="")
