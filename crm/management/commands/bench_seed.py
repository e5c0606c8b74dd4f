"""Seed the benchmark's data set, once, into the database of the benchmark's data dir.

``scripts/bench.sh`` (``make bench``) runs it on the embedded PostgreSQL under ``var/bench``
(``CRM_BENCH_DIR``) before the walk (bench_routes). When it has finished it writes an audit
row (verb "bench seed") with what it seeded; later runs find the row, say so and stop, so a
second ``make bench`` goes straight to timing. Delete the data dir to seed again.

What it seeds, by default:

- the bench users: 50 sales reps (bench-rep-01…50) in five teams, a manager, an administrator;
- 100,000 companies and 300,000 people (``contacts.management.bench_data``), 40,000 deals over
  every pipeline, a third of them open (``opportunities.management.bench_deals``) with lines,
  buying-influence contacts and checklist ticks, 20,000 leads, a quarter of them converted
  (``leads.management.bench_leads``), a creation row in the change history of every company,
  person, deal and lead, and monthly sales targets: generated from fixed random seeds and
  loaded with COPY (``crm.bench_load``), rows/s printed per table; and 200,000 activities (twice
  the companies, ``--activities``) over the 50 reps, on their companies and deals
  (``activities.bench_activities``);
- then, for each rep, through the services as the rep would have made them, the records the
  walk opens as cards: a company of theirs with three people, two documents, an open deal (three
  lines, three contacts, a document and two quote versions with their PDFs), a won deal with its
  sales order (PDF), an open lead, a lead converted into that company, and a few changes to each
  (history rows);
- last VACUUM ANALYZE and CHECKPOINT, so that the walk measures a database in steady state.
"""

from __future__ import annotations

import datetime
import logging
import time
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone

from activities.bench_activities import activity_rows
from activities.models import Activity
from contacts import services as contact_services
from contacts.management.bench_data import (
    Generator,
    category_pairs,
    company_rows,
    person_rows,
    seed_users,
    team_of_reps,
)
from contacts.models import Company, CompanyStatus, Person
from crm import bench
from crm.bench_load import LoadReport, assign_ids, vacuum_analyse
from crm.documents import document_attach
from crm.models import AuditEvent, Team, User
from crm.services import audit_record
from imports import services as import_services
from leads import services as lead_services
from leads.management.bench_leads import LeadGenerator
from leads.models import Lead
from opportunities import services as deal_services
from opportunities.management.bench_deals import DealGenerator, PipelinePlan, pipeline_plans
from opportunities.models import CriterionConfirmation, Deal, DealContact, DealLine, Pipeline, SalesTarget
from opportunities.sales import services as sales

MARKER_VERB = "bench seed"
OPEN_SHARE = 1 / 3
LINES_SHARE = 0.5
CARD_PEOPLE = 3
CARD_LINES = 3


def seeded_marker() -> AuditEvent | None:
    """The audit row a finished seed leaves, if this database was seeded."""
    return AuditEvent.objects.filter(verb=MARKER_VERB).order_by("created_at").first()


def _creations(rows: list[dict]):
    """The "created" history row of each of `rows`, as django-simple-history would have written it."""
    for row in rows:
        yield {
            **row,
            "history_date": row["created_at"],
            "history_type": "+",
            "history_user_id": row["owner_id"],
        }


