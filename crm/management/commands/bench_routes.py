"""Walk every GET route of the project on the benchmark data set and time it, per persona.

``scripts/bench.sh`` (``make bench``) runs it after bench_seed, on the seeded data dir. Pages
are measured in-process with crm.bench: Django's test client, logged in, through the whole
middleware stack, the view, the database and the template (no HTTP server), with DEBUG off.

The routes come from the URL resolver, and what each one is from the access matrix's
classification in ``tests/access_matrix.py`` (ROUTES, ObjectRoute, ListRoute, iter_routes).
This command imports ``tests.access_matrix``, which works because manage.py runs from the
repository root (the tests package is not installed with the CRM): the walk and the permission
matrix share one list, so a new route is measured as soon as it exists, without anyone adding
it here.

- PUBLIC routes are requested by an anonymous visitor (a signed-in user is sent away from the
  login page); every other GET route as an Administrator (bench-admin) and a Sales rep
  (bench-rep-01): SIGNED_IN routes, ListRoutes with their kwargs, ObjectRoutes with the id of a
  real record of the kind they name. Those records are owned by bench-rep-01, so both personas
  may see and edit them, and are the ones bench_seed filled in (``card_records``): a company with
  people, deals, documents and history; a deal with lines, contacts and quotes; its quote, an
  order, an open lead, a document of the company.
- A route the matrix does not classify is still measured when it takes no parameters; one with
  parameters is listed as "not classified". Routes that only answer POST are not requested
  (``make bench-board`` times the stage move).
- Variants: every autocomplete (``*_autocomplete``) with ``?q=`` and every list (``*_list``)
  with ``?q=`` (2–4 letters of a card record's name, as a user types them) and a deep page; and
  an htmx request (``HX-Request: true``) of every page that answers htmx with a fragment: probed
  on each route, not declared, so a view that starts rendering partials is walked that way too.
- Exports are capped at 1,000 rows during the walk (``crm.exports.MAX_ROWS`` is patched).
- Django admin, for the Administrator: the index and each registered ModelAdmin's changelist,
  add and change page (of a real record), with fewer repeats (``--admin-repeat``).

A route answering 403 is listed as "403 (no permission)"; any other failure is printed in its
row and the walk goes on. A row is SLOW over 150 ms median or 300 ms p95.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
import uuid
from dataclasses import dataclass, field
from unittest import mock
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import models
from django.db.models import Count, Exists, OuterRef
from django.test import Client
from django.urls import NoReverseMatch, reverse

from activities.models import Activity
from contacts.models import Company, Person
from crm import bench, exports
from crm.models import Document, User
from crm.search import normalise_for_search
from imports.models import ImportJob
from leads.models import Lead
from marketing.mailings.models import EmailCampaign
from marketing.models import Campaign, MarketingPlan, Segment
from marketing.webforms.models import WebForm
from opportunities.models import Deal, DealContact, DealLine, Quote, SalesOrder, Stage
from support.knowledge.models import Article
from support.models import Contract, Ticket, TicketMessage
from tests.access_matrix import (
    PUBLIC,
    ROUTES,
    SIGNED_IN_POST,
    TOKEN_ROUTES,
    ListRoute,
    ObjectRoute,
    iter_routes,
    route_url,
)

MEDIAN_LIMIT_MS = 150
P95_LIMIT_MS = 300
EXPORT_ROWS = 1_000
DEEP_PAGE = 200
ANONYMOUS, ADMINISTRATOR, SALES_REP = "Anonymous", "Administrator", "Sales rep"
NO_PERMISSION = "403 (no permission)"
NOT_CLASSIFIED = "not classified (see tests/access_matrix.py)"
EXPLAIN_FROM_MS = 5
SEARCH_LETTERS = {"company": 4, "deal": 4}  # others: 3


@dataclass
class Target:
    """One URL to time for some personas; `note` instead of a URL is printed as it is."""

    label: str
    personas: list[str]
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    admin: bool = False
    note: str = ""
    status: int = 200  # what the route answers when it works (a tracked click redirects: 302)


def card_records(rep: User) -> dict[str, models.Model | None]:
    """The records ObjectRoutes open, by the kind names of tests/access_matrix.py: owned by
    `rep`, with the most related data bench_seed gave them (most edited first)."""

    def documents_of(model):
        content_type = ContentType.objects.get_for_model(model)
        return Document.objects.filter(content_type=content_type, object_id=OuterRef("pk"))

    company = (
        Company.objects.filter(owner=rep)
        .filter(
            Exists(Person.objects.filter(company=OuterRef("pk"))),
            Exists(Deal.objects.filter(company=OuterRef("pk"))),
            Exists(documents_of(Company)),
        )
        .order_by("-version", "pk")
        .first()
    ) or Company.objects.filter(owner=rep).order_by("-version", "pk").first()
    people = Person.objects.filter(owner=rep).order_by("-version", "pk")
    person = (company and people.filter(company=company).first()) or people.first()
    deals = Deal.objects.filter(owner=rep).order_by("-version", "pk")
    deal = (
        deals.filter(
            Exists(DealLine.objects.filter(deal=OuterRef("pk"))),
            Exists(DealContact.objects.filter(deal=OuterRef("pk"))),
            Exists(Quote.objects.filter(deal=OuterRef("pk"))),
            stage__kind=Stage.Kind.OPEN,
        ).first()
        or deals.first()
    )
    document = None
    if company is not None:
        document = Document.objects.filter(
            content_type=ContentType.objects.get_for_model(Company), object_id=company.pk
        ).first()
    return {
        "company": company,
        "person": person,
        # An open lead: converting a closed one only redirects to it.
        "lead": Lead.objects.filter(owner=rep, status__in=Lead.OPEN_STATUSES)
        .order_by("-version", "pk")
        .first(),
        "document": document,
        "deal": deal,
        "quote": Quote.objects.filter(deal=deal).order_by("-version").first()
        or Quote.objects.filter(deal__owner=rep).order_by("-version", "pk").first(),
        "order": SalesOrder.objects.filter(deal__owner=rep).order_by("pk").first(),
        # An open to-do of the rep's, the latest due: the walk opens its form, .ics and timeline.
        "activity": Activity.objects.filter(owner=rep, status=Activity.Status.OPEN)
        .order_by("-due_at", "pk")
        .first(),
        # Only Administrators and Managers import: the latest import of anyone's.
        "import_job": ImportJob.objects.order_by("-pk").first(),
        # marketing: plans, campaigns, segments, scoring and mail settings
        "plan": MarketingPlan.objects.order_by("pk").first(),
        "campaign": Campaign.objects.filter(plan__isnull=False).order_by("pk").first(),
        # marketing: e-mail campaigns (the largest: the seed's sent one) and segments
        "segment": Segment.objects.order_by("pk").first(),
        "email_campaign": EmailCampaign.objects.filter(status=EmailCampaign.Status.SENT)
        .order_by("pk")
        .first()
        or EmailCampaign.objects.order_by("pk").first(),
        # marketing: web forms and website tracking
        "webform": WebForm.objects.order_by("pk").first(),
        # support: a ticket of the rep's with a conversation, a contract, a published article
        "ticket": Ticket.objects.filter(owner=rep)
        .filter(Exists(TicketMessage.objects.filter(ticket=OuterRef("pk"))))
        .order_by("pk")
        .first()
        or Ticket.objects.filter(owner=rep).order_by("pk").first(),
        "contract": Contract.objects.filter(owner=rep).order_by("pk").first()
        or Contract.objects.order_by("pk").first(),
        "article": Article.objects.filter(status=Article.Status.PUBLISHED).order_by("pk").first(),
    }


def search_terms(records: dict[str, models.Model | None]) -> dict[str, str]:
    """What a user types to find each card record: the first 3–4 letters of a word of its name."""
    names = {
        "company": lambda record: record.name,
        "person": lambda record: record.last_name,
        "lead": lambda record: record.last_name,
        "deal": lambda record: record.company.name if record.company_id else record.name,
    }
    terms = {}
    for kind, name_of in names.items():
        record = records.get(kind)
        if record is None:
            continue
        letters = SEARCH_LETTERS.get(kind, 3)
        words = [word for word in normalise_for_search(name_of(record)).split() if word.isalpha()]
        word = next((word for word in words if len(word) >= letters), words[0] if words else "")
        if word:
            terms[kind] = word[:letters]
    return terms


CALENDAR_FEED = "activities:calendar_feed"


def calendar_token(user) -> str:
    """The user's private calendar link token, made if they have none."""
    from crm import profile

    return user.calendar_token or profile.calendar_token_renew(actor=user, user=user)


