"""crm.lookup_cache: small tables kept per process, dropped as soon as PostgreSQL says one changed."""

import pytest
from django import forms
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.models import Company, Sector
from crm import lookup_cache
from crm.lookups import Lookup
from crm.models import OrganisationSettings, Role, Team, User
from tests.factories import CompanyFactory, UserFactory


def sector_options(client) -> list[str]:
    form = client.get(reverse("contacts:company_list")).context["filter"].form
    return [label for _value, label in form.fields["sector"].widget.choices]


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


def test_a_new_lookup_value_shows_on_the_next_request(rep_client):
    assert "Zeta sector" not in sector_options(rep_client)
    Sector.objects.create(name="Zeta sector")
    assert "Zeta sector" in sector_options(rep_client)


def test_a_change_by_sql_outside_django_is_seen_too(rep_client):
    sector = Sector.objects.create(name="Old name")
    assert "Old name" in sector_options(rep_client)
    with connection.cursor() as cursor:  # no model, no signal: only the trigger knows
        cursor.execute("UPDATE contacts_sector SET name = 'New name' WHERE id = %s", [sector.pk])
    options = sector_options(rep_client)
    assert "New name" in options and "Old name" not in options


def test_a_rolled_back_change_leaves_no_generation_a_later_change_reuses(rep_client):
    sector_options(rep_client)
    with pytest.raises(RuntimeError), transaction.atomic():
        Sector.objects.create(name="Rolled back")
        assert "Rolled back" in sector_options(rep_client)  # kept under its own generation
        raise RuntimeError
    Sector.objects.create(name="Committed")
    options = sector_options(rep_client)
    assert "Committed" in options and "Rolled back" not in options


def test_a_revoked_permission_is_gone_on_the_next_request(client, personas):
    client.force_login(personas.manager)
    url = reverse("contacts:company_export", args=["csv"])
    assert client.get(url).status_code == 200
    export = Permission.objects.get(codename="export_company")
    Group.objects.get(name=Role.MANAGER.value).permissions.remove(export)
    assert client.get(url).status_code == 403


def test_a_permission_granted_to_a_user_reaches_them_on_the_next_request(client, restricted):
    client.force_login(restricted)
    url = reverse("contacts:company_export", args=["csv"])
    assert client.get(url).status_code == 403
    restricted.user_permissions.add(Permission.objects.get(codename="export_company"))
    assert client.get(url).status_code == 200


@pytest.fixture
def exports_group(db):
    """A permission group that is no role: what a team may carry for its members."""
    group = Group.objects.create(name="Exports")
    group.permissions.add(Permission.objects.get(codename="export_company"))
    return group


def test_a_group_added_to_a_team_reaches_its_members_on_the_next_request(client, personas, exports_group):
    client.force_login(personas.rep)
    url = reverse("contacts:company_export", args=["csv"])
    assert client.get(url).status_code == 403
    personas.north.permission_groups.add(exports_group)
    assert client.get(url).status_code == 200
    personas.north.permission_groups.remove(exports_group)
    assert client.get(url).status_code == 403


def test_a_permission_added_to_a_teams_group_reaches_its_members_on_the_next_request(
    client, personas, exports_group
):
    client.force_login(personas.rep)
    url = reverse("leads:lead_export", args=["csv"])
    personas.north.permission_groups.add(exports_group)
    assert client.get(url).status_code == 403
    exports_group.permissions.add(Permission.objects.get(codename="export_lead"))
    assert client.get(url).status_code == 200


def test_joining_or_leaving_a_team_changes_permissions_on_the_next_request(client, personas, exports_group):
    personas.north.permission_groups.add(exports_group)
    client.force_login(personas.rep_other_team)
    url = reverse("contacts:company_export", args=["csv"])
    assert client.get(url).status_code == 403
    personas.north.members.add(personas.rep_other_team)
    assert client.get(url).status_code == 200
    personas.north.members.remove(personas.rep_other_team)
    assert client.get(url).status_code == 403
    personas.north.managers.add(personas.rep_other_team)
    assert client.get(url).status_code == 200


def test_a_change_to_team_membership_by_sql_is_seen_too(client, personas, exports_group):
    personas.north.permission_groups.add(exports_group)
    client.force_login(personas.rep_other_team)
    url = reverse("contacts:company_export", args=["csv"])
    assert client.get(url).status_code == 403
    with connection.cursor() as cursor:  # no model, no signal: only the trigger knows
        cursor.execute(
            "INSERT INTO crm_team_members (team_id, user_id) VALUES (%s, %s)",
            [personas.north.pk, personas.rep_other_team.pk],
        )
    assert client.get(url).status_code == 200


