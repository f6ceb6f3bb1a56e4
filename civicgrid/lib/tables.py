"""Reading the rows of a spreadsheet a clerk uploads: .xlsx, or .csv as Excel saves it in China.

One reader for every import (12345 orders, the address register, ...): cells as text, headers
matched through a table of the names real files use, blank rows skipped, and the row numbers a
spreadsheet shows (the header is row 1), so a per-row report points at the row the clerk sees.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _


class FileProblem(Exception):
    """A file that cannot be read as a whole (wrong type, not text, no header, missing columns)."""


@dataclass
class Row:
    number: int  # the row number a spreadsheet shows: the header is row 1
    values: dict[str, Any]  # field name → cell, for the columns the header names


def text(value: Any) -> str:
    """Return a cell as text; Excel stores order and phone numbers as numbers (13800000001.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def decode(raw: bytes) -> str:
    # Chinese Excel saves "CSV" as GB18030 (GBK); UTF-8 exports often start with a BOM.
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise FileProblem(_("The file is neither UTF-8 nor GB18030 text.")) from None


def _csv_cells(raw: bytes) -> Iterator[list[Any]]:
    yield from csv.reader(io.StringIO(decode(raw), newline=""))


def _xlsx_cells(raw: bytes) -> Iterator[list[Any]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, XML and its own errors on broken files
        raise FileProblem(_("This is not a readable .xlsx file: %(error)s") % {"error": exc}) from None
    try:
        for values in book.worksheets[0].iter_rows(values_only=True):
            yield list(values)
    finally:
        book.close()


def cells(raw: bytes, filename: str) -> Iterator[list[Any]]:
    """Yield every row of the first sheet of a .xlsx, or of a .csv, as a list of cells."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx":
        return _xlsx_cells(raw)
    if suffix == "csv":
        return _csv_cells(raw)
    raise FileProblem(_("Give a .csv or .xlsx file."))


def header_key(value: Any) -> str:
    """A header cell as looked up: no BOM, no spaces or full-width spaces, lower case, `_` for blanks."""
    return re.sub(r"\s+", "_", text(value).lstrip("\ufeff").replace("\u3000", " ").strip().lower())


@dataclass
class Sheet:
    fields: set[str]  # the fields its header row names
    rows: Iterator[Row]  # its data rows, blank ones skipped


def sheet(raw: bytes, filename: str, *, headers: Mapping[str, str]) -> Sheet:
    """Read a file's header row, then lazily its data rows, keyed by field name.

    `headers` maps each header a real file uses (as `header_key` writes it) to a field name; columns
    with other headers are ignored (exports carry many); of two columns for one field the first counts.
    """
    found = cells(raw, filename)
    header = next(found, None)
    if header is None:
        raise FileProblem(_("The file is empty."))
    columns: dict[int, str] = {}
    for index, key in enumerate(map(header_key, header)):
        name = headers.get(key)
        if name is not None and name not in columns.values():
            columns[index] = name

    def data() -> Iterator[Row]:
        for number, row in enumerate(found, start=2):
            if all(text(cell) == "" for cell in row):
                continue
            yield Row(
                number=number,
                values={name: row[index] for index, name in columns.items() if index < len(row)},
            )

    return Sheet(fields=set(columns.values()), rows=data())


def rows(
    raw: bytes,
    filename: str,
    *,
    headers: Mapping[str, str],
    required: Mapping[str, str] | None = None,
) -> Iterator[Row]:
    """Yield the data rows of a file (`sheet`); `required` maps each field that must have a column to
    how messages name it: a missing one is a FileProblem before any row is read."""
    read = sheet(raw, filename, headers=headers)
    missing = [label for name, label in (required or {}).items() if name not in read.fields]
    if missing:
        raise FileProblem(
            _("Columns missing from the header row: %(columns)s") % {"columns": ", ".join(missing)}
        )
    return read.rows


class KeptUploads:
    """Uploaded spreadsheets kept between an import's check and its commit (the upload pages).

    The token goes in the uploader's session only: the commit reads the file the check read, never
    rows sent back by the browser. Kept under the system's temporary directory of the machine that
    served the check: with several app machines, the commit must reach the same one (sticky
    sessions) or the page asks for the file again. Files older than `kept_seconds` go on the way.
    """

    SUFFIXES = ("xlsx", "csv")
    _TOKEN = re.compile(r"^[0-9a-f]{32}$")

    def __init__(self, name: str, *, kept_seconds: int = 6 * 3600) -> None:
        self.directory = Path(tempfile.gettempdir()) / name
        self.kept_seconds = kept_seconds

    def keep(self, chunks: Iterable[bytes], suffix: str = "xlsx") -> str:
        """Keep an upload (.xlsx or .csv) until it is committed; return the random token naming it."""
        if suffix not in self.SUFFIXES:
            raise FileProblem(_("Give a .csv or .xlsx file."))
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        cutoff = time.time() - self.kept_seconds
        for old in self.directory.iterdir():
            try:
                if old.stat().st_mtime < cutoff:
                    old.unlink()
            except OSError:
                continue  # another process removed it first
        token = secrets.token_hex(16)
        with (self.directory / f"{token}.{suffix}").open("xb") as out:
            for chunk in chunks:
                out.write(chunk)
        return token

    def path(self, token: str) -> Path | None:
        """Return the kept upload named by `token`, or None when the token is malformed or the file gone."""
        if not self._TOKEN.match(token or ""):
            return None
        for suffix in self.SUFFIXES:
            path = self.directory / f"{token}.{suffix}"
            if path.is_file():
                return path
        return None

    def drop(self, token: str) -> None:
        path = self.path(token)
        if path is not None:
            path.unlink(missing_ok=True)
