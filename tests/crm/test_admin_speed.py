"""Django admin pages run a fixed number of queries however many rows they show: a changelist with
one row costs what a full page costs (no query per row for a related record, a role, a stage's
pipeline), a change page with one inline row what it costs with many, and the big tables'
changelists read a page's ids first and count their rows once (crm.admin.BigTableAdminMixin).

The benchmark (scripts/bench.sh --only admin:) times them on the large data set."""

import pytest
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from contacts.models import BuyingInfluence, CompanyStatus, Person, Sector, Segment
from crm.models import AuditEvent, Role
from leads.models import Lead, LeadSource
from opportunities.models import Deal, DealContact, Pipeline
from tests.factories import CompanyFactory, DealFactory, LeadFactory, PersonFactory, UserFactory

PAGE = 50  # crm.admin.BigTableAdminMixin.list_per_page


def owners(personas):
    return [personas.rep, personas.manager, personas.rep_other_team, None]


def make_deals(personas, rows):
    """Deals spread over every pipeline and stage, each with its own company."""
    stages = [stage for pipeline in Pipeline.objects.all() for stage in pipeline.stages.all()]
    for number in range(rows):
        stage = stages[number % len(stages)]
        DealFactory(
            pipeline=stage.pipeline,
            stage=stage,
            company=CompanyFactory(),
            owner=owners(personas)[number % 4],
        )


def make_users(personas, rows):
    """Users named "staff…" (the list is searched for them: the personas are users too)."""
    roles = list(Role)
    for number in range(rows):
        UserFactory(username=f"staff{number}", role=roles[number % len(roles)])


def make_leads(personas, rows):
    sources = list(LeadSource.objects.all())
    for number in range(rows):
        LeadFactory(
            source=sources[number % len(sources)], owner=owners(personas)[number % 4], grade="AB"[number % 2]
        )


def make_companies(personas, rows):
    statuses, sectors, segments = CompanyStatus.objects.all(), Sector.objects.all(), Segment.objects.all()
    for number in range(rows):
        CompanyFactory(
            owner=owners(personas)[number % 4],
            team=[personas.north, personas.south, None][number % 3],
            status=statuses[number % len(statuses)],
            sector=sectors[number % len(sectors)],
            segment=segments[number % len(segments)],
        )


def make_people(personas, rows):
    for number in range(rows):
        PersonFactory(company=CompanyFactory(), owner=owners(personas)[number % 4])


# Every changelist: the generations (the session and the user with its role groups are kept by
# crm.lookup_cache), the sidebar's "add settings?" checks (organisation and GDPR settings), the
# list filters' choices, the count (once: show_full_result_count is off on the big tables), the
# page's rows with their related records.
CHANGELISTS = {
    # + filters: pipelines, stages with their pipelines, sectors, verticals, teams
    "admin:opportunities_deal_changelist": (make_deals, 10, {}),
    # + filters: groups, teams; users with their role groups' names; Django's two counts
    "admin:crm_user_changelist": (make_users, 8, {"q": "staff"}),
    # + filters: sources, business units, teams (the grade is typed in, not read from every lead)
    "admin:leads_lead_changelist": (make_leads, 8, {}),
    # + filters: statuses, sectors, segments, markets, life cycles, contact types, categories, teams
    "admin:contacts_company_changelist": (make_companies, 13, {}),
    # + filters: business units, buying influences, teams
    "admin:contacts_person_changelist": (make_people, 8, {}),
}


@pytest.mark.parametrize("rows", [1, PAGE])
@pytest.mark.parametrize("route", CHANGELISTS)
def test_admin_changelist_query_count_does_not_grow_with_the_rows(
    client, admin, personas, route, rows, django_assert_num_queries
):
    make, queries, params = CHANGELISTS[route]
    make(personas, rows)
    client.force_login(admin)
    url = reverse(route)
    client.get(url, params)
    with django_assert_num_queries(queries):
        response = client.get(url, params)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize(
    ("route", "make", "single_page_queries"),
    [
        ("admin:opportunities_deal_changelist", make_deals, 10),
        ("admin:leads_lead_changelist", make_leads, 8),
        ("admin:contacts_person_changelist", make_people, 8),
    ],
)
def test_a_later_page_of_a_big_table_reads_its_ids_first_and_costs_the_same_as_the_first(
    client, admin, personas, route, make, single_page_queries, django_assert_num_queries
):
    make(personas, 2 * PAGE + 10)
    model = {"opportunities": Deal, "leads": Lead, "contacts": Person}[route.split(":")[1].split("_")[0]]
    client.force_login(admin)
    url = reverse(route)
    client.get(url, {"p": 3})  # the process keeps the session and the user from here on
    shown = []
    for page in (1, 2, 3):
        # One more than a single page: the page's ids, then those rows.
        with django_assert_num_queries(single_page_queries + 1):
            response = client.get(url, {"p": page})
        shown += [row.pk for row in response.context["cl"].result_list]
    # In the list's order, each row once, none left out.
    assert shown == list(model._default_manager.order_by(*model._meta.ordering).values_list("pk", flat=True))