class Command(BaseCommand):
    help = (
        "Seed the benchmark data set (100,000 companies, 300,000 people, 40,000 deals, 20,000 leads "
        "and cards with documents, quotes and orders) once; later runs see that it is there and stop."
    )

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=100_000, help="companies (100,000)")
        parser.add_argument("--people", type=int, default=300_000, help="people (300,000)")
        parser.add_argument("--deals", type=int, default=40_000, help="deals, a third of them open (40,000)")
        parser.add_argument("--leads", type=int, default=20_000, help="leads, a quarter converted (20,000)")
        parser.add_argument(
            "--card-reps",
            type=int,
            default=50,
            help="how many reps (from bench-rep-01) get cards made through the services: documents, "
            "quotes and an order with their PDFs, history (50)",
        )
        parser.add_argument("--quotes", type=int, default=2, help="quote versions on each card deal (2)")
        parser.add_argument(
            "--activities",
            type=int,
            default=None,
            help="to-dos and meetings over the 50 reps (twice the companies: 200,000)",
        )

    def handle(self, *args, companies, people, deals, leads, card_reps, quotes, activities, **options):
        marker = seeded_marker()
        if marker is not None:
            rows = marker.changes.get("rows", {})
            volumes = ", ".join(
                f"{rows[name]:,} {name}" for name in ("companies", "people", "deals", "leads")
            )
            self.stdout.write(
                f"The bench data set was seeded on {timezone.localtime(marker.created_at):%Y-%m-%d %H:%M} "
                f"({volumes}): nothing to do. To seed again, delete the data dir ({settings.DATA_DIR})."
            )
            return
        if Company.objects.exists() or Deal.objects.exists() or Lead.objects.exists():
            raise CommandError(
                "This database holds records but no finished bench seed (an interrupted run?). "
                f"Delete the data dir ({settings.DATA_DIR}) and run again."
            )
        started = time.perf_counter()
        users = seed_users()
        self.stdout.write("Users: 50 sales reps (bench-rep-01…50) in 5 teams, bench-manager, bench-admin.")
        data = self.generate(
            users=users,
            counts={
                "companies": companies,
                "people": people,
                "deals": deals,
                "leads": leads,
                "activities": companies * 2 if activities is None else activities,
            },
            card_reps=card_reps,
        )
        generated = time.perf_counter() - started
        self.stdout.write(
            f"Generated {sum(len(rows) for rows in data['rows'].values()):,} rows in {generated:.1f} s."
        )
        report = self.load(data)
        bench.print_table(report.table(), self.stdout)

        started_cards = time.perf_counter()
        # xhtml2pdf warns about every CSS property it skips, on every PDF.
        logging.getLogger("xhtml2pdf").setLevel(logging.ERROR)
        made = self.make_cards(data["cards"], quotes=quotes)
        cards_seconds = time.perf_counter() - started_cards
        self.stdout.write(
            f"Cards of {len(data['cards'])} reps through the services: {made['documents']} documents, "
            f"{made['quotes']} quotes and {made['orders']} sales orders with their PDFs, "
            f"{made['changes']} changes in the history: {cards_seconds:.1f} s."
        )
        # imports
        # One finished import of the admin's (pasted cells, through the imports services), so that
        # the walk opens an import's pages too. Activities: the minimum-field setting that
        # rejects every company row without its lookups (contact type, sector…) does not apply.
        job = import_services.job_create(
            actor=users["admin"],
            kind="activities",
            pasted="Kind\tSubject\tDate\tDone\nmeeting\tBench import kick-off\t2024-03-04\tyes\n"
            "to-do\tBench import follow-up\t2030-01-02\tno\n",
        )
        import_services.job_start(actor=users["admin"], job=job, in_worker=False)
        import_services.job_run_here(job=job)
        # marketing: plans, campaigns, segments, scoring and mail settings
        from marketing.bench import bench_marketing_seed

        made_marketing = bench_marketing_seed(admin=users["admin"])
        self.stdout.write(f"Marketing: {made_marketing or 'already seeded'}.")
        # marketing: e-mail campaigns
        from marketing.mailings.bench import bench_mailings_seed

        made_mailings = bench_mailings_seed(admin=users["admin"])
        self.stdout.write(f"E-mail campaigns: {made_mailings or 'already seeded'}.")
        # marketing: web forms and website tracking
        from marketing.webforms.bench import bench_webforms_seed

        made_forms = bench_webforms_seed(admin=users["admin"], report=report)
        self.stdout.write(
            f"Web forms: {made_forms['forms']} forms, {made_forms['submissions']:,} submissions, "
            f"{made_forms['visits']:,} website visits."
        )
        # support: tickets
        # support: SLA, contracts, workload and reports
        from support.bench import bench_support_seed

        made_support = bench_support_seed(admin=users["admin"], report=report, tickets=companies * 5)
        self.stdout.write(f"Customer service: {made_support or 'already seeded'}.")
        # support: knowledge base
        from support.knowledge.bench import bench_knowledge_seed

        made_articles = bench_knowledge_seed(admin=users["admin"])
        if made_articles:
            self.stdout.write(
                f"Knowledge base: {made_articles['articles']:,} articles "
                f"in {made_articles['categories']} categories."
            )
        # support: portal and e-mail in
        started_vacuum = time.perf_counter()
        verb = vacuum_analyse()
        self.stdout.write(f"{verb}: {time.perf_counter() - started_vacuum:.1f} s.")
        total = time.perf_counter() - started
        counts = {
            "companies": Company.objects.count(),
            "people": Person.objects.count(),
            "deals": Deal.objects.count(),
            "leads": Lead.objects.count(),
            "activities": Activity.objects.count(),
        }
        audit_record(
            actor=users["admin"],
            verb=MARKER_VERB,
            instance=users["admin"],
            changes={"rows": counts, "seconds": round(total, 1), "copied": report.total_rows},
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Bench data set seeded in {total:.0f} s: "
                + ", ".join(f"{count:,} {name}" for name, count in counts.items())
                + "."
            )
        )

    # Generating ----------------------------------------------------------------------------------

    def generate(self, *, users: dict, counts: dict[str, int], card_reps: int) -> dict:
        """Every row to COPY, and the cards to finish through the services."""
        reps = users["reps"]
        team_of = team_of_reps()
        contacts = Generator(reps=reps, team_of=team_of)
        companies = company_rows(contacts, counts["companies"])
        cards = self.plant_card_companies(companies, reps[: max(card_reps, 0)], team_of)

        # Each card company gets people of its owner; the rest are spread as bench_data does.
        card_people = []
        for card in cards:
            for _ in range(CARD_PEOPLE):
                row = contacts.person(card["company"])
                row["owner_id"], row["team_id"] = card["company"]["owner_id"], card["company"]["team_id"]
                card_people.append(row)
        assign_ids(Person, card_people)
        people = card_people + person_rows(contacts, companies, max(counts["people"] - len(card_people), 0))
        people_by_company: dict[int, list[dict]] = {}
        for row in people:
            if row["company_id"]:
                people_by_company.setdefault(row["company_id"], []).append(row)
        for card in cards:
            card["people"] = people_by_company[card["company"]["id"]][:CARD_PEOPLE]

        plans = pipeline_plans()
        # The benchmark's organisation texts its customers: the board's batch SMS page is walked.
        Pipeline.objects.filter(pk__in=[plan.pipeline.pk for plan in plans]).update(sms_enabled=True)
        deal_maker = DealGenerator(
            reps=reps,
            team_of=team_of,
            plans=plans,
            companies=companies,
            people_by_company={key: [row["id"] for row in rows] for key, rows in people_by_company.items()},
        )
        card_deals = []
        for index, card in enumerate(cards):
            plan: PipelinePlan = plans[index % len(plans)]
            rep = card["rep"]
            card["open_deal"] = deal_maker.deal(
                plan=plan, stage=plan.open_stages[-1], company=card["company"], owner=rep
            )
            card["won_deal"] = deal_maker.deal(plan=plan, stage=plan.won, company=card["company"], owner=rep)
            card_deals += [card["open_deal"], card["won_deal"]]
        rest = max(counts["deals"] - len(card_deals), 0)
        open_count = max(round(counts["deals"] * OPEN_SHARE) - len(cards), 0)
        deals = card_deals + deal_maker.deals(
            open_count=min(open_count, rest), closed_count=rest - min(open_count, rest)
        )
        assign_ids(Deal, deals)
        lines, deal_contacts, ticks = [], [], []
        for index, deal in enumerate(deals):
            if index < len(card_deals):  # the cards' deals come first
                lines += deal_maker.lines(deal, count=CARD_LINES)
                deal_contacts += deal_maker.contacts(deal, count=CARD_PEOPLE)
            else:
                if deal_maker.random.random() < LINES_SHARE:
                    lines += deal_maker.lines(deal)
                deal_contacts += deal_maker.contacts(deal)
            ticks += deal_maker.confirmations(deal)

        leads = self.lead_rows(
            maker=LeadGenerator(contacts=contacts),
            count=counts["leads"],
            cards=cards,
            companies=companies,
            people_by_company=people_by_company,
            deals=deals,
        )
        return {
            "rows": {
                "companies": companies,
                "people": people,
                "deals": deals,
                "deal lines": lines,
                "deal contacts": deal_contacts,
                "checklist ticks": ticks,
                "leads": leads,
                "activities": activity_rows(
                    count=counts["activities"], reps=reps, companies=companies, deals=deals
                ),
            },
            "categories": category_pairs(contacts, companies),
            "targets": self.sales_targets(reps, users["teams"], deal_maker.random),
            "cards": cards,
        }

    def plant_card_companies(self, companies: list[dict], reps: list[User], team_of: dict) -> list[dict]:
        """A company for each rep's card: one the rep owns, or one given to them."""
        cards, taken = [], set()
        for rep in reps:
            company = next(
                (row for row in companies if row["owner_id"] == rep.pk and row["id"] not in taken), None
            ) or next((row for row in companies if row["id"] not in taken), None)
            if company is None:
                break  # fewer companies than card reps (tiny volumes)
            company["owner_id"], company["team_id"] = rep.pk, team_of.get(rep.pk)
            taken.add(company["id"])
            cards.append({"rep": rep, "company": company})
        return cards

    def lead_rows(
        self,
        *,
        maker: LeadGenerator,
        count: int,
        cards: list[dict],
        companies: list[dict],
        people_by_company: dict[int, list[dict]],
        deals: list[dict],
    ) -> list[dict]:
        """Each card rep's open lead and a lead converted into their card company, then the rest:
        converted ones became a person of a company and sometimes one of its deals."""
        leads = []
        for card in cards:
            card["open_lead"] = maker.lead(status=Lead.Status.WORKING, owner=card["rep"])
            converted = (card["company"], card["people"][0], card["open_deal"]["id"])
            leads += [card["open_lead"], maker.lead(owner=card["rep"], converted=converted)]
        company_by_id = {row["id"]: row for row in companies}
        deals_by_company: dict[int, list[int]] = {}
        for deal in deals:
            if deal["company_id"]:
                deals_by_company.setdefault(deal["company_id"], []).append(deal["id"])
        with_people = list(people_by_company)
        pick = maker.random
        for _ in range(max(count - len(leads), 0)):
            status = maker.status()
            if status != Lead.Status.CONVERTED or not with_people:
                leads.append(maker.lead(status=status))
                continue
            company_id = pick.choice(with_people)
            company_deals = deals_by_company.get(company_id, [])
            deal_id = pick.choice(company_deals) if company_deals and pick.random() < 0.4 else None
            person = pick.choice(people_by_company[company_id])
            leads.append(maker.lead(converted=(company_by_id[company_id], person, deal_id)))
        return assign_ids(Lead, leads)

    def sales_targets(self, reps: list[User], teams: list[Team], pick) -> list[SalesTarget]:
        """A monthly target per rep for the three months before and after this one, and a quarterly
        one per team for this quarter and the next."""
        today = timezone.localdate()
        first = today.replace(day=1)
        targets = []
        for offset in range(-3, 4):
            month_index = first.month - 1 + offset
            start = datetime.date(first.year + month_index // 12, month_index % 12 + 1, 1)
            for rep in reps:
                amount = Decimal(pick.randrange(20_000, 120_000, 5_000))
                targets.append(SalesTarget(user=rep, period_type="month", period_start=start, amount=amount))
        quarter = (today.month - 1) // 3 * 3 + 1
        for offset in (0, 3):
            month_index = quarter - 1 + offset
            start = datetime.date(today.year + month_index // 12, month_index % 12 + 1, 1)
            for team in teams:
                amount = Decimal(pick.randrange(500_000, 2_000_000, 50_000))
                targets.append(
                    SalesTarget(team=team, period_type="quarter", period_start=start, amount=amount)
                )
        return targets

    # Loading -------------------------------------------------------------------------------------

    @transaction.atomic
    def load(self, data: dict) -> LoadReport:
        rows = data["rows"]
        report = LoadReport()
        report.copy("companies", Company, rows["companies"], with_pk=True)
        field = Company.categories.field
        report.copy_pairs(
            "company categories",
            field.remote_field.through._meta.db_table,
            (field.m2m_column_name(), field.m2m_reverse_name()),
            data["categories"],
        )
        report.copy("people", Person, rows["people"], with_pk=True)
        report.copy("deals", Deal, rows["deals"], with_pk=True)
        report.copy("deal lines", DealLine, rows["deal lines"])
        report.copy("deal contacts", DealContact, rows["deal contacts"])
        report.copy("checklist ticks", CriterionConfirmation, rows["checklist ticks"])
        report.copy("leads", Lead, rows["leads"], with_pk=True)
        report.copy("activities", Activity, rows["activities"])
        for name, model in (("companies", Company), ("people", Person), ("deals", Deal), ("leads", Lead)):
            history: type[models.Model] = model.history.model
            report.copy(f"history of {name}", history, _creations(rows[name]))
        started = time.perf_counter()
        SalesTarget.objects.bulk_create(data["targets"])
        report.add("sales targets (bulk_create)", len(data["targets"]), time.perf_counter() - started)
        return report

    # Cards, through the services -----------------------------------------------------------------

    def make_cards(self, cards: list[dict], *, quotes: int) -> dict[str, int]:
        made = {"documents": 0, "quotes": 0, "orders": 0, "changes": 0}
        if not cards:
            return made
        agreement = sales.html_to_pdf(
            html="<h1>Framework agreement</h1><p>Digitisation and long-term preservation services.</p>",
            title="Framework agreement",
        )
        statuses = list(CompanyStatus.objects.values_list("pk", flat=True))
        for index, card in enumerate(cards):
            rep = card["rep"]
            company = Company.objects.get(pk=card["company"]["id"])
            open_deal = Deal.objects.get(pk=card["open_deal"]["id"])
            uploads = [
                (company, f"Framework agreement {2024 + index % 3}.pdf", agreement, "application/pdf"),
                (company, "Meeting notes.txt", b"Met the archive team; they want a pilot.\n", "text/plain"),
                (open_deal, "Requirements.pdf", agreement, "application/pdf"),
            ]
            for record, name, content, mime_type in uploads:
                document_attach(
                    actor=rep,
                    record=record,
                    uploaded_file=SimpleUploadedFile(name, content, content_type=mime_type),
                )
                made["documents"] += 1
            for _ in range(quotes):
                sales.quote_create(actor=rep, deal=open_deal)
                made["quotes"] += 1
            if sales.sales_order_for_won_deal(actor=rep, deal=Deal.objects.get(pk=card["won_deal"]["id"])):
                made["orders"] += 1
            made["changes"] += self.change_card_records(card, company=company, statuses=statuses)
        return made

    def change_card_records(self, card: dict, *, company: Company, statuses: list[int]) -> int:
        """A few edits of the card's records, so that their history panels have something to show."""
        rep = card["rep"]
        changes = [
            {"phone": "+46 8 123 45 67"},
            {"status": CompanyStatus.objects.get(pk=statuses[0])}
            if statuses
            else {"description": "Key account."},
            {"description": "Key account: framework agreement renewed every two years."},
        ]
        for change in changes:
            company = contact_services.company_update(
                actor=rep, company=company, changes=change, expected_version=company.version
            )
        person = Person.objects.get(pk=card["people"][0]["id"])
        for change in ({"title": "Head of Archives"}, {"phone": "+46 70 123 45 67"}):
            person = contact_services.person_update(
                actor=rep, person=person, changes=change, expected_version=person.version
            )
        deal = Deal.objects.get(pk=card["open_deal"]["id"])
        for change in (
            {"status_report": "Pilot agreed; waiting for the budget decision."},
            {"probability": 60},
        ):
            deal = deal_services.deal_update(
                actor=rep, deal=deal, changes=change, expected_version=deal.version
            )
        lead = Lead.objects.get(pk=card["open_lead"]["id"])
        lead_services.lead_update(actor=rep, lead=lead, changes={"score": 25}, expected_version=lead.version)
        return len(changes) + 2 + 2 + 1
