"""Demo tickets (issue 15 item 10): ~200 tickets over the demo companies and their people, in every
state — new and unassigned, open, waiting on the customer, resolved, closed, two merged
duplicates — with the customer's messages, public replies, internal notes (some @mentioning a
colleague), watchers and a few logged calls with callbacks. Made through support.services like
tickets worked on the pages (queues' assignment rules, SLA policies from contracts, audit and
history rows), then dated back over the last three months: each step of a ticket's story is
given its moment (its messages, history rows and clock fields), and the SLA due times follow
from the dated creation. The replies' mails count as sent long ago (none goes out).
Deterministic (fixed seed) and idempotent: once the demo tickets exist, nothing is added."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from contacts.models import Company, Person
from crm.models import OutboundEmail
from support import services, sla
from support.models import Priority, Queue, Ticket, TicketMessage

TICKETS = 200
# (subject, the customer's description, the agent's answer, the customer's follow-up, the fix)
TOPICS = [
    ("Scanner stops after 20 pages", "Our book scanner stops after about 20 pages and shows error E42.",
     "Thanks for the report. Could you send us the scanner's log file (Menu → Service → Export log)?",
     "Here is the log. It happened again this morning.", "A firmware update (4.2.1) fixes E42; it is installed now."),
    ("Cannot sign in to the archive portal", "None of our staff can sign in to the archive portal since Monday.",
     "We see failed sign-ins from your network. Did your single sign-on certificate change recently?",
     "Yes, IT renewed it on Friday.", "We loaded your new certificate; sign-in works again."),
    ("Invoice 2026-0412 looks wrong", "Invoice 2026-0412 charges 40 TB, but we stored 32 TB in March.",
     "We are checking the storage report for March with our billing team.",
     "Any news? Our finance department is waiting.", "A credit note for 8 TB is on its way."),
    ("Film reader scratches the reels", "The 35 mm reader leaves fine scratches on the film.",
     "Please stop using the reader until our technician has looked at it. Which days suit you?",
     "Thursday or Friday morning works.", "The technician replaced the worn guide roller on Thursday."),
    ("Export to PDF/A fails", "Exporting a 600-page volume to PDF/A stops at 80 % with no message.",
     "We could reproduce it with large volumes. A fix is being tested.",
     "Is there a workaround meanwhile?", "Version 7.3 exports large volumes; please update."),
    ("Search finds no Hungarian words with accents", "Searching for 'levéltár' finds nothing, 'leveltar' does.",
     "Thanks — the index for your collection was built without the Hungarian dictionary.",
     "Will all our collections need a new index?", "Your collections were indexed again with the right language."),
    ("Request for more storage", "We would like to add 50 TB to our contract from next month.",
     "Happy to help. I have asked our sales colleague to send you an offer.",
     "We received the offer, thank you.", "The extra storage is active from the 1st."),
    ("Colours look washed out in scans", "Scans of our maps look pale compared to the originals.",
     "Which colour profile is set on the scanning station?",
     "It says sRGB.", "We set up the calibrated profile for your station; colours match now."),
    ("Delivery of the new scanner is late", "The scanner ordered in May has not arrived.",
     "The delivery was held at customs; we are sorting it out with the carrier.",
     "Can you give us a date?", "It was delivered on Tuesday; installation is booked."),
    ("How do we add a new user?", "How do we give a new archivist access to our collections?",
     "An administrator of your account can invite them under Settings → Users.",
     "We do not see that menu.", "Your account had no administrator; we made Kari one."),
    ("Error 500 when uploading TIFF files", "Uploading large TIFF files fails with error 500.",
     "Files over 2 GB hit a limit on our side. We are raising it.",
     "Some of our files are 3 GB.", "The limit is 10 GB now; uploads work."),
    ("Metadata import mixed up the dates", "After the import, dates show month and day swapped.",
     "Your file uses day/month order; the import read it as month/day.",
     "Can you fix the imported records?", "We corrected the 1,240 records and added the format to your import settings."),
]  # fmt: skip
NOTES = [
    "Checked the logs: same error at two other customers this week.",
    "Customer has a premium contract — keep them posted daily.",
    "@{colleague} could you take a look? You fixed something similar last month.",
    "Waiting for the vendor's answer before we reply.",
    "@{colleague} this one may need a site visit.",
]
# The share of each state, out of 20 tickets.
STATES = (
    ["new"] * 3 + ["open"] * 5 + ["waiting"] * 3 + ["resolved"] * 4 + ["closed"] * 5
)  # fmt: skip
PRIORITIES = [Priority.LOW, Priority.NORMAL, Priority.NORMAL, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
CHANNELS = [Ticket.Channel.EMAIL, Ticket.Channel.EMAIL, Ticket.Channel.PHONE, Ticket.Channel.PORTAL,
            Ticket.Channel.WEB_FORM]  # fmt: skip
STRANGERS = ["info@archiv-example.de", "helpdesk@biblioteca-example.es", "it@museum-example.org"]


def demo_tickets_exist() -> bool:
    return Ticket.objects.filter(subject__in=[topic[0] for topic in TOPICS]).exists()


@transaction.atomic
def demo_tickets_ensure(*, users: dict, count: int = TICKETS) -> int:
    """Create the demo tickets unless they exist; returns how many demo tickets there are."""
    subjects = [topic[0] for topic in TOPICS]
    if demo_tickets_exist():
        return Ticket.objects.filter(subject__in=subjects).count()
    # Queues per team and contracts first (support.sla_demo, itself idempotent): tickets take
    # their queue's team and their company's policy when they are made.
    from support.sla_demo import demo_sla_ensure

    demo_sla_ensure(users=users)
    rng = random.Random(15)
    now = timezone.now().replace(second=0, microsecond=0)
    people = list(Person.objects.filter(company__isnull=False).select_related("company").order_by("pk")[:120])
    queues = list(Queue.objects.filter(is_active=True).order_by("pk"))
    default = services.default_queue() or (queues[0] if queues else None)
    team_queues = [queue for queue in queues if queue.team_id] or queues
    agents = [users[name] for name in ("rep", "rep2", "manager", "restricted", "admin") if name in users]
    first_mail = OutboundEmail.objects.aggregate(last=Max("pk"))["last"] or 0
    made: list[Ticket] = []
    for number in range(count):
        state = STATES[number % len(STATES)]
        topic = TOPICS[number % len(TOPICS)]
        person = people[rng.randrange(len(people))] if people and number % 17 else None
        # Open tickets are recent (some breaching, some due soon); finished ones spread back.
        if state in ("new", "open", "waiting"):
            created = now - datetime.timedelta(minutes=rng.randrange(20, 9 * 24 * 60))
        else:
            created = now - datetime.timedelta(minutes=rng.randrange(3 * 24 * 60, 90 * 24 * 60))
        story = _Story(created=created, now=now)
        unassigned = state == "new"
        values = {
            "subject": topic[0],
            "description": topic[1],
            "priority": PRIORITIES[rng.randrange(len(PRIORITIES))],
            "channel": CHANNELS[number % len(CHANNELS)],
            "queue": default if unassigned else team_queues[number % len(team_queues)],
            "owner": None if unassigned else (agents[number % len(agents)] if number % 3 == 0 else None),
        }
        if person is not None:
            values.update(contact=person, company=person.company)
        else:
            values["requester_email"] = STRANGERS[number % len(STRANGERS)]
        ticket = story.step(services.ticket_create, actor=None, values=values)
        if state == "new":
            story.finish(ticket)
            made.append(ticket)
            continue
        agent = ticket.owner or agents[number % len(agents)]
        colleague = agents[(number + 1) % len(agents)]
        if number % 4 == 0:
            note = NOTES[number % len(NOTES)].format(colleague=colleague.username)
            story.step(services.ticket_note, rng.randrange(5, 90), actor=agent, ticket=ticket, body=note)
        if number % 5 == 0 and ticket.owner_id == agent.pk:
            story.step(services.ticket_watch, 1, actor=agent, ticket=ticket, user=agent)
        reply_status = Ticket.Status.WAITING if state != "open" or number % 2 else None
        story.step(
            services.ticket_reply,
            rng.randrange(10, 240),
            actor=agent,
            ticket=ticket,
            body=topic[2],
            status=reply_status,
        )
        # A call is logged on the customer's records: only by an agent who sees them (a Restricted
        # agent sees only their own and unassigned customers).
        sees_customer = (
            Company.objects.visible_to(agent).filter(pk=ticket.company_id).exists()
            and Person.objects.visible_to(agent).filter(pk=ticket.contact_id).exists()
        )
        if ticket.channel == Ticket.Channel.PHONE and number % 2 == 0 and sees_customer:
            callback_at = (
                now + datetime.timedelta(days=1 + number % 4, hours=number % 6)
                if state in ("open", "waiting")
                else None
            )
            story.step(
                services.call_log,
                rng.randrange(5, 60),
                actor=agent,
                ticket=ticket,
                direction=services.CallDirection.INBOUND,
                duration_minutes=rng.randrange(3, 25),
                outcome="Talked it through; agreed to follow up by e-mail.",
                callback_at=callback_at,
            )
        if state == "waiting":
            story.finish(ticket)
            made.append(ticket)
            continue
        if reply_status == Ticket.Status.WAITING:
            story.step(
                services.ticket_customer_message,
                rng.randrange(60, 36 * 60),
                ticket=ticket,
                body=topic[3],
                person=person,
                email=person.email if person else values.get("requester_email", ""),
                channel=ticket.channel,
            )
        if state == "open":
            story.finish(ticket)
            made.append(ticket)
            continue
        story.step(
            services.ticket_reply,
            rng.randrange(60, 48 * 60),
            actor=agent,
            ticket=ticket,
            body=topic[4],
            status=Ticket.Status.RESOLVED,
        )
        if state == "closed":
            story.step(
                services.ticket_set_status,
                rng.randrange(2 * 24 * 60, 5 * 24 * 60),
                actor=None,
                ticket=ticket,
                status=Ticket.Status.CLOSED,
            )
        story.finish(ticket)
        made.append(ticket)
    _merge_duplicates(made, users, now)
    # The replies and notifications of the demo's past: counted as sent, none goes out now.
    OutboundEmail.objects.filter(pk__gt=first_mail, status=OutboundEmail.Status.PENDING).update(
        status=OutboundEmail.Status.SENT, sent_at=now
    )
    return Ticket.objects.filter(subject__in=subjects).count()


def _merge_duplicates(made: list[Ticket], users: dict, now: datetime.datetime) -> None:
    """Two customers wrote twice about the same thing: the second ticket is merged into the first."""
    admin = users["admin"]
    survivors = [ticket for ticket in made if ticket.status == Ticket.Status.OPEN and ticket.contact_id][:2]
    for survivor in survivors:
        story = _Story(created=survivor.created_at + datetime.timedelta(minutes=30), now=now)
        values = {
            "subject": survivor.subject,
            "description": "Sending this again in case the first mail was lost.",
            "contact": survivor.contact,
            "company": survivor.company,
            "channel": Ticket.Channel.EMAIL,
            "queue": survivor.queue,
            "owner": survivor.owner,
            "priority": survivor.priority,
        }
        duplicate = story.step(services.ticket_create, actor=None, values=values)
        story.step(
            services.ticket_merge, 20, actor=survivor.owner or admin, survivor=survivor, duplicate=duplicate
        )
        story.finish(duplicate)


class _Story:
    """One ticket's story, step by step: each step (a service call) is given its moment — the
    rows it wrote (messages, the ticket's history rows) and the clock fields it set are dated to
    it; `finish` dates the ticket and sets its due times from the dated creation."""

    CLOCK = ("first_responded_at", "resolved_at", "closed_at", "paused_at")

    def __init__(self, *, created: datetime.datetime, now: datetime.datetime):
        self.created = self.moment = min(created, now - datetime.timedelta(minutes=10))
        self.now = now
        self.ticket: Ticket | None = None
        self.clock: dict[str, datetime.datetime | None] = {}
        self.paused_minutes = 0

    def step(self, action: Callable, minutes: int = 0, /, **arguments):
        """Call `action(**arguments)` `minutes` after the previous step, and date what it wrote."""
        # Never in the future: a story that would run past now is squeezed into the last minutes.
        self.moment = min(
            self.moment + datetime.timedelta(minutes=minutes), self.now - datetime.timedelta(minutes=1)
        )
        self.moment = max(self.moment, self.created)
        last_message = TicketMessage.objects.aggregate(last=Max("pk"))["last"] or 0
        last_history = Ticket.history.aggregate(last=Max("history_id"))["last"] or 0
        before = self._clock_fields()
        result = action(**arguments)
        if self.ticket is None:
            self.ticket = result
        TicketMessage.objects.filter(pk__gt=last_message).update(created_at=self.moment)
        Ticket.history.filter(history_id__gt=last_history, id=self.ticket.pk).update(history_date=self.moment)
        after = self._clock_fields()
        for name in self.CLOCK:
            if after[name] is not None and before.get(name) is None:
                self.clock[name] = self.moment
            elif after[name] is None:
                self.clock[name] = None
        if (
            before.get("paused_at") is not None
            and after["paused_at"] is None
            and self.clock.get("paused_from")
        ):
            clock = sla.Clock(self.ticket.sla_policy)
            self.paused_minutes += clock.minutes_between(self.clock["paused_from"], self.moment)
        if after["paused_at"] is not None and before.get("paused_at") is None:
            self.clock["paused_from"] = self.moment
        return result

    def _clock_fields(self) -> dict:
        if self.ticket is None:
            return {}
        return Ticket.objects.filter(pk=self.ticket.pk).values(*self.CLOCK).get()

    def finish(self, ticket: Ticket) -> None:
        ticket.refresh_from_db()
        ticket.created_at = self.created
        ticket.paused_minutes = self.paused_minutes
        sla.refresh_due_times(ticket)
        fields = {name: self.clock.get(name, getattr(ticket, name)) for name in self.CLOCK}
        if ticket.last_customer_message_at is not None:
            fields["last_customer_message_at"] = (
                TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER).aggregate(
                    last=Max("created_at")
                )["last"]
                or self.moment
            )
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=self.created,
            updated_at=self.moment,
            paused_minutes=self.paused_minutes,
            first_response_due_at=ticket.first_response_due_at,
            resolution_due_at=ticket.resolution_due_at,
            **fields,
        )
        ticket.refresh_from_db()
