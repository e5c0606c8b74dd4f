"""The autocomplete picker renders the chosen record only, whatever the size of its table."""

import psycopg
import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Company
from crm import exports
from crm.widgets import AutocompleteSelect
from tests.factories import CompanyFactory


class PickerForm(forms.Form):
    company = forms.ModelChoiceField(queryset=Company.objects.none(), widget=AutocompleteSelect(url="/ac/"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.visible_to(user)


@pytest.fixture
def many_companies(personas):
    return CompanyFactory.create_batch(30, owner=None)


def test_the_picker_renders_only_the_chosen_record_with_one_query(restricted, many_companies):
    chosen = many_companies[7]
    form = PickerForm(initial={"company": chosen.pk}, user=restricted)
    str(PickerForm(user=restricted)["company"])  # the organisation setting is read once per user
    with CaptureQueriesContext(connection) as queries:
        html = str(form["company"])
    assert html.count("<option") == 2  # the empty choice and the chosen company
    assert f'value="{chosen.pk}" selected' in html and chosen.name in html
    assert len(queries) == 1
    assert f'"contacts_company"."id" IN ({chosen.pk})' in queries[0]["sql"]


def test_an_empty_picker_reads_nothing(restricted, many_companies):
    form = PickerForm(user=restricted)
    with CaptureQueriesContext(connection) as queries:
        html = str(form["company"])
    assert html.count("<option") == 1
    assert len(queries) == 0


def test_a_posted_id_outside_the_users_records_is_refused_and_not_shown(restricted, personas):
    hidden = CompanyFactory(name="Hidden Rival AB", owner=personas.rep_other_team)
    form = PickerForm({"company": hidden.pk}, user=restricted)
    assert not form.is_valid()
    assert "company" in form.errors
    assert "Hidden Rival" not in str(form["company"])


@pytest.mark.parametrize("posted", ["abc", "1;DROP", "99999999999999999999", "-1"])
def test_a_malformed_posted_id_is_a_form_error_not_a_crash(restricted, posted):
    form = PickerForm({"company": posted}, user=restricted)
    assert not form.is_valid()
    assert str(form["company"]).count("<option") == 1


def test_choice_lists_use_no_server_side_cursor(personas):
    """One plain query per choice list (DECLARE/FETCH/CLOSE would be three or four round trips), and
    transaction-pooling PgBouncer works."""
    CompanyFactory.create_batch(3)
    cursors = []

    def record_cursor(execute, sql, params, many, context):
        cursors.append(context["cursor"].cursor)
        return execute(sql, params, many, context)

    field = forms.ModelChoiceField(queryset=Company.objects.all())
    with connection.execute_wrapper(record_cursor):
        assert len(list(field.choices)) == 4
    assert cursors and not any(isinstance(cursor, psycopg.ServerCursor) for cursor in cursors)


def test_exports_read_every_row_in_order_chunk_by_chunk(personas, monkeypatch):
    companies = [CompanyFactory(name=f"Chunk {number:02d}") for number in range(7)]
    monkeypatch.setattr(exports, "CHUNK", 3)
    queryset = Company.objects.order_by("-name").values("pk", "name")
    with CaptureQueriesContext(connection) as queries:
        names = [company["name"] for company in exports.records(queryset)]
    assert names == [company.name for company in reversed(companies)]
    assert len(queries) == 1 + 3  # the ordered ids, then three chunks


def test_an_empty_picker_is_one_search_box_and_a_chosen_one_shows_the_choice(restricted, many_companies):
    empty = str(PickerForm(user=restricted)["company"])
    chosen = str(PickerForm(initial={"company": many_companies[0].pk}, user=restricted)["company"])
    assert "<select" in empty and " hidden" in empty.split("<select", 1)[1].split(">", 1)[0]
    assert " hidden" not in chosen.split("<select", 1)[1].split(">", 1)[0]
