"""Deal imports: the stage gate for open deals, past wins and losses on their dates, linking."""

import datetime

import pytest

from contacts.models import RequiredField
from crm import lookup_cache
from imports import services
from imports.models import ImportJob, Mode
from opportunities.models import Deal
from opportunities.sales.models import SalesOrder
from tests.factories import CompanyFactory, PersonFactory


@pytest.fixture(autouse=True)
def _relaxed(db):
    RequiredField.objects.update(is_required=False)
    lookup_cache.clear()


def _run(actor, text: str):
    job = services.job_create(actor=actor, kind="deals", data=text.encode(), file_name="deals.csv")
    services.job_start(actor=actor, job=job)
    return services.job_run_here(job=ImportJob.objects.get(pk=job.pk))


def _messages(job) -> dict[int, str]:
    return dict(job.rows.values_list("number", "message"))


def test_headings_are_guessed_and_only_creating_is_offered(manager):
    job = services.job_create(
        actor=manager,
        kind="deals",
        data="Affär;Pipeline;Fas;Företag;Kontaktperson;Värde;Avslutsdatum\n".encode(),
        file_name="d.csv",
    )
    assert job.mapping == {
        "0": "name", "1": "pipeline", "2": "stage", "3": "company", "4": "primary_contact",
        "5": "value", "6": "closed_on",
    }  # fmt: skip
    assert job.mode == Mode.CREATE
    with pytest.raises(services.ValidationError):
        services.job_configure(
            actor=manager, job=job, mapping=job.mapping, mode=Mode.CREATE_OR_UPDATE, match_key=""
        )


def test_an_open_deal_meets_the_stage_gate_and_a_rejected_row_names_the_rule(manager):
    acme = CompanyFactory(name="Acme AB", owner=manager, email_domain="acme.se")
    anna = PersonFactory(
        first_name="Anna", last_name="Berg", email="anna@acme.se", company=acme, owner=manager
    )
    job = _run(
        manager,
        "Name,Pipeline,Stage,Company,Primary contact,Value,Expected close date\n"
        "Big one,Classic,Quotation,acme.se,ANNA@acme.se,1000,2030-01-31\n"
        "No contact,Classic,Quotation,Acme AB,,1000,2030-01-31\n"
        "Early,Classic,Prospecting,,,,\n",
    )
    assert (job.created, job.rejected) == (2, 1)
    deal = Deal.objects.get(name="Big one")
    assert (deal.company, deal.primary_contact, deal.stage.name) == (acme, anna, "Quotation")
    assert deal.value == 1000 and deal.closed_on is None
    assert "Qualification needs a primary contact person" in _messages(job)[3]
    assert not Deal.objects.filter(name="No contact").exists()


def test_a_past_win_goes_straight_to_won_on_its_date_without_gate_or_sales_order(manager):
    job = _run(
        manager,
        "Name,Pipeline,Stage,Value,Close date,Lost reason\n"
        "Old win,Classic,Closed won,5000,2019-05-02,\n"
        "Old loss,Classic,Closed lost,,2018-01-10,\n"
        "Undated win,Classic,Closed won,10,,\n"
        "Future win,Classic,Closed won,10,2999-01-01,\n",
    )
    assert (job.created, job.rejected) == (2, 2)
    won = Deal.objects.get(name="Old win")
    assert won.stage.kind == "won" and won.closed_on == datetime.date(2019, 5, 2)
    assert won.company is None  # Qualification's gate (company, primary contact) did not apply
    assert Deal.objects.get(name="Old loss").closed_on == datetime.date(2018, 1, 10)
    assert not SalesOrder.objects.filter(deal=won).exists()
    assert "closed" in _messages(job)[4] and "future" in _messages(job)[5]


def test_unknown_or_ambiguous_links_reject_the_row_naming_the_field(manager):
    CompanyFactory(name="Twin", owner=manager)
    CompanyFactory(name="twin", owner=manager)
    job = _run(
        manager,
        "Name,Pipeline,Stage,Company\n"
        "A,Classic,Prospecting,Twin\n"
        "B,Classic,Prospecting,Nowhere Ltd\n"
        "C,Nowhere,Prospecting,\n"
        "D,Classic,Nowhere,\n",
    )
    messages = _messages(job)
    assert job.rejected == 4 and job.created == 0
    assert "Several" in messages[2] and "Nowhere Ltd" in messages[3]
    assert "pipeline" in messages[4] and "stage" in messages[5].lower()


def test_a_company_is_linked_by_its_org_number(manager):
    from crm.models import CustomFieldDefinition

    CustomFieldDefinition.objects.create(
        target="contacts.company", key="org_number", label="Org nr", field_type="text"
    )
    lookup_cache.clear()
    acme = CompanyFactory(name="Acme AB", owner=manager, custom_fields={"org_number": "556677-8899"})
    job = _run(manager, "Name,Pipeline,Company\nX,Classic,556677-8899\n")
    assert job.created == 1, _messages(job)
    assert Deal.objects.get(name="X").company == acme


def test_linking_costs_the_same_queries_for_one_row_or_fifty(manager):
    from imports.writers import writer_for

    CompanyFactory(name="Acme AB", owner=manager)

    def planned(count):
        text = "Name,Pipeline,Company\n" + "".join(f"D{n},Standard,Acme AB\n" for n in range(count))
        job = services.job_create(actor=manager, kind="deals", data=text.encode(), file_name="d.csv")
        rows = list(job.rows.order_by("number"))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            writer_for(job, manager).link(*_link_args(writer_for(job, manager), rows))
        return len(queries)

    planned(1)  # the per-process caches (custom fields, stages) filled
    assert planned(1) == planned(50) <= 5


def _link_args(writer, rows):
    from imports.writers import Planned

    raws = [writer.raw_values(row.cells) for row in rows]
    planned_rows = [Planned(number=row.number) for row in rows]
    values = [writer.convert(raw, p) for raw, p in zip(raws, planned_rows, strict=True)]
    return planned_rows, raws, values


def test_undo_removes_the_imported_deals(manager):
    job = _run(manager, "Name,Pipeline,Stage,Close date\nGone,Classic,Closed won,2020-01-01\n")
    services.job_undo(actor=manager, job=job)
    assert not Deal.objects.filter(name="Gone").exists()


def test_the_wizard_previews_and_runs_a_deal_import(client, manager, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(manager)
    assert b"kind=deals" in client.get(reverse("opportunities:deal_list")).content
    data = b"Name,Pipeline,Stage,Close date\nOld win,Classic,Closed won,2019-05-02\nBad,Classic,Closed won,\n"
    response = client.post(
        reverse("imports:job_create"), {"kind": "deals", "file": SimpleUploadedFile("d.csv", data)}
    )
    job = ImportJob.objects.get()
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200 and b"needs the date it was closed" in page.content
    post = {"column_0": "name", "column_1": "pipeline", "column_2": "stage", "column_3": "closed_on",
            "mode": "create_or_update", "match_key": "", "start": "1"}  # fmt: skip
    response = client.post(job.get_absolute_url(), post)
    assert response.status_code == 200 and ImportJob.objects.get().status == "draft"  # no update mode
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(job.get_absolute_url(), {**post, "mode": "create"})
    job.refresh_from_db()
    assert response.status_code == 302 and (job.created, job.rejected) == (1, 1)