def test_the_org_setting_narrows_a_manager_on_the_next_request(client, personas):
    CompanyFactory(name="Another team's", owner=personas.rep_other_team)
    client.force_login(personas.manager)
    names = lambda: [c.name for c in client.get(reverse("contacts:company_list")).context["page"]]  # noqa: E731
    assert "Another team's" in names()
    settings_row = OrganisationSettings.load()
    settings_row.managers_see_only_their_teams = True
    settings_row.save()
    assert "Another team's" not in names()


def test_the_org_setting_narrows_a_rep_on_the_next_request(client, personas):
    CompanyFactory(name="Someone else's", owner=personas.manager)
    client.force_login(personas.rep)
    names = lambda: [c.name for c in client.get(reverse("contacts:company_list")).context["page"]]  # noqa: E731
    assert "Someone else's" in names()
    settings_row = OrganisationSettings.load()
    settings_row.reps_see_only_own_customers = True
    settings_row.save()
    assert "Someone else's" not in names()


def test_a_login_does_not_drop_the_cache(db):
    user = UserFactory(role=Role.NORMAL_USER)
    generation = lookup_cache.current_generation()
    user.save(update_fields=["last_login"])
    assert lookup_cache.current_generation() == generation
    user.first_name = "Renamed"
    user.save(update_fields=["first_name"])  # shown in the owner dropdowns
    assert lookup_cache.current_generation() != generation


def test_every_watched_table_has_its_trigger(db):
    lookups = [m._meta.db_table for m in apps.get_models() if issubclass(m, Lookup)]
    expected = {
        *lookups,
        "contacts_searchfield",
        "crm_organisationsettings",
        "crm_user",
        "auth_group",
        # A team's permission groups reach its members and managers (crm.auth_backends).
        "crm_team_permission_groups",
        "crm_team_members",
        "crm_team_managers",
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s",
            [lookup_cache.TRIGGER],
        )
        with_trigger = {row[0] for row in cursor.fetchall()}
    assert expected <= with_trigger
    assert not {"contacts_company", "contacts_person", "opportunities_deal"} & with_trigger


class ChoicesForm(forms.Form):
    sector = forms.ModelChoiceField(queryset=Sector.objects.all())
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True))
    named_user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).only("username", "first_name", "last_name")
    )
    team = forms.ModelChoiceField(queryset=Team.objects.all())


def labels(field: str, form: forms.Form | None = None) -> list[str]:
    return [str(label) for _value, label in (form or ChoicesForm()).fields[field].choices]


def test_model_choice_fields_over_watched_tables_are_read_once(db, django_assert_num_queries):
    labels("sector")
    with django_assert_num_queries(1):  # the generation (once per request in a request)
        assert "Public" in labels("sector")
    Sector.objects.create(name="Nonprofit")
    assert "Nonprofit" in labels("sector")


def test_a_queryset_reading_an_unwatched_column_or_table_is_not_kept(db):
    user = UserFactory(username="u1", first_name="Ann", last_name="Lee")

    def queries_of(field: str, form=None) -> list[str]:
        labels(field, form)
        with CaptureQueriesContext(connection) as context:
            labels(field, form)
        return [query["sql"] for query in context.captured_queries]

    # Every column of the user: the e-mail is not watched (a change would not be seen), so the
    # users are read each time; names only: kept (only the generation is read).
    assert ['FROM "crm_user"' in sql for sql in queries_of("user")] == [True]
    assert [lookup_cache.GENERATION_TABLE in sql for sql in queries_of("named_user")] == [True]
    team = Team.objects.create(name="Mine")
    team.members.add(user)  # team membership is watched (it decides permissions)...
    CompanyFactory(team=team)
    mine = ChoicesForm()
    # ...companies are not: a team with a company filed under it is read each time.
    mine.fields["team"].queryset = Team.objects.filter(members=user, pk__in=Company.objects.values("team"))
    assert ["contacts_company" in sql for sql in queries_of("team", mine)] == [True]
    assert labels("team", mine) == ["---------", "Mine"]


def test_options_of_a_cached_field_validate_and_count(db):
    sector = Sector.objects.first()
    form = ChoicesForm({"sector": sector.pk})
    form.is_valid()
    assert form.cleaned_data["sector"] == sector
    assert len(form.fields["sector"].choices) == Sector.objects.count() + 1


def test_the_process_keeps_a_bounded_number_of_values(db, monkeypatch):
    monkeypatch.setattr(lookup_cache._lookups, "max_values", 3)
    for number in range(10):
        lookup_cache.cached(("test", number), lambda number=number: number)
    assert len(lookup_cache._values) <= 3
    assert lookup_cache.cached(("test", 9), lambda: "read again") == 9


