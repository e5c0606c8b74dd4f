"""Writes of web forms: building forms, accepting a public submission with its actions, the
tracked page patterns and their points (website visits are written in batches by
marketing.webforms.visit_queue).

A submission is one transaction: the lead (created, or an open lead with the same e-mail address
filled in), the submission row, its score, the campaign and category tags and the queued mails
(crm.email's outbox, published on commit) all happen, or none does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from contacts import matching
from contacts import services as contact_services
from contacts.models import Company, Person
from crm.email import email_queue
from crm.exceptions import StaleRecordError
from crm.models import User
from crm.services import audit_record, record_create, record_delete, record_update
from leads import services as lead_services
from leads.models import Lead
from marketing import attribution, scoring, visitors
from marketing.models import ScoreKind
from marketing.webforms.models import PagePattern, Submission, WebForm, pattern_matches

FORM_FIELDS = frozenset(
    {
        "name", "kind", "is_active", "fields", "title", "introduction", "thank_you_text", "redirect_url",
        "campaign", "tag_campaign", "auto_reply", "auto_reply_subject", "auto_reply_body", "notify_seller",
        "assignment", "assign_user", "assign_team", "company_category", "owner", "team",
    }
)  # fmt: skip
LEAD_VALUE_FIELDS = ("first_name", "last_name", "email", "phone", "company_name", "title")
PATTERNS_CACHE_KEY = "webforms:patterns"
PATTERNS_CACHE_SECONDS = 30  # other web processes see a changed pattern within this time


def _form_values(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - FORM_FIELDS
    if unknown:
        raise TypeError(f"not writable here: {', '.join(sorted(unknown))}")
    return values


def form_create(*, actor, values: dict[str, Any]) -> WebForm:
    """Create a web form (its public key is new and random)."""
    return record_create(actor=actor, instance=WebForm(**_form_values(values)))


def form_update(*, actor, form: WebForm, changes: dict[str, Any], expected_version: int) -> WebForm:
    """Change a form unless someone else saved it since `expected_version`."""
    return record_update(
        actor=actor, instance=form, changes=_form_values(changes), expected_version=expected_version
    )


# -- submissions ---------------------------------------------------------------------------------


@dataclass
class SubmissionResult:
    submission: Submission
    lead: Lead
    visitor_token: str = ""  # only with the visitor's consent to be followed up
    actions: list[str] = field(default_factory=list)


_MERGE_FIELD = re.compile(r"\{\{\s*(first_name|last_name|form)\s*\}\}")


def _merge(text: str, values: dict[str, str]) -> str:
    """Replace the merge fields of an admin's auto-reply; nothing else of the text is evaluated."""
    return _MERGE_FIELD.sub(lambda match: values.get(match.group(1), ""), text)


def _next_round_robin_user(form: WebForm) -> User | None:
    """The team member whose turn it is; the form's row lock serialises concurrent submissions."""
    locked = WebForm.objects.select_for_update().only("pk", "round_robin_next").get(pk=form.pk)
    members = list(
        User.objects.filter(teams=form.assign_team_id, is_active=True).order_by("pk").only("pk", "email")
    )
    if not members:
        return None
    chosen = members[locked.round_robin_next % len(members)]
    WebForm.objects.filter(pk=form.pk).update(round_robin_next=locked.round_robin_next + 1)
    return chosen


def _assignee(form: WebForm) -> User | None:
    if form.assignment == WebForm.Assignment.USER and form.assign_user and form.assign_user.is_active:
        return form.assign_user
    if form.assignment == WebForm.Assignment.ROUND_ROBIN and form.assign_team_id:
        return _next_round_robin_user(form)
    return None


def _find_open_lead(email: str) -> Lead | None:
    # Two submissions with one address at the same moment: the second waits for the first and
    # then finds its lead, instead of making a twin.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"webforms:{email}"])
    return (
        Lead.objects.select_for_update()
        .filter(email=email, status__in=Lead.OPEN_STATUSES)
        .order_by("-created_at", "-pk")
        .first()
    )


def _company_of(person: Person | None, email: str) -> Company | None:
    """The company a submitter belongs to: their person's, or the one with their e-mail domain."""
    if person is not None and person.company_id:
        return person.company
    domain = matching.usable_domain(email.partition("@")[2])
    if not domain:
        return None
    return Company.objects.filter(email_domain=domain).order_by("pk").first()


def _tag_company(company: Company, form: WebForm) -> bool:
    categories = set(company.categories.all())
    if form.company_category in categories:
        return False
    try:
        with transaction.atomic():
            contact_services.company_update(
                actor=None,
                company=company,
                changes={"categories": [*categories, form.company_category]},
                expected_version=company.version,
            )
    except (StaleRecordError, ValidationError):
        return False  # saved by someone meanwhile, or incomplete: the tag is left out, not the lead
    return True


