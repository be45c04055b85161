"""Spreadsheet exports (CSV, TSV) read as the JSON lines an import takes: one object per row.

`ccms-graph import` and `deconflict`, and an upload in the browser, take a file named `.csv`,
`.tsv` or `.tab` as well as JSON Lines; a file of another ending (`.txt`, `.dat`, none) is a table
when its first line names columns rather than holding a JSON object (`_a_header`), and a `.gz` ending
is looked past (`people.csv.gz` is a table; the command line decompresses it, `cli/files.py`). Each row becomes the JSON object of its non-empty cells (a cell
holding only a missing-value mark such as `NA`, `N/A`, `NULL` or `NaN` is empty: `MISSING`),
keyed by the header (cells trimmed), so everything after is the JSON path's: other systems' column
names and letter case (`common.column_key`), numbers as text, one value for a list, refusals and
warnings naming the field. A `.csv` file may be separated by commas, semicolons, tabs or pipes: the
header line says which (the one it holds most of). A byte-order mark is ignored.

Line numbers stay the file's: the header is line 1, a row is numbered by the line it starts on, and
a quoted cell's line breaks count. A row with more cells than the header has columns is refused
whole (its cells cannot be told apart), naming how many, and so is a row whose quotes do not pair
up (`"ab"c`; a quote never closed refuses the rest of the file, never reads it as one cell); a
shorter row lacks only its last cells.
(Empty cells past the header's end, as spreadsheets write them, are no cells.) A header naming one
column twice, or none, refuses the file before anything is read.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from itertools import chain
from pathlib import PurePath

from ...errors import ValidationFailed
from ..common import column_key

#: File name endings read as tables, with their separator (None: the header line says).
TABULAR = {".csv": None, ".tsv": "\t", ".tab": "\t"}
_SEPARATORS = (",", ";", "\t", "|")
#: The key under which a row the reader could not take whole carries its reason (`lines.parse_line`
#: refuses such a line with it).
UNREADABLE = "_unreadable_row"


#: Cells that say "no value", as R, pandas, spreadsheets and databases export it: read as empty cells.
MISSING = frozenset({"NA", "N/A", "n/a", "#N/A", "<NA>", "NULL", "null", "NaN", "nan"})


#: File name endings read as JSON Lines whatever their first line holds.
JSON_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json", ".jsonlines"})
#: A compressed file's ending, looked past for the name's own (`people.csv.gz` is a table).
COMPRESSED = frozenset({".gz"})


def suffix_of(file_name: str | None) -> str:
    """The ending that says what a file holds, past a compressed one: ".csv" for "people.csv.gz"."""
    suffixes = [x.lower() for x in PurePath(file_name or "").suffixes]
    while suffixes and suffixes[-1] in COMPRESSED:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def is_tabular(file_name: str | None) -> bool:
    return suffix_of(file_name) in TABULAR


def json_lines(lines: Iterable[str], file_name: str | None,
               columns: Mapping[str, str | None] | None = None) -> Iterator[str]:
    """`lines` as an import reads them: a JSON Lines file as it is, a table as one JSON object per row
    (blank lines where the header and a row's continuation lines were, so each row keeps its number).

    `columns` (`column_map`: a column's key -> the name it is read as, or None to leave it out) renames
    a table's header, or each JSON line's keys; a table without a column it names is refused."""
    rows = iter(lines)
    first = next(rows, None)
    if first is None:
        return
    first = first.removeprefix("\ufeff")
    if not is_tabular(file_name) and not _a_header(first, file_name):
        rest = chain([first], rows)
        yield from (_renamed_line(line, columns) for line in rest) if columns else rest
        return
    sep = TABULAR.get(suffix_of(file_name)) or max(_SEPARATORS, key=first.count)
    reader = csv.reader(chain([first], rows), delimiter=sep, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ValidationFailed({"file": [f"the header is not readable: {exc}"]}) from None
    names: list[str | None] = _mapped(_header(header), columns) if columns else list(_header(header))
    yield ""
    line = reader.line_num
    while True:
        try:
            yield _row(names, next(reader))
        except StopIteration:
            return
        except csv.Error as exc:  # a quote closed mid-cell, or never closed (the rest of the file)
            yield json.dumps({UNREADABLE: f"not a readable row: {exc}"})
        yield from [""] * (reader.line_num - line - 1)  # the row's continuation lines keep their numbers
        line = reader.line_num


def _a_header(first: str, file_name: str | None) -> bool:
    """Whether a file of no table ending (`.txt`, `.dat`, none) is a table after all: its first line names
    columns, parted by one of `_SEPARATORS`, rather than holding a JSON object. A JSON Lines ending never is."""
    text = first.strip()
    return (suffix_of(file_name) not in JSON_SUFFIXES and bool(text) and not text.startswith(("{", "["))
            and any(sep in text for sep in _SEPARATORS))


def _row(columns: list[str | None], cells: list[str]) -> str:
    """One row as its JSON line: the object of its non-empty cells (a column mapped to None left out), ''
    for a blank row (skipped, as a blank line is), or a refusal when cells run past the header."""
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
        return json.dumps({UNREADABLE: f"{len(cells)} cells, the header has {len(columns)} columns"})
    filled = {name: cell.strip().replace("\r\n", "\n") for name, cell in zip(columns, cells, strict=False)
              if name is not None and cell.strip() and cell.strip() not in MISSING}
    return json.dumps(filled) if filled else ""


def _header(header: list[str]) -> list[str]:
    """The header's column names; an unnamed one is `column_<n>` (a value under it is dropped with a
    warning naming it, as any unknown column is)."""
    names = [h.strip() or f"column_{i}" for i, h in enumerate(header, start=1)]
    if not any(h.strip() for h in header):
        raise ValidationFailed({"file": ["the first line must name the columns"]})
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name in seen:
            raise ValidationFailed({"file": [f"the header names {name!r} twice (columns {seen[name]} and {i})"]})
        seen[name] = i
    return names


def column_map(pairs: Iterable[str], understood: Collection[str], type_name: str,
               examples: Iterable[str] = ()) -> dict[str, str | None]:
    """`--map THEIRS=OURS` options as {the file's column, as `column_key` spells it: the name it is read as,
    or None for THEIRS= (left out, without a warning)}. OURS must be a name a line of `type_name` is read
    by (`understood`, `lines.understood_columns`; a refusal names `examples` of them); each column is
    mapped once."""
    out: dict[str, str | None] = {}
    problems: list[str] = []
    for pair in pairs:
        theirs, sep, ours = pair.partition("=")
        key, field = column_key(theirs), column_key(ours)
        if not sep or not key:
            problems.append(f"{pair!r}: write COLUMN=FIELD (the file's column, then the field it holds), "
                            "or COLUMN= to leave the column out")
        elif key in out:
            problems.append(f"{pair!r}: the column {theirs.strip()!r} is mapped twice")
        elif field and field not in understood:
            named = ", ".join(list(examples)[:24] or sorted(understood)[:16])
            problems.append(f"{pair!r}: {ours.strip()!r} is no {type_name} field or column an import reads "
                            f"(for example {named})")
        else:
            out[key] = field or None
    if problems:
        raise ValidationFailed({"map": problems}, detail="--map: " + "; ".join(problems))
    return out


def _mapped(names: list[str], columns: Mapping[str, str | None]) -> list[str | None]:
    """A header's names as `columns` maps them (None: left out); refused when a mapped column is not in the
    header, or a name it gives is the name of another column kept."""
    keys = [column_key(n) for n in names]
    missing = [k for k in columns if k not in keys]
    if missing:
        raise ValidationFailed({"map": [f"the file has no column {k!r} (its columns: {', '.join(names)})"
                                        for k in missing]}, detail=f"--map names a column the file lacks: {missing[0]!r}")
    out = [columns[k] if k in columns else n for n, k in zip(names, keys, strict=True)]
    kept = [n for n in out if n is not None]
    clash = sorted({n for n in kept if kept.count(n) > 1})
    if clash:
        raise ValidationFailed({"map": [f"two columns would be read as {n!r}" for n in clash]},
                               detail=f"--map: two columns would be read as {clash[0]!r}; leave one out (COLUMN=)")
    return out


def _renamed_line(line: str, columns: Mapping[str, str | None]) -> str:
    """One JSON line with its keys renamed by `columns` (a key mapped to None left out); a line that is no
    JSON object stays as it is, for the import to refuse."""
    try:
        obj = json.loads(line) if line.strip() else None
    except (json.JSONDecodeError, RecursionError):
        return line
    if not isinstance(obj, dict):
        return line
    out: dict = {}
    for k, v in obj.items():
        key = column_key(k)
        name = columns[key] if key in columns else k
        if name is not None and name != k and name in obj:  # never one value silently over another
            return json.dumps({UNREADABLE: f"--map reads {k!r} as {name!r}, and the line has {name!r} too"})
        if name is not None:
            out[name] = v
    return json.dumps(out)