@pytest.mark.parametrize("contacts", [1, 12])
def test_deal_change_page_query_count_does_not_grow_with_its_contacts(
    client, admin, personas, contacts, django_assert_num_queries
):
    deal = DealFactory(company=CompanyFactory(), primary_contact=PersonFactory(), owner=personas.rep)
    roles = list(BuyingInfluence.objects.all())
    for number in range(contacts):
        DealContact.objects.create(deal=deal, person=PersonFactory(), role=roles[number % len(roles)])
    client.force_login(admin)
    url = reverse("admin:opportunities_deal_change", args=[deal.pk])
    client.get(url)
    # the generations (session and user kept), the deal, its colleagues, its contacts with their
    # people and roles, the sidebar's checks (organisation and GDPR settings), the chosen owner,
    # company and primary contact of the autocompletes, and the users of the colleagues' <select>
    # (it reads columns no trigger watches); the other <select>s (teams, pipelines, stages, volume units, sectors, verticals,
    # business units, roles for every contact) come from crm.lookup_cache
    with django_assert_num_queries(11):
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    person = DealContact.objects.filter(deal=deal).select_related("person").first().person
    # Each contact's autocomplete still shows its person, chosen.
    assert f'<option value="{person.pk}" selected>{person}</option>' in page


def test_deal_add_page_reads_the_stages_with_their_pipelines_at_once(
    client, admin, django_assert_num_queries
):
    client.force_login(admin)
    url = reverse("admin:opportunities_deal_add")
    client.get(url)
    # the generations (session and user kept), the sidebar's two settings checks, and the
    # <select>s crm.lookup_cache cannot keep (users); teams, pipelines, stages with their pipelines, volume units, sectors,
    # verticals, business units and roles come from the cache
    with django_assert_num_queries(5):
        response = client.get(url)
    assert response.status_code == 200


def test_lead_grade_is_filtered_by_the_value_typed_in(client, admin, personas):
    LeadFactory(last_name="Graded", grade="A")
    LeadFactory(last_name="Ungraded", grade="")
    client.force_login(admin)
    url = reverse("admin:leads_lead_changelist")

    page = client.get(url)
    assert page.status_code == 200
    assert b'name="grade"' in page.content  # a box, not a list of every lead's grade

    filtered = client.get(url, {"grade": "A", "status__exact": Lead.Status.NEW})
    assert [lead.last_name for lead in filtered.context["cl"].result_list] == ["Graded"]
    # Submitting the box again keeps the other filters.
    assert b'<input type="hidden" name="status__exact" value="new">' in filtered.content

    everything = client.get(url, {"grade": ""})
    assert everything.status_code == 200
    assert len(everything.context["cl"].result_list) == 2


def test_the_user_list_shows_each_role_without_asking_per_user(client, admin, personas):
    client.force_login(admin)
    response = client.get(reverse("admin:crm_user_changelist"))
    roles = {user.username: user.role for user in response.context["cl"].result_list}
    assert roles["rep"] == Role.NORMAL_USER
    assert roles["manager"] == Role.MANAGER
    assert roles["admin"] == Role.ADMINISTRATOR


def form_data(page) -> dict:
    """What the browser posts back from an admin change page as it was rendered."""
    bound_forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        bound_forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in bound_forms:
        for bound in form:
            value = bound.value()
            if isinstance(bound.field, forms.JSONField):
                value = bound.field.prepare_value(value)
            if value is not None and value is not False:
                data[bound.html_name] = value
    return data


def test_a_deal_saved_in_admin_with_its_contacts_still_goes_through_the_versioned_save(
    client, admin, personas
):
    deal = DealFactory(company=CompanyFactory(), owner=personas.rep)
    first, second = BuyingInfluence.objects.all()[:2]
    contact = DealContact.objects.create(deal=deal, person=PersonFactory(), role=first)
    client.force_login(admin)
    url = reverse("admin:opportunities_deal_change", args=[deal.pk])
    data = form_data(client.get(url))
    data["name"] = "Renamed in admin"
    prefix = next(name for name in data if name.endswith("-0-role")).removesuffix("role")
    data[f"{prefix}role"] = second.pk

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    deal.refresh_from_db()
    contact.refresh_from_db()
    assert (deal.name, deal.version, contact.role) == ("Renamed in admin", 2, second)
    audited = set(AuditEvent.objects.filter(object_id=str(deal.pk)).values_list("verb", flat=True))
    assert {"update", "change contact role"} <= audited


def test_the_deal_stage_filter_names_each_stage_with_its_pipeline(client, admin, personas):
    make_deals(personas, 1)
    stage = Deal.objects.select_related("stage__pipeline").get().stage
    client.force_login(admin)
    response = client.get(reverse("admin:opportunities_deal_changelist"))
    assert f"{stage.pipeline.name}: {stage.name}" in response.content.decode()


def test_audit_events_are_filtered_by_the_verb_typed_in(client, admin, personas):
    company = CompanyFactory()
    for verb in ("merge", "update"):
        AuditEvent.objects.create(
            actor=admin,
            verb=verb,
            content_type_id=ContentType.objects.get_for_model(company).pk,
            object_id=str(company.pk),
            object_repr=str(company),
        )
    client.force_login(admin)
    response = client.get(reverse("admin:crm_auditevent_changelist"), {"verb": "merge"})
    assert [event.verb for event in response.context["cl"].result_list] == ["merge"]
