"""No page does more work when the tables grow: every GET route of the project, Django admin
included, runs the same number of queries and fetches the same number of rows on a small data
set and on one three times as large.

This is the guard behind the benchmark (`make bench`): a picker that iterates its table, a card
panel without a cap, an N+1 over rows shown all make a page's work grow with the data, and
fail here. Exports are the one kind of page whose output is every row; their query count is
still checked.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from axes.models import AccessLog
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from crm.documents import document_attach
from opportunities.models import Pipeline
from opportunities.sales import services as sales
from tests.access_matrix import ROUTES, ListRoute, get_route_urls
from tests.factories import ActivityFactory, CompanyFactory, DealFactory, LeadFactory, PersonFactory
from tests.imports.records import grow_import_rows, import_jobs_by_owner
from tests.marketing.core.records import campaigns_by_owner, grow_marketing, plans_by_owner
from tests.marketing.mailings.records import email_campaigns_by_owner, grow_recipients
from tests.marketing.webforms.records import grow_submissions, webforms_by_owner
from tests.support.tickets import records as ticket_records

SMALL = 110  # above every page size and cap: lists 50, board columns 50, admin lists 100
GROWTH = 3
PERSONAS = ["admin", "manager", "rep", "restricted"]
TERM = "grow"  # every grown record has a word starting with it
EXPORTS = {name for name, route in ROUTES.items() if isinstance(route, ListRoute) and "export" in name}
QUERY_VARIANTS = {
    "contacts:company_autocomplete": [f"q={TERM}"],
    "contacts:person_autocomplete": [f"q={TERM}"],
    "contacts:company_list": [f"q={TERM}", "ordering=-name"],
    "contacts:person_list": [f"q={TERM}"],
    "leads:lead_list": [f"q={TERM}"],
    "opportunities:deal_list": [f"q={TERM}"],
    "activities:activity_deal_autocomplete": [f"q={TERM}"],
    "activities:activity_lead_autocomplete": [f"q={TERM}"],
    "activities:timeline_panel": ["history=40"],
    "activities:activity_create": ["kind=meeting"],
}


@dataclass
class Work:
    status: int
    queries: int
    rows: int


class WorkCounter:
    """An execute wrapper counting the queries and the rows their results hold."""

    def __init__(self):
        self.queries = 0
        self.rows = 0

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        self.queries += 1
        cursor = context["cursor"]
        if cursor.description is not None and cursor.rowcount > 0:
            self.rows += cursor.rowcount
        return result


def work_of(client, url: str) -> Work:
    counter = WorkCounter()
    with connection.execute_wrapper(counter):
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    return Work(response.status_code, counter.queries, counter.rows)


@pytest.fixture
def world(personas, media_root):
    """One record of each kind, owned by the rep, that every grown record hangs on."""
    rep = personas.rep
    company = CompanyFactory(name="Hub Archive AB", owner=rep, email_domain="hub.example")
    person = PersonFactory(first_name="Hub", last_name="Contact", company=company, owner=rep)
    lead = LeadFactory(last_name="Hub", company_name="Hub Archive", email="lead@hub.example", owner=rep)
    pipeline = Pipeline.objects.get(name="Standard")
    deal = DealFactory(name="Hub deal", pipeline=pipeline, company=company, primary_contact=person, owner=rep)
    document = document_attach(
        actor=personas.admin,
        record=company,
        uploaded_file=SimpleUploadedFile("hub.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
    )
    sales.deal_line_add(
        actor=personas.admin,
        deal=deal,
        values={"description": "Box", "quantity": 1, "unit_price": Decimal(1)},
    )
    quote = sales.quote_create(actor=personas.admin, deal=deal)
    won_deal = DealFactory(name="Hub won deal", pipeline=pipeline, company=company, owner=rep)
    sales.deal_line_add(
        actor=personas.admin,
        deal=won_deal,
        values={"description": "Box", "quantity": 1, "unit_price": Decimal(1)},
    )
    type(won_deal).objects.filter(pk=won_deal.pk).update(stage=pipeline.stages.get(kind="won"))
    won_deal.refresh_from_db()
    order = sales.sales_order_for_won_deal(actor=personas.admin, deal=won_deal)
    activity = ActivityFactory(subject="Hub call", company=company, owner=rep)
    import_job = import_jobs_by_owner(personas)["rep"]
    plan = plans_by_owner(personas)["rep"]
    campaign = campaigns_by_owner(personas, {"rep": plan})["rep"]
    email_campaign = email_campaigns_by_owner(personas)["rep"]  # marketing: e-mail campaigns
    grow_recipients(email_campaign, [person])
    webform = webforms_by_owner(personas)["rep"]  # marketing: web forms and website tracking
    support_records: dict = {}
    # support: tickets
    support_records["ticket"] = ticket_records.hub_ticket(personas, company, person)
    # support: SLA, contracts, workload and reports
    from tests.support.sla.records import hub_contract

    support_records["contract"] = hub_contract(personas, company)
    # support: knowledge base
    from support.knowledge.models import Article
    from tests.support.knowledge.records import articles_by_owner

    support_records["article"] = articles_by_owner(personas, status=Article.Status.PUBLISHED)["rep"]
    # support: portal and e-mail in
    return {
        "personas": personas,
        "records": {
            "company": company,
            "person": person,
            "lead": lead,
            "document": document,
            "deal": deal,
            "quote": quote,
            "order": order,
            "activity": activity,
            "import_job": import_job,
            "plan": plan,
            "campaign": campaign,
            "segment": email_campaign.segment,
            "email_campaign": email_campaign,
            "webform": webform,
            **support_records,
        },
        "grown": 0,
    }


def grow(world, count: int) -> None:
    """`count` more companies, people, leads, deals and documents, most of them on the hub records,
    and `count // 4` more changes in the hub records' history. Half belong to nobody, so that even
    a Restricted user sees more rows than any page shows."""
    personas, hub = world["personas"], world["records"]
    owners = [None, personas.rep, None, personas.rep_other_team]
    close = timezone.localdate() + datetime.timedelta(days=3)
    stage = hub["deal"].pipeline.stages.order_by("position").first()
    start = world["grown"]
    activities = []
    for number in range(start, start + count):
        owner = owners[number % len(owners)]
        company = CompanyFactory(
            name=f"Growth {number} AB", email_domain=f"growth{number}.example", owner=owner
        )
        PersonFactory(last_name="Grower", company=hub["company"], owner=owner)
        PersonFactory(last_name="Grower", company=company, owner=owner)
        LeadFactory(last_name="Grower", company_name=f"Growth {number}", owner=owner)
        DealFactory(
            name=f"Growth deal {number}",
            pipeline=hub["deal"].pipeline,
            stage=stage,
            company=hub["company"],
            primary_contact=hub["person"],
            expected_close_date=close,
            value=Decimal(100),
            owner=owner,
        )
        for record in (hub["company"], hub["deal"]):
            document_attach(
                actor=personas.admin,
                record=record,
                uploaded_file=SimpleUploadedFile(
                    f"growth-{number}.txt", b"growth", content_type="text/plain"
                ),
            )
        activities.extend(grow_activities(hub, owner, number))
    Activity.objects.bulk_create(activities)
    grow_import_rows(hub["import_job"], count, start)
    grow_marketing(hub, count, start)  # marketing: plans, campaigns, segments, scoring and mail settings
    grow_recipients(hub["email_campaign"], start=start)  # marketing: e-mail campaigns
    grow_submissions(
        hub["webform"], count, start, lead=hub["lead"]
    )  # marketing: web forms and website tracking
    # support: tickets
    ticket_records.grow_tickets(hub, count, start)
    # support: SLA, contracts, workload and reports
    from tests.support.sla.records import grow_contracts

    grow_contracts(hub, count, start)
    # support: knowledge base
    from tests.support.knowledge.records import grow_articles

    grow_articles(hub["article"], count, start)
    # support: portal and e-mail in
    AccessLog.objects.bulk_create(
        AccessLog(username=f"grower{number}", ip_address="192.0.2.1", user_agent="test", path_info="/")
        for number in range(start, start + count)
    )
    for number in range(count // 4):
        for kind in ("company", "person", "lead", "deal"):
            record = type(hub[kind]).objects.get(pk=hub[kind].pk)
            record.description = f"Change {start + number}"
            record.save()
    world["grown"] = start + count


def grow_activities(hub, owner, number: int) -> list:
    """Activities on the hub records (unsaved, for one bulk_create): per record an overdue, a
    today's and an upcoming to-do, a done and a cancelled one, and an open first meeting, so that
    at the small size already every section, timeline and lane holds more than it shows."""
    from activities.models import Activity, ActivityType, MeetingCategory

    now = timezone.now()
    today_later = now + (timezone.localtime(now).replace(hour=23, minute=59) - timezone.localtime(now)) / 2
    phone_call = ActivityType.objects.get(name="Phone call")
    first_meeting = MeetingCategory.objects.get(name="First meeting")
    activities = []
    for link in ("company", "deal", "person"):
        links = {"company": hub["company"], link: hub[link]}
        todo = {"kind": "todo", "activity_type": phone_call, "owner": owner, **links}
        for when in (
            now - datetime.timedelta(days=1 + number % 5),
            today_later,
            now + datetime.timedelta(days=1 + number % 5),
        ):
            activities.append(Activity(subject=f"Grow call {number}", due_at=when, **todo))
        activities.append(
            Activity(
                subject=f"Grow visit {number}", status="done", outcome="Done", due_at=now,
                done_at=now - datetime.timedelta(days=number % 30), **todo,
            )
        )  # fmt: skip
        activities.append(
            Activity(subject=f"Grow cancelled {number}", status="cancelled", due_at=now, **todo)
        )
        activities.append(
            Activity(
                subject=f"Grow first meeting {number}", kind="meeting", meeting_category=first_meeting,
                due_at=now + datetime.timedelta(days=2), owner=owner, **links,
            )
        )  # fmt: skip
    return activities


def admin_urls(records) -> list[tuple[str, str]]:
    """The changelist, add and change page of every model in Django admin."""
    urls = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(
            (f"admin:{info[0]}_{info[1]}_changelist", reverse("admin:{}_{}_changelist".format(*info)))
        )
        urls.append((f"admin:{info[0]}_{info[1]}_add", reverse("admin:{}_{}_add".format(*info))))
        instance = next((record for record in records.values() if isinstance(record, model)), None)
        if instance is None:
            instance = model._default_manager.order_by("pk").first()
        if instance is not None:
            urls.append(
                (
                    f"admin:{info[0]}_{info[1]}_change",
                    reverse("admin:{}_{}_change".format(*info), args=[instance.pk]),
                )
            )
    return urls


def measure_everything(client, world) -> dict[tuple[str, str], Work]:
    personas, records = world["personas"], world["records"]
    measured = {}
    urls = get_route_urls(records, query_variants=QUERY_VARIANTS)
    for persona in PERSONAS:
        client.force_login(getattr(personas, persona))
        for label, url in urls:
            measured[(persona, label)] = work_of(client, url)
        if persona == "admin":
            for label, url in admin_urls(records):
                measured[(persona, label)] = work_of(client, url)
        client.logout()
    return measured


def test_no_page_does_more_work_when_the_tables_grow(client, world):
    grow(world, SMALL)
    small = measure_everything(client, world)
    grow(world, SMALL * (GROWTH - 1))
    large = measure_everything(client, world)

    assert small.keys() == large.keys()
    grew = []
    for key, before in small.items():
        after = large[key]
        route = key[1].split("?")[0]
        if route in EXPORTS:
            after.rows = before.rows  # an export's output is every matching row
        # Fewer is fine: the first pass fills caches (content types) that the second reuses.
        if after.status != before.status or after.queries > before.queries or after.rows > before.rows:
            grew.append(f"{key[0]} GET {key[1]}: {before} → {after}")
    assert not grew, "\n".join(grew)
    # 405: a POST-only route the resolver lists (the portal's sign-out; TOKEN_ROUTES says so).
    assert {work.status for work in small.values()} <= {200, 302, 403, 404, 405}
    # The pages that matter were really rendered, not refused.
    assert small[("rep", "opportunities:deal_detail")].status == 200
    assert small[("rep", "contacts:person_update")].status == 200
    assert small[("admin", "admin:opportunities_deal_change")].status == 200