def _lead_for(form: WebForm, values: dict[str, Any], assignee: User | None) -> tuple[Lead, bool]:
    email = values["email"]
    known = {name: values[name] for name in LEAD_VALUE_FIELDS if values.get(name)}
    lead = _find_open_lead(email)
    if lead is None:
        known.setdefault("last_name", values.get("first_name") or email)
        known["last_name"] = known["last_name"][:100]
        known.update(
            details=_("Web form: %(form)s") % {"form": form.name},
            description=values.get("message", ""),
            owner=assignee,
            team=form.team,
        )
        return lead_services.lead_create(
            actor=None, values={k: v for k, v in known.items() if v is not None}
        ), True
    # A public form proves nothing about who typed an address: it fills in what the lead lacks
    # and never overwrites what a seller recorded.
    changes = {name: value for name, value in known.items() if not getattr(lead, name)}
    if assignee is not None and lead.owner_id is None:
        changes["owner"] = assignee
    if changes:
        lead = lead_services.lead_update(
            actor=None, lead=lead, changes=changes, expected_version=lead.version
        )
    return lead, False


@transaction.atomic
def submission_accept(*, form: WebForm, values: dict[str, Any]) -> SubmissionResult:
    """Take a public submission (`values`: the cleaned fields of the form): the lead, its score,
    the submission row and the form's actions — all in one transaction."""
    values = {**values, "email": (values.get("email") or "").strip().lower()}
    if not values["email"]:
        raise ValidationError({"email": _("Enter your e-mail address.")})
    assignee = _assignee(form)
    lead, created = _lead_for(form, values, assignee)
    person = Person.objects.filter(email=values["email"]).select_related("company").order_by("pk").first()
    actions = ["lead_created" if created else "lead_updated"]
    if assignee is not None and lead.owner_id == assignee.pk:
        actions.append("assigned")
    scoring.record_event(kind=ScoreKind.FORM_SUBMITTED, lead=lead, campaign=form.campaign, detail=form.name)
    if form.campaign_id and form.tag_campaign:
        attribution.attribute(lead, form.campaign, converting=True)
        actions.append("campaign_tagged")
    if form.company_category_id:
        company = _company_of(person, values["email"])
        if company is not None and _tag_company(company, form):
            actions.append("company_tagged")
    merge = {
        "first_name": values.get("first_name", ""),
        "last_name": values.get("last_name", ""),
        "form": form.name,
    }
    if form.auto_reply:
        email_queue(
            recipients=[values["email"]],
            subject=_merge(form.auto_reply_subject, merge),
            body_text=_merge(form.auto_reply_body, merge),
        )
        actions.append("auto_reply")
    seller = lead.owner or form.owner
    if form.notify_seller and seller is not None and seller.email:
        context = {"form": form, "lead": lead, "values": values, "created": created}
        email_queue(
            recipients=[seller.email],
            subject=render_to_string("webforms/emails/notify_subject.txt", context).strip(),
            body_text=render_to_string("webforms/emails/notify_body.txt", context),
        )
        actions.append("seller_notified")
    submission = Submission.objects.create(
        form=form,
        lead=lead,
        person=person,
        created_lead=created,
        actions=actions,
        consent=bool(values.get("consent")),
        **{name: str(values.get(name) or "")[:max_length] for name, max_length in _SUBMISSION_TEXT.items()},
    )
    token = visitors.visitor_token(lead_id=lead.pk) if submission.consent else ""
    return SubmissionResult(submission=submission, lead=lead, visitor_token=token, actions=actions)


_SUBMISSION_TEXT = {
    "first_name": 100, "last_name": 100, "email": 254, "phone": 40, "company_name": 200, "title": 150,
    "message": 5000,
}  # fmt: skip


# -- page patterns and visits --------------------------------------------------------------------


def _forget_patterns() -> None:
    cache.delete(PATTERNS_CACHE_KEY)


@transaction.atomic
def pattern_save(*, actor, pattern: PagePattern) -> PagePattern:
    """Add or change a tracked (or excluded) page pattern (from now on: past visits keep their points)."""
    created = pattern.pk is None
    pattern.pattern = pattern.pattern.strip()
    pattern.full_clean()
    pattern.save()
    changes = {"pattern": pattern.pattern, "points": pattern.points, "excluded": pattern.excluded}
    audit_record(actor=actor, verb="create" if created else "update", instance=pattern, changes=changes)
    transaction.on_commit(_forget_patterns)
    return pattern


@transaction.atomic
def pattern_delete(*, actor, pattern: PagePattern) -> None:
    record_delete(actor=actor, instance=pattern)
    transaction.on_commit(_forget_patterns)


def cached_patterns() -> list[tuple[str, int, bool]]:
    """(pattern, points, excluded) of every pattern, from the cache (one query a half-minute)."""
    patterns = cache.get(PATTERNS_CACHE_KEY)
    if patterns is None:
        patterns = list(PagePattern.objects.values_list("pattern", "points", "excluded"))
        cache.set(PATTERNS_CACHE_KEY, patterns, PATTERNS_CACHE_SECONDS)
    return patterns


def points_of_path(path: str) -> int | None:
    """A visited path's points: those of its most specific tracked pattern; None when the path
    is excluded or matches no tracked pattern (the visit is not recorded)."""
    best: tuple[int, int] | None = None
    for pattern, points, excluded in cached_patterns():
        if not pattern_matches(pattern, path):
            continue
        if excluded:
            return None
        if best is None or len(pattern) > best[0]:
            best = (len(pattern), points)
    return None if best is None else best[1]
