"""The company list's rows, written in Python (contacts/templatetags/company_rows.py), are the
very HTML of the template loop they replaced, for every kind of value and language."""

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

from contacts.models import Company, CompanyStatus, Sector
from crm.models import CustomFieldDefinition
from tests.factories import CompanyFactory

# The template loop of templates/contacts/company_list.html before the rows moved to Python
# (with the columns of other apps' badges since).
TEMPLATE_LOOP = """{% load crm_tags %}
    {% for company in page.object_list %}
      <tr>
        <td><a href="{{ company.get_absolute_url }}">{{ company.name }}</a></td>
        <td>{{ company.status|default:"" }}</td>
        <td class="d-none d-md-table-cell">{{ company.sector|default:"" }}</td>
        <td class="d-none d-md-table-cell">{{ company.email_domain }}</td>
        <td>{{ company.owner|default:_("Unassigned") }}</td>
        {% if custom_columns %}{% for column in custom_columns %}<td class="d-none d-lg-table-cell">{{ company.custom_fields|dict_get:column.key|default:"" }}</td>{% endfor %}{% endif %}{% for cell in company.badge_cells %}<td class="d-none d-md-table-cell">{{ cell }}</td>{% endfor %}
      </tr>
    {% endfor %}
    </tbody>"""  # fmt: skip


def column(key: str, field_type: str, position: int) -> CustomFieldDefinition:
    return CustomFieldDefinition.objects.create(
        target="contacts.company", key=key, label=key.title(), field_type=field_type,
        position=position, show_in_list=True, filterable=False,
    )  # fmt: skip


def as_records(page) -> dict:
    """The page's rows as the Company records the template loop was written for (the list's rows
    are crm.list_rows.ListRows), in the page's order, with the badge cells the list gave them."""
    records = Company.objects.in_bulk([row.pk for row in page.object_list])
    for row in page.object_list:
        records[row.pk].badge_cells = row.badge_cells
    return {"object_list": [records[row.pk] for row in page.object_list]}


def rows_of(html: str) -> str:
    """The page's table body, from its first row to its end."""
    body = html.split("<tbody>", 1)[1]
    return body[: body.index("</tbody>") + len("</tbody>")]


@pytest.fixture
def odd_companies(personas):
    kind = CustomFieldDefinition.FieldType
    column("note", kind.TEXT, 1)
    column("staff", kind.NUMBER, 2)
    column("signed", kind.BOOLEAN, 3)
    CompanyFactory(
        name='<script>alert("x")</script> & Söner',
        email_domain="o'brien.example",
        owner=personas.admin,
        status=CompanyStatus.objects.first(),
        sector=Sector.objects.first(),
        custom_fields={"note": "<b>bold</b> & 'quoted'", "staff": 1234.5, "signed": True},
    )
    CompanyFactory(name="Plain AB", owner=None, custom_fields={"staff": 0, "signed": False})
    CompanyFactory(name="Empty JSON AB", owner=personas.rep, custom_fields={})
    personas.admin.first_name, personas.admin.last_name = "Åsa", "<Öberg>"
    personas.admin.save()


@pytest.mark.parametrize("language", ["en", "sv", "hu"])
def test_the_rows_are_the_template_loop(client, personas, odd_companies, language):
    client.force_login(personas.admin)
    # LocaleMiddleware leaves the language of the request active: override() restores it.
    with translation.override(language):
        response = client.get(reverse("contacts:company_list"), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        page, columns = response.context["page"], response.context["custom_columns"]
        assert len(page.object_list) == 3 and len(columns) == 3
        expected = (
            engines["django"]
            .from_string(TEMPLATE_LOOP)
            .render({"page": as_records(page), "custom_columns": columns}, response.wsgi_request)
        )
    served = rows_of(response.content.decode())
    assert served == expected
    assert "&lt;script&gt;" in served and "<script>" not in served


def test_without_custom_columns_the_rows_are_the_template_loop(client, personas):
    CompanyFactory(name="A & B", owner=None)
    CompanyFactory(name="C", owner=personas.rep, status=CompanyStatus.objects.first())
    client.force_login(personas.rep)
    response = client.get(reverse("contacts:company_list"))
    expected = (
        engines["django"]
        .from_string(TEMPLATE_LOOP)
        .render({"page": as_records(response.context["page"]), "custom_columns": []}, response.wsgi_request)
    )
    assert rows_of(response.content.decode()) == expected
