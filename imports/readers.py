"""Reading a spreadsheet into rows of text: CSV (any common encoding and delimiter), XLSX, or
cells pasted from a spreadsheet (tab-separated).

Every cell comes out as a string (numbers without a spurious ".0", dates as ISO dates), so that
the mapping, the preview and the writers see one kind of value. Whatever is wrong with the
file as a whole (too big, not a spreadsheet, a zip bomb, no rows) raises ImportFileError with a
message for the user; what is wrong with a row is the writers' business.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
# An XLSX is a zip: refuse one whose contents would unpack to more than this, or that
# compresses better than any real spreadsheet (a zip bomb).
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
MAX_CELL_CHARACTERS = 32_767  # what a spreadsheet cell holds; longer is cut, the field refuses it
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why, for the user."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (line number, cells)


def max_file_bytes() -> int:
    return getattr(settings, "IMPORTS_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)


def cell_text(value) -> str:
    """One cell as text: integral numbers without ".0", dates as ISO dates."""
    if type(value) is str:  # most cells: the fast way first
        return value.strip()[:MAX_CELL_CHARACTERS]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    return str(value).strip()[:MAX_CELL_CHARACTERS]


def _table(raw_rows) -> Table:
    """Headings from the first non-empty row; empty rows dropped; line numbers kept."""
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for line, raw in enumerate(raw_rows, start=1):
        cells = [cell_text(value) for value in raw[:MAX_COLUMNS]]
        if not any(cells):
            continue
        if headers is None:
            headers = cells
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(_("The file has more than %(count)s rows: split it.") % {"count": MAX_ROWS})
        rows.append((line, cells))
    if headers is None:
        raise ImportFileError(_("The file is empty: it has no row with a heading."))
    # Trailing empty headings are dropped; a missing one in between keeps its column's letter.
    while headers and not headers[-1]:
        headers.pop()
    headers = [
        heading or _("Column %(number)s") % {"number": index + 1} for index, heading in enumerate(headers)
    ]
    width = len(headers)
    return Table(headers=headers, rows=[(line, (cells + [""] * width)[:width]) for line, cells in rows])


# -- CSV and pasted cells -------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Text of a CSV in any common encoding: a BOM wins, then UTF-8, then Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:4096]:
        raise ImportFileError(_("This is not a spreadsheet: choose a CSV or XLSX file."))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.partition("\n")[0]
        return max([",", ";", "\t"], key=first.count)


def read_csv_text(text: str, *, delimiter: str | None = None) -> Table:
    delimiter = delimiter or sniff_delimiter(text)
    try:
        return _table(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": error}) from error


def read_pasted(text: str) -> Table:
    """Cells copied from a spreadsheet arrive tab-separated; a single column has no tab."""
    return read_csv_text(text.replace("\r\n", "\n"), delimiter="\t")


# -- XLSX -----------------------------------------------------------------------------------------


def check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(_("This is not a spreadsheet: choose a CSV or XLSX file.")) from error
    unpacked = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members) or 1
    if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_COMPRESSION_RATIO:
        raise ImportFileError(_("The file unpacks to far more than a spreadsheet holds: it is refused."))
    if not any(member.filename.startswith("xl/worksheets/") for member in members):
        raise ImportFileError(_("This is not a spreadsheet: choose a CSV or XLSX file."))


def _calamine_rows(data: bytes):
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)


def _openpyxl_rows(data: bytes):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_xlsx(data: bytes) -> Table:
    """The first sheet; formulas give their computed values, merged cells their first cell."""
    check_zip(data)
    try:
        rows = _calamine_rows(data)
    except ImportError:
        rows = None
    except Exception:
        rows = None
    if rows is None:
        try:
            rows = _openpyxl_rows(data)
        except Exception as error:
            raise ImportFileError(_("The spreadsheet cannot be read: is it damaged?")) from error
    return _table(rows)


def read_file(data: bytes, name: str) -> Table:
    """Read an uploaded file by its contents (the name only helps with the message)."""
    if len(data) > max_file_bytes():
        raise ImportFileError(
            _("The file is larger than %(size)s MB: split it or ask an administrator.")
            % {"size": max_file_bytes() // (1024 * 1024)}
        )
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        return read_xlsx(data)
    if data.startswith(OLE_MAGIC):
        raise ImportFileError(_("Old .xls files cannot be read: save the sheet as XLSX or CSV."))
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(_("This is not a spreadsheet: choose a CSV or XLSX file."))
    return read_csv_text(decode_text(data))
