"""Real-world mess in the files (issue 12, "Bad input and safety"): each is read correctly or
refused with a message for the user."""

import datetime
import io
import zipfile

import pytest
from openpyxl import Workbook

from imports import readers


def _xlsx(rows, *, merge=None, formula=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    if formula:
        cell, text = formula
        sheet[cell] = text
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_utf8_csv_with_a_bom_keeps_its_first_heading_clean():
    table = readers.read_file("\ufeffFöretag,E-post\nÅkesson AB,a@b.se\n".encode(), "x.csv")
    assert table.headers == ["Företag", "E-post"]
    assert table.rows == [(2, ["Åkesson AB", "a@b.se"])]


def test_a_windows_1252_csv_with_semicolons_is_read():
    data = "Företag;Ort\nÖstgöta Båt AB;Linköping\n".encode("cp1252")
    table = readers.read_file(data, "legacy.csv")
    assert table.headers == ["Företag", "Ort"]
    assert table.rows[0][1] == ["Östgöta Båt AB", "Linköping"]


def test_a_tab_separated_file_and_pasted_cells_are_read():
    assert readers.read_file(b"Name\tPhone\nAcme\t123\n", "x.txt").rows[0][1] == ["Acme", "123"]
    assert readers.read_pasted("Name\tPhone\r\nAcme\t123\r\n").rows[0][1] == ["Acme", "123"]


def test_empty_rows_are_dropped_and_line_numbers_kept():
    table = readers.read_file(b"Name,Phone\n\n,,\nAcme,1\n", "x.csv")
    assert table.rows == [(4, ["Acme", "1"])]


def test_a_5000_character_cell_is_kept_whole_for_the_field_to_refuse():
    table = readers.read_file(("Name\n" + "x" * 5000 + "\n").encode(), "x.csv")
    assert len(table.rows[0][1][0]) == 5000


def test_xlsx_dates_numbers_formulas_and_merged_cells():
    data = _xlsx(
        [
            ["Name", "Since", "Count", "Total"],
            ["Acme", datetime.datetime(2024, 3, 1), 3.0, None],
            ["", None, 2, None],
        ],
        merge="A2:A3",
        formula=("D2", "=C2*2"),
    )
    table = readers.read_file(data, "x.xlsx")
    assert table.headers == ["Name", "Since", "Count", "Total"]
    assert table.rows[0][1][:3] == ["Acme", "2024-03-01", "3"]
    assert table.rows[1][1][2] == "2"  # the merged cell's second row has no name: a row-level matter


def test_openpyxl_reads_when_calamine_cannot(monkeypatch):
    def broken(data):
        raise RuntimeError("calamine failed")

    monkeypatch.setattr(readers, "_calamine_rows", broken)
    assert readers.read_file(_xlsx([["Name"], ["Acme"]]), "x.xlsx").rows == [(2, ["Acme"])]


def test_formula_injection_text_is_kept_as_plain_text():
    table = readers.read_file(b'Name\n=HYPERLINK("http://evil")\n', "x.csv")
    assert table.rows[0][1] == ['=HYPERLINK("http://evil")']


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4 not a sheet \x00\x01\x02", "report.xlsx", "not a spreadsheet"),
        (b"PK\x03\x04 broken zip", "x.xlsx", "not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0 old excel", "x.xls", "Old .xls"),
        (b"   \n ", "x.csv", "empty"),
        (b"\n\n,,\n", "x.csv", "empty"),
    ],
)
def test_files_that_are_not_spreadsheets_get_a_clear_message(data, name, message):
    with pytest.raises(readers.ImportFileError, match=message):
        readers.read_file(data, name)


def test_a_zip_with_no_worksheet_is_not_a_spreadsheet():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(readers.ImportFileError, match="not a spreadsheet"):
        readers.read_file(buffer.getvalue(), "x.xlsx")


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    with pytest.raises(readers.ImportFileError, match="unpacks"):
        readers.read_file(buffer.getvalue(), "bomb.xlsx")


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.IMPORTS_MAX_FILE_BYTES = 1024
    with pytest.raises(readers.ImportFileError, match="larger than"):
        readers.read_file(b"Name\n" + b"x" * 2000, "big.csv")
