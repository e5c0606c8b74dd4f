"""What an admin types into a custom field's definition reaches forms and exports inert:
help text is escaped on the record forms, labels are neutralised in CSV headers and kept as
plain text in XLSX headers (crm.custom_fields, crm.exports)."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm.models import CustomFieldDefinition
from tests.factories import CompanyFactory, PersonFactory

SCRIPT = "<svg onload=alert(1)>"
TARGETS = [
    ("contacts.company", "contacts:company_create", "contacts:company_export", CompanyFactory),
    ("contacts.person", "contacts:person_create", "contacts:person_export", PersonFactory),
]


@pytest.mark.parametrize(("target", "create_url", "_export_url", "_factory"), TARGETS)
def test_custom_field_help_text_shows_as_text_on_the_record_form(
    client, admin, target, create_url, _export_url, _factory
):
    CustomFieldDefinition.objects.create(
        target=target, key="unit", label="Unit <i>name</i>", help_text=f"Ask {SCRIPT} first & <b>then</b>"
    )
    client.force_login(admin)
    html = client.get(reverse(create_url)).content.decode()
    assert "Ask &lt;svg onload=alert(1)&gt; first &amp; &lt;b&gt;then&lt;/b&gt;" in html
    assert "Unit &lt;i&gt;name&lt;/i&gt;" in html
    assert "<svg" not in html and "<b>then" not in html and "<i>name" not in html


FORMULA_LABELS = ['=HYPERLINK("http://evil.example")', "+1", "-1", "@SUM(A1)", "\tTab", "\rReturn"]


@pytest.fixture
def formula_labels(db):
    def define(target):
        for position, label in enumerate(FORMULA_LABELS):
            CustomFieldDefinition.objects.create(
                target=target, key=f"field_{position}", label=label, position=position
            )

    return define


@pytest.mark.parametrize(("target", "_create_url", "export_url", "factory"), TARGETS)
def test_csv_headers_from_custom_field_labels_are_neutralised(
    client, admin, formula_labels, target, _create_url, export_url, factory
):
    formula_labels(target)
    factory(owner=admin)
    client.force_login(admin)
    response = client.get(reverse(export_url, kwargs={"file_format": "csv"}))
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(content, newline="")))
    assert header[-len(FORMULA_LABELS) :] == ["'" + label for label in FORMULA_LABELS]


@pytest.mark.parametrize(("target", "_create_url", "export_url", "factory"), TARGETS)
def test_xlsx_headers_from_custom_field_labels_are_text_cells(
    client, admin, formula_labels, target, _create_url, export_url, factory
):
    formula_labels(target)
    factory(owner=admin)
    client.force_login(admin)
    response = client.get(reverse(export_url, kwargs={"file_format": "xlsx"}))
    header = next(load_workbook(io.BytesIO(response.content)).active.iter_rows())
    cells = header[-len(FORMULA_LABELS) :]
    # A carriage return is kept as the OOXML escape _x000D_, which openpyxl reads as is.
    values = [(cell.value.replace("_x000D_", "\r"), cell.data_type) for cell in cells]
    assert values == [(label, "s") for label in FORMULA_LABELS]
