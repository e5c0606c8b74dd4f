"""The filter bar's form takes its fields without deep-copying them (crm.filters): safe only
because every filter set builds its own fields. Two filter bars built one after the other, as
two requests of one process do, share no field, widget or choice list, and each offers its own
user's values."""

from django.http import QueryDict

from contacts.filters import CompanyFilter
from contacts.models import Company
from crm.models import SearchField
from tests.factories import CompanyFactory


def company_filter(user, query: str = "") -> CompanyFilter:
    return CompanyFilter(QueryDict(query), queryset=Company.objects.visible_to(user), user=user)


def test_two_filter_bars_share_no_field_and_offer_their_own_users_values(
    admin, manager, rep, rep_other_team, managers_see_only_their_teams
):
    SearchField.objects.create(list_name="companies", field_name="email_domain", mode="dropdown")
    CompanyFactory(name="Visible", email_domain="visible.se", owner=rep)
    CompanyFactory(name="Hidden", email_domain="secret-south.example", owner=rep_other_team)

    first = company_filter(admin, "email_domain=secret-south.example").form
    second = company_filter(manager).form

    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other and field.widget is not other.widget, name
        assert field is not type(first).base_fields[name] or type(first) is not type(second), name
    first.fields["owner"].widget.attrs["data-first"] = "only here"
    assert "data-first" not in second.fields["owner"].widget.attrs
    assert "data-first" not in company_filter(manager).form.fields["owner"].widget.attrs

    def offered(form):
        return [value for value, _label in form.fields["email_domain"].choices]

    assert offered(first) == ["", "secret-south.example", "visible.se"]
    assert offered(second) == ["", "visible.se"]
    assert first.is_valid() and first.cleaned_data["email_domain"] == "secret-south.example"
    assert not company_filter(manager, "email_domain=secret-south.example").form.is_valid()