# Public routes that answer with a redirect when they work.
REDIRECTING = {"mailings_public:click": 302}


def public_kwargs(name: str, records: dict[str, models.Model | None]) -> dict[str, object] | None:
    """Real tokens for the public routes of marketing, so that the walk times them as a mail
    reader or a website visitor meets them (None: not one of them, or no record to take them from)."""
    from marketing.mailings import tracking
    from marketing.mailings.models import Recipient

    if name == "webforms_public:form_page":
        return {"key": records["webform"].public_key} if records.get("webform") else None
    if not name.startswith("mailings_public:") or records.get("email_campaign") is None:
        return None
    recipient = Recipient.objects.filter(email_campaign=records["email_campaign"]).order_by("pk").first()
    if recipient is None:
        return None
    kind = {"open": tracking.KIND_OPEN, "click": tracking.KIND_CLICK}.get(
        name.partition(":")[2], tracking.KIND_UNSUBSCRIBE
    )
    link = 0 if kind == tracking.KIND_CLICK else None
    return {"token": tracking.token(kind, recipient.pk, link)}


def placeholder_kwargs(route: str) -> dict[str, object]:
    """Values for a token route's parameters (a reset link that is not valid answers 200)."""
    values = {"int": 1, "uuid": uuid.UUID(int=0)}
    return {
        name: values.get(converter or "str", "bench")
        for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", route)
    }


