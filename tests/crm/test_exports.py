"""Exports of the company, people and lead lists: who may export, which rows, which encoding,
and spreadsheet formula injection (crm.exports)."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from contacts.models import Sector
from crm.exports import neutralise
from crm.models import CustomFieldDefinition
from leads.models import Lead
from tests.factories import CompanyFactory, LeadFactory, PersonFactory

BOM = "\ufeff".encode()
FORMULA_NAMES = ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def export(client, user, url_name, file_format, **params):
    client.force_login(user)
    return client.get(reverse(url_name, kwargs={"file_format": file_format}), params)


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content)
    assert content.startswith(BOM)
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows()]


def csv_column(response, header: str) -> list[str]:
    header_row, *rows = csv_rows(response)
    index = header_row.index(header)
    return [row[index] for row in rows]


def xlsx_column(response, header: str) -> list:
    header_row, *rows = xlsx_rows(response)
    index = [cell.value for cell in header_row].index(header)
    return [row[index] for row in rows]


# Who may export


@pytest.mark.parametrize(
    "url_name", ["contacts:company_export", "contacts:person_export", "leads:lead_export"]
)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("persona", ["rep", "rep_other_team", "restricted"])
def test_users_without_the_export_permission_get_no_file(client, personas, url_name, file_format, persona):
    response = export(client, getattr(personas, persona), url_name, file_format)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "url_name", ["contacts:company_export", "contacts:person_export", "leads:lead_export"]
)
@pytest.mark.parametrize(
    ("file_format", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_managers_get_the_file_as_an_attachment(client, manager, url_name, file_format, content_type):
    response = export(client, manager, url_name, file_format)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith(f'.{file_format}"')


def test_anonymous_users_get_no_file(client, companies_by_owner):
    response = client.get(reverse("contacts:company_export", kwargs={"file_format": "csv"}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not getattr(response, "streaming", False)


def test_an_unknown_file_format_is_not_found(client, manager):
    assert export(client, manager, "contacts:company_export", "pdf").status_code == 404


# Which rows


def test_a_managers_company_export_holds_every_company(client, manager, companies_by_owner):
    names = csv_column(export(client, manager, "contacts:company_export", "csv"), "Name")
    assert sorted(names) == sorted(company.name for company in companies_by_owner.values())


def test_the_company_export_holds_exactly_the_companies_the_manager_sees(
    client, manager, companies_by_owner, managers_see_only_their_teams
):
    expected = {"Manager's", "Rep's", "Restricted's", "Nobody's"}
    csv_names = csv_column(export(client, manager, "contacts:company_export", "csv"), "Name")
    xlsx_names = [
        cell.value for cell in xlsx_column(export(client, manager, "contacts:company_export", "xlsx"), "Name")
    ]
    assert sorted(csv_names) == sorted(expected)
    assert sorted(xlsx_names) == sorted(expected)


def test_the_company_export_holds_only_the_filtered_rows(
    client, manager, rep, rep_other_team, managers_see_only_their_teams
):
    CompanyFactory(name="Malmö Stadsarkiv", owner=rep, sector=Sector.objects.get(name="Public"))
    CompanyFactory(name="Malmö Bryggeri", owner=rep, sector=Sector.objects.get(name="Private"))
    CompanyFactory(name="Malmö Hidden", owner=rep_other_team, sector=Sector.objects.get(name="Public"))
    CompanyFactory(name="Nordlys", owner=rep)

    public = Sector.objects.get(name="Public").pk
    response = export(client, manager, "contacts:company_export", "csv", q="malmo", sector=public)

    assert csv_column(response, "Name") == ["Malmö Stadsarkiv"]


def test_the_people_export_holds_only_visible_people(
    client, manager, people_by_owner, managers_see_only_their_teams
):
    names = csv_column(export(client, manager, "contacts:person_export", "csv"), "First name")
    assert sorted(names) == sorted(["manager", "rep", "restricted", "Nobody"])


def test_the_lead_export_holds_the_open_visible_leads_unless_another_status_is_asked(
    client, manager, rep, rep_other_team, managers_see_only_their_teams
):
    LeadFactory(last_name="Open", owner=rep)
    LeadFactory(last_name="Done", owner=rep, status=Lead.Status.CONVERTED)
    LeadFactory(last_name="Hidden", owner=rep_other_team)

    default = csv_column(export(client, manager, "leads:lead_export", "csv"), "Last name")
    converted = csv_column(
        export(client, manager, "leads:lead_export", "csv", status="converted"), "Last name"
    )

    assert default == ["Open"]
    assert converted == ["Done"]


def test_an_admin_exports_every_company(client, admin, companies_by_owner):
    names = csv_column(export(client, admin, "contacts:company_export", "csv"), "Name")
    assert len(names) == len(companies_by_owner)


# Encoding and values


def test_csv_starts_with_a_bom_and_keeps_nordic_and_hungarian_letters(client, manager):
    PersonFactory(first_name="Åsa", last_name="Öberg", owner=manager)
    PersonFactory(first_name="Gergő", last_name="Kovács", owner=manager)
    response = export(client, manager, "contacts:person_export", "csv")
    rows = csv_rows(response)
    assert rows[0][:3] == ["First name", "Last name", "E-mail"]
    assert sorted((row[0], row[1]) for row in rows[1:]) == [("Gergő", "Kovács"), ("Åsa", "Öberg")]


@pytest.fixture
def exported_company(manager):
    CustomFieldDefinition.objects.create(
        target="contacts.company", key="employees", label="Employees", field_type="number"
    )
    created = timezone.make_aware(datetime.datetime(2025, 3, 1, 9, 30, 15))
    return CompanyFactory(
        name="Åsa Öberg Arkiv AB",
        owner=manager,
        sector=Sector.objects.get(name="Public"),
        email_domain="oberg.se",
        website="https://oberg.se/",
        phone="",
        created_at=created,
        custom_fields={"employees": 40},
    )


def test_xlsx_opens_and_round_trips_the_values(client, manager, exported_company):
    response = export(client, manager, "contacts:company_export", "xlsx")
    header, row = ([cell.value for cell in r] for r in xlsx_rows(response))
    values = dict(zip(header, row, strict=True))
    assert values["Name"] == "Åsa Öberg Arkiv AB"
    assert values["Sector"] == "Public"
    assert values["E-mail domain"] == "oberg.se"
    assert values["Website"] == "https://oberg.se/"
    assert values["Owner"] == str(manager)
    assert values["Created"] == timezone.localtime(exported_company.created_at).replace(tzinfo=None)
    assert values["Employees"] == 40


def test_csv_writes_dates_in_iso_form_and_numbers_plainly(client, manager, exported_company):
    header, row = csv_rows(export(client, manager, "contacts:company_export", "csv"))
    values = dict(zip(header, row, strict=True))
    assert values["Created"] == "2025-03-01T09:30:15"
    assert values["Employees"] == "40"
    assert values["Phone"] == ""


def test_xlsx_keeps_phone_numbers_as_stored(client, manager):
    CompanyFactory(name="Nordlys", owner=manager, phone="+46701234567")
    cell = xlsx_column(export(client, manager, "contacts:company_export", "xlsx"), "Phone")[0]
    assert (cell.value, cell.data_type) == ("+46701234567", "s")


# Formula injection


@pytest.fixture
def formula_companies(manager):
    for name in [*FORMULA_NAMES, "Jean-Luc Films", "Plain"]:
        CompanyFactory(name=name, owner=manager)


def test_csv_prefixes_formula_text_with_an_apostrophe(client, manager, formula_companies):
    names = set(csv_column(export(client, manager, "contacts:company_export", "csv"), "Name"))
    assert names == {*("'" + name for name in FORMULA_NAMES), "Jean-Luc Films", "Plain"}


def test_xlsx_stores_formula_text_as_plain_text_cells(client, manager, formula_companies):
    cells = xlsx_column(export(client, manager, "contacts:company_export", "xlsx"), "Name")
    assert all(cell.data_type == "s" for cell in cells)
    # A carriage return is stored escaped as _x000D_ (the OOXML way to keep it; spreadsheets show
    # it, openpyxl reads the escape as is); what matters is that it is text.
    values = {cell.value.replace("_x000D_", "\r") for cell in cells}
    assert values == {*FORMULA_NAMES, "Jean-Luc Films", "Plain"}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_formula_text_in_lead_and_people_exports_is_neutralised_too(client, manager, file_format):
    PersonFactory(first_name='=HYPERLINK("http://evil.example")', owner=manager)
    LeadFactory(last_name="@SUM(1)", company_name="+cmd|' /C calc'!A0", owner=manager)
    person = export(client, manager, "contacts:person_export", file_format)
    lead = export(client, manager, "leads:lead_export", file_format)
    if file_format == "csv":
        assert csv_column(person, "First name") == ['\'=HYPERLINK("http://evil.example")']
        assert csv_column(lead, "Company") == ["'+cmd|' /C calc'!A0"]
    else:
        for cell in [
            *xlsx_column(person, "First name"),
            *xlsx_column(lead, "Company"),
            *xlsx_column(lead, "Last name"),
        ]:
            assert cell.data_type == "s"
            assert not str(cell.value).startswith("'")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Jean-Luc", "Jean-Luc"),
        ("a=b", "a=b"),
        ("", ""),
        (42, 42),
        (-3, -3),
        (None, None),
    ],
)
def test_neutralise_prefixes_only_text_that_starts_like_a_formula(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_control_characters_pasted_into_a_name_do_not_break_the_export(client, manager, file_format):
    # Django accepts them in a CharField (only NUL is refused); XML 1.0 cannot hold them.
    CompanyFactory(name="Nordlys\x0bArkiv\x1f", owner=manager)
    response = export(client, manager, "contacts:company_export", file_format)
    assert response.status_code == 200
    if file_format == "xlsx":
        (cell,) = xlsx_column(response, "Name")
        assert cell.value.startswith("Nordlys")
        assert "\x0b" not in cell.value
    else:
        assert csv_column(response, "Name") == ["Nordlys\x0bArkiv\x1f"]


def test_the_deals_list_exports_the_filtered_visible_deals(client, manager, personas):
    from tests.factories import DealFactory

    DealFactory(name="Mine to export", owner=manager, value=1000)
    DealFactory(name="Other team's", owner=personas.rep_other_team)
    DealFactory(name="Filtered out", owner=manager)
    response = export(client, manager, "opportunities:deal_export", "csv", q="export")
    rows = csv_rows(response)
    assert rows[0][:3] == ["Pipeline", "Stage", "Deal"]
    assert [row[2] for row in rows[1:]] == ["Mine to export"]


def test_the_deals_list_offers_its_export_to_those_who_may(client, manager, rep):
    client.force_login(manager)
    assert (
        reverse("opportunities:deal_export", kwargs={"file_format": "xlsx"})
        in client.get(reverse("opportunities:deal_list")).content.decode()
    )
    client.force_login(rep)
    assert "export." not in client.get(reverse("opportunities:deal_list")).content.decode()
    assert export(client, rep, "opportunities:deal_export", "csv").status_code == 403


def test_the_deal_export_names_related_records_as_their_cards_do(client, manager, personas):
    """The deal exports read plain values (no model instances): each related record must read as
    its own __str__ does, an empty relation as an empty cell."""
    from tests.factories import DealFactory, UserFactory

    nameless_owner = UserFactory(username="jdoe", first_name="", last_name="")
    company = CompanyFactory(name="Acme AB", owner=manager)
    contact = PersonFactory(first_name="Ada", last_name="", company=company, owner=manager)
    DealFactory(name="Named", company=company, primary_contact=contact, owner=manager)
    DealFactory(name="Bare", owner=nameless_owner, team=personas.north, probability=40, value=1000)
    response = export(client, manager, "opportunities:deal_export", "csv", q="")
    rows = {row[2]: row for row in csv_rows(response)[1:]}
    assert rows["Named"][3:5] == [str(company), str(contact)] == ["Acme AB", "Ada"]
    assert rows["Named"][11:13] == [str(manager), ""]
    assert rows["Bare"][3:5] == ["", ""]
    assert rows["Bare"][11:13] == [str(nameless_owner), "North"] == ["jdoe", "North"]
    assert rows["Bare"][7:9] == ["40", "400.00"]