# -- Who is signed in: sessions and users kept until one is written (crm/sessions.py) ------------


def dashboard_status(client) -> int:
    return client.get(reverse("dashboard")).status_code


def sql(statement: str, params=()) -> None:
    """A write as another process (psql, a worker) makes it: no Django signal."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_session_deleted_elsewhere_ends_on_the_next_request(rep_client):
    assert dashboard_status(rep_client) == 200
    assert dashboard_status(rep_client) == 200  # now served from the process's memory
    sql("DELETE FROM django_session")
    assert dashboard_status(rep_client) == 302


def test_a_user_deactivated_elsewhere_is_signed_out_on_the_next_request(rep_client, rep):
    assert dashboard_status(rep_client) == 200
    sql("UPDATE crm_user SET is_active = false WHERE id = %s", [rep.pk])
    assert dashboard_status(rep_client) == 302


def test_a_password_changed_elsewhere_signs_the_other_sessions_out(rep_client, rep):
    assert dashboard_status(rep_client) == 200
    rep.set_password("a fresh password for rep")
    sql("UPDATE crm_user SET password = %s WHERE id = %s", [rep.password, rep.pk])
    assert dashboard_status(rep_client) == 302


def test_a_role_changed_elsewhere_reaches_the_next_request(rep_client, rep):
    assert rep_client.get(reverse("dashboard")).wsgi_request.user.role == Role.NORMAL_USER
    manager_group = Group.objects.get(name=Role.MANAGER.value)
    sql("DELETE FROM crm_user_groups WHERE user_id = %s", [rep.pk])
    sql("INSERT INTO crm_user_groups (user_id, group_id) VALUES (%s, %s)", [rep.pk, manager_group.pk])
    assert rep_client.get(reverse("dashboard")).wsgi_request.user.role == Role.MANAGER


def test_a_warm_request_reads_neither_session_nor_user(rep_client, django_assert_num_queries):
    rep_client.get(reverse("profile"))
    with CaptureQueriesContext(connection) as context:
        assert dashboard_status(rep_client) == 200
    tables = " ".join(query["sql"] for query in context.captured_queries)
    assert "django_session" not in tables and '"crm_user"."password"' not in tables


def test_each_request_gets_its_own_user_object(rep):
    from crm.auth_backends import RoleBackend

    first, second = RoleBackend().get_user(rep.pk), RoleBackend().get_user(rep.pk)
    first.note_of_this_request = "mine"
    first._state.fields_cache["anything"] = object()
    assert first is not second
    assert not hasattr(second, "note_of_this_request") and "anything" not in second._state.fields_cache


def test_every_identity_table_has_its_trigger(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table FROM information_schema.triggers WHERE trigger_name = %s",
            [lookup_cache.IDENTITY_TRIGGER],
        )
        tables = {row[0] for row in cursor.fetchall()}
    assert tables == {"django_session", "crm_user"}


def company_row_cells(client) -> str:
    return client.get(reverse("contacts:company_list")).content.decode()


def test_list_rows_name_a_renamed_owner_status_or_sector_on_the_next_request(rep_client, rep):
    """The company rows take the owner's, status' and sector's names from kept tables, not a
    join: each rename (by ORM or SQL) shows on the next request."""
    sector = Sector.objects.create(name="Old sector")
    CompanyFactory(name="Renamed Ltd", owner=rep, sector=sector)
    page = company_row_cells(rep_client)
    assert "Old sector" in page and str(rep) in page
    with connection.cursor() as cursor:
        cursor.execute("UPDATE contacts_sector SET name = 'New sector' WHERE id = %s", [sector.pk])
    User.objects.filter(pk=rep.pk).update(first_name="Renata", last_name="Renamed")
    page = company_row_cells(rep_client)
    assert "New sector" in page and "Old sector" not in page
    assert "Renata Renamed" in page


def test_a_row_added_after_the_table_was_kept_is_read_on_its_own(db):
    """A user created after the request read its generation (a sales order's new owner, say)
    is not in the kept table yet: it is read by itself rather than failing the page."""
    names = lookup_cache.labels(User, "first_name", "last_name", "username")
    late = User.objects.create(username="late-owner", first_name="Late", last_name="Comer")
    assert late.pk not in dict(names)
    assert names[late.pk] == "Late Comer"
    stages = lookup_cache.table(Sector, "name")
    late_sector = Sector.objects.create(name="Late sector")
    assert stages[late_sector.pk] == ("Late sector",)


def test_only_watched_tables_and_columns_are_kept_whole(db):
    with pytest.raises(ValueError, match="not watched"):
        lookup_cache.table(Company, "name")
    with pytest.raises(ValueError, match="email"):
        lookup_cache.labels(User, "email")