class Command(BaseCommand):
    help = (
        "Time every GET route of the project (from the URL resolver and tests/access_matrix.py) as "
        "an Administrator and a Sales rep on the benchmark data set; SLOW over 150 ms median or "
        "300 ms p95."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repeat", type=int, default=20, help="timed requests per route and persona (20)"
        )
        parser.add_argument("--admin-repeat", type=int, default=5, help="timed requests per admin page (5)")
        parser.add_argument(
            "--warmup", type=int, default=2, help="untimed requests before the timed ones (2)"
        )
        parser.add_argument("--only", default="", help="only the routes whose name contains this")
        parser.add_argument("--rep", default="bench-rep-01", help="the Sales rep persona (bench-rep-01)")
        parser.add_argument("--admin", default="bench-admin", help="the Administrator persona (bench-admin)")
        parser.add_argument(
            "--explain", action="store_true", help="EXPLAIN (ANALYZE) the slowest queries of every SLOW row"
        )

    def handle(self, *args, repeat, admin_repeat, warmup, only, rep, admin, explain, verbosity, **options):
        try:
            users = {
                ADMINISTRATOR: User.objects.get(username=admin),
                SALES_REP: User.objects.get(username=rep),
            }
        except User.DoesNotExist as error:
            raise CommandError(
                f"No user {admin} or {rep}: seed the bench data first (bench_seed)."
            ) from error
        self.verbosity = verbosity
        records = card_records(users[SALES_REP])
        terms = search_terms(records)
        self.print_header(records, terms, users, repeat=repeat, admin_repeat=admin_repeat, warmup=warmup)
        clients = {persona: bench.logged_in_client(user) for persona, user in users.items()}
        clients[ANONYMOUS] = Client(HTTP_HOST=bench.allowed_host())
        # Refusals and errors are the walk's findings, printed in their rows, not logged as well.
        request_log = logging.getLogger("django.request")
        level = request_log.level
        request_log.setLevel(logging.CRITICAL)
        try:
            # The cap holds for the htmx probes of the plan too (an XLSX export is built whole).
            with mock.patch.object(exports, "MAX_ROWS", EXPORT_ROWS):
                targets, skipped = self.plan(records, terms, users, only=only)
                results = self.walk(targets, clients, repeat=repeat, admin_repeat=admin_repeat, warmup=warmup)
        finally:
            request_log.setLevel(level)
        self.print_results(results, skipped=skipped)
        if explain:
            self.explain(results)

    # Planning ------------------------------------------------------------------------------------

    def plan(self, records: dict, terms: dict, users: dict, *, only: str) -> tuple[list[Target], list[str]]:
        """Every target of the walk (of the routes whose name contains `only`), in the resolver's
        order, then Django admin; and the names of the routes left out because they only answer POST."""
        signed_in = [ADMINISTRATOR, SALES_REP]
        probe = bench.logged_in_client(users[ADMINISTRATOR])
        targets: list[Target] = []
        skipped: list[str] = []
        for name, route, takes_parameters in iter_routes():
            if route.startswith("admin/"):
                continue  # below, model by model
            label = name or f"/{route}"
            if only not in label:
                continue
            classification = ROUTES.get(name) if name else None
            personas = signed_in
            expected = REDIRECTING.get(name or "", 200)
            try:
                if classification is None:
                    if takes_parameters or name is None:
                        targets.append(Target(label, ["—"], note=NOT_CLASSIFIED))
                        continue
                    label, url = f"{name} (not classified)", reverse(name)
                elif classification == SIGNED_IN_POST or getattr(classification, "method", "GET") != "GET":
                    skipped.append(name)
                    continue
                elif isinstance(classification, ObjectRoute):
                    record = records.get(classification.record)
                    if record is None:
                        targets.append(
                            Target(label, signed_in, note=f"error: no {classification.record} to open")
                        )
                        continue
                    url = route_url(name, classification, record)
                elif isinstance(classification, ListRoute):
                    url = reverse(name, kwargs=classification.kwargs)
                else:
                    real_kwargs = public_kwargs(name or "", records)
                    kwargs = real_kwargs or (placeholder_kwargs(route) if name in TOKEN_ROUTES else {})
                    if name == CALENDAR_FEED:
                        # The feed is timed for real: the Sales rep's own link, with their events.
                        kwargs = real_kwargs = {"token": calendar_token(users[SALES_REP])}
                    elif real_kwargs is None and name in TOKEN_ROUTES:
                        # No real token or session here (the portal's pages want a customer's):
                        # timed as an anonymous visitor meets them, e.g. sent to the sign-in page.
                        expected = TOKEN_ROUTES[name][1]
                        if expected == 405:
                            skipped.append(name)  # POST only
                            continue
                    url = reverse(name, kwargs=kwargs)
                    if classification == PUBLIC:
                        personas = [ANONYMOUS]
            except NoReverseMatch as error:
                targets.append(Target(label, personas, note=f"error: {error}"))
                continue
            targets.append(Target(label, personas, url, status=expected))
            if expected == 200:
                targets += self.variants(name or "", label, url, personas, terms, probe)
        admin_targets = [target for target in self.admin_targets(records) if only in target.label]
        return targets + admin_targets, skipped

    def variants(
        self, name: str, label: str, url: str, personas: list[str], terms: dict, probe
    ) -> list[Target]:
        """Searches and deep pages of lists, searches of autocompletes, htmx fragments."""
        entity = name.rpartition(":")[2].rpartition("_")[0]
        term = terms.get(entity) or terms.get("company", "")
        queries: list[tuple[str, dict]] = []
        if name.endswith("_autocomplete") and term:
            queries.append((f"q={term}", {"q": term}))
        if name.endswith("_list"):
            if term:
                queries.append((f"q={term}", {"q": term}))
            queries.append((f"page {DEEP_PAGE}", {"page": DEEP_PAGE}))
        targets = [
            Target(f"{label}, {variant}", personas, f"{url}?{urlencode(query)}") for variant, query in queries
        ]
        if ANONYMOUS not in personas and self.answers_htmx_with_a_fragment(probe, url):
            htmx = {"HX-Request": "true"}
            targets.append(Target(f"{label}, htmx", personas, url, headers=htmx))
            targets += [
                Target(f"{label}, htmx, {variant}", personas, f"{url}?{urlencode(query)}", headers=htmx)
                for variant, query in queries
                if "q" in query
            ]
        return targets

    def answers_htmx_with_a_fragment(self, client, url: str) -> bool:
        """Whether the page is a whole HTML page, but its answer to htmx is a fragment of one."""
        try:
            page = client.get(url, secure=True)
            if page.status_code != 200 or page.streaming or b"<html" not in page.content:
                return False
            fragment = client.get(url, secure=True, headers={"HX-Request": "true"})
            return fragment.status_code == 200 and not fragment.streaming and b"<html" not in fragment.content
        except Exception:  # the walk itself reports what is broken
            return False

    def admin_targets(self, records: dict) -> list[Target]:
        """The admin index, then each registered model's changelist, add and change page."""
        by_model = {type(record): record for record in records.values() if record is not None}
        targets = [Target("admin:index", [ADMINISTRATOR], reverse("admin:index"), admin=True)]
        registry = sorted(
            admin.site._registry, key=lambda model: (model._meta.app_label, model._meta.model_name)
        )
        for model in registry:
            prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
            for page in ("changelist", "add"):
                targets.append(
                    Target(f"{prefix}_{page}", [ADMINISTRATOR], reverse(f"{prefix}_{page}"), admin=True)
                )
            record = by_model.get(model) or model._default_manager.order_by("pk").first()
            if record is None:
                targets.append(Target(f"{prefix}_change", [ADMINISTRATOR], note="no record to open"))
            else:
                url = reverse(f"{prefix}_change", args=[quote(record.pk)])
                targets.append(Target(f"{prefix}_change", [ADMINISTRATOR], url, admin=True))
        return targets

    # Measuring -----------------------------------------------------------------------------------

    def walk(self, targets: list[Target], clients: dict, *, repeat: int, admin_repeat: int, warmup: int):
        results = []
        progress = sys.stderr.isatty()
        for number, target in enumerate(targets, start=1):
            if progress:
                sys.stderr.write(f"\r\x1b[K[{number}/{len(targets)}] {target.label}")
                sys.stderr.flush()
            for persona in target.personas:
                result = {"persona": persona, "label": target.label}
                if target.note:
                    result["verdict"] = target.note
                    results.append(result)
                    continue
                try:
                    result.update(
                        bench.measure(
                            clients[persona],
                            target.url,
                            repeat=admin_repeat if target.admin else repeat,
                            warmup=min(warmup, 1) if target.admin else warmup,
                            headers=target.headers or None,
                            status=target.status,
                        )
                    )
                except bench.PageNotAvailable as refused:
                    result["verdict"] = NO_PERMISSION if refused.status_code == 403 else f"error: {refused}"
                except Exception as error:  # one broken page must not hide the others
                    result["verdict"] = f"error: {type(error).__name__}: {error}"[:300]
                    if self.verbosity >= 2:
                        result["traceback"] = traceback.format_exc()
                else:
                    slow = result["median_ms"] > MEDIAN_LIMIT_MS or result["p95_ms"] > P95_LIMIT_MS
                    result["verdict"] = "SLOW" if slow else "ok"
                results.append(result)
        if progress:
            sys.stderr.write("\r\x1b[K")
        return results

    # Printing ------------------------------------------------------------------------------------

    def print_header(self, records, terms, users, *, repeat: int, admin_repeat: int, warmup: int) -> None:
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        write = self.stdout.write
        write(
            f"Every GET route: {repeat} timed requests per route and persona after {warmup} untimed "
            f"(admin pages: {admin_repeat}), in-process through the whole middleware (crm.bench); "
            f"load average {load} on {os.cpu_count()} cores. Queries and SQL ms: one more request."
        )
        write(
            f"Personas: {ADMINISTRATOR} = {users[ADMINISTRATOR].username}, {SALES_REP} = "
            f"{users[SALES_REP].username}; public pages as an anonymous visitor."
        )
        write(f"Records opened (owned by {users[SALES_REP].username}):")
        for kind, record in records.items():
            write(f"  {kind:<8} {self.describe(kind, record)}")
        write("Search terms: " + ", ".join(f"{kind} {term!r}" for kind, term in terms.items()))
        write(
            f"Exports are capped at {EXPORT_ROWS:,} rows during the walk (crm.exports.MAX_ROWS patched; "
            f"otherwise {exports.MAX_ROWS:,})."
        )
        write("")

    def describe(self, kind: str, record) -> str:
        if record is None:
            return "none (the walk cannot open this kind)"
        text = f"#{record.pk} “{record}”"
        if isinstance(record, Company):
            counted = Company.objects.filter(pk=record.pk).aggregate(
                people=Count("people", distinct=True), deals=Count("deals", distinct=True)
            )
            documents = Document.objects.filter(
                content_type=ContentType.objects.get_for_model(Company), object_id=record.pk
            ).count()
            text += f": {counted['people']} people, {counted['deals']} deals, {documents} documents"
        elif isinstance(record, Deal):
            text += (
                f": {record.lines.count()} lines, {record.deal_contacts.count()} contacts, "
                f"{record.quotes.count()} quotes"
            )
        if hasattr(record, "history"):
            text += f", {record.history.count()} history rows"
        return text

    def print_results(self, results: list[dict], *, skipped: list[str]) -> None:
        header = ["persona", "route", "median ms", "p95 ms", "queries", "SQL ms", "verdict"]
        rows = [header]
        for result in results:
            if "median_ms" in result:
                rows.append(
                    [
                        result["persona"],
                        result["label"],
                        result["median_ms"],
                        result["p95_ms"],
                        result["queries"],
                        result["sql_ms"],
                        result["verdict"],
                    ]
                )
            else:
                rows.append([result["persona"], result["label"], None, None, None, None, result["verdict"]])
        bench.print_table(rows, self.stdout)
        for result in results:
            if "traceback" in result:
                self.stdout.write(f"\n{result['persona']}, {result['label']}:\n{result['traceback']}")
        measured = [result for result in results if "median_ms" in result]
        slow = sum(result["verdict"] == "SLOW" for result in measured)
        refused = sum(result["verdict"] == NO_PERMISSION for result in results)
        errors = sum(result["verdict"].startswith("error") for result in results)
        unclassified = sum(result["verdict"] == NOT_CLASSIFIED for result in results)
        self.stdout.write("")
        self.stdout.write(
            f"{len(measured)} routes, {slow} slow (rows: persona × route × variant; SLOW: median over "
            f"{MEDIAN_LIMIT_MS} ms or p95 over {P95_LIMIT_MS} ms); {errors} errors, {refused} answered "
            f"{NO_PERMISSION}, {unclassified} not classified; {len(skipped)} POST-only routes not "
            "requested."
        )

    def explain(self, results: list[dict]) -> None:
        """EXPLAIN (ANALYZE, BUFFERS) of the three slowest SELECTs of every SLOW row (from 5 ms)."""
        self.stdout.write("")
        self.stdout.write(
            "EXPLAIN (ANALYZE, BUFFERS) of the slowest queries of the SLOW rows (-v 2: whole plans):"
        )
        seen: set[str] = set()
        for result in results:
            if result.get("verdict") != "SLOW":
                continue
            timed = sorted(zip(result["sql_times"], result["sql"], strict=True), reverse=True)
            slowest = [
                (milliseconds, sql)
                for milliseconds, sql in timed
                if milliseconds >= EXPLAIN_FROM_MS and sql.lstrip().upper().startswith("SELECT")
            ]
            for milliseconds, sql in slowest[:3]:
                if sql in seen:
                    continue
                seen.add(sql)
                plan = bench.explain(sql)
                summary = bench.plan_summary(plan)
                self.stdout.write(
                    f"- {result['persona']}, {result['label']}: {milliseconds:.1f} ms in the page"
                )
                self.stdout.write(f"    {summary['top']}  |  {summary['execution']}")
                self.stdout.write(f"    indexes: {', '.join(summary['indexes']) or 'none'}")
                self.stdout.write(f"    sequential scans: {', '.join(summary['seq_scans']) or 'none'}")
                if self.verbosity >= 2:
                    self.stdout.write("    SQL: " + sql)
                    for line in plan:
                        self.stdout.write("      " + line)
