"""Writes to leads, and lead conversion into people and companies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import matching, required_fields
from contacts import services as contact_services
from contacts.models import Company, Person
from crm import access
from crm.services import audit_record, record_create, record_delete, record_update
from leads.models import Lead
from opportunities import services as deal_services
from opportunities.models import Pipeline, StageCriterion, Vertical
from opportunities.pipeline import StageGateError

LEAD_FIELDS = frozenset(
    {
        "first_name", "last_name", "company_name", "email", "phone", "linkedin", "title", "business_unit",
        "source", "details", "description", "status", "score", "grade", "owner", "team",
    }
)  # fmt: skip


class LeadConversionError(Exception):
    """The conversion cannot be done as asked; `message` says why, for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _lead_values(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - LEAD_FIELDS
    if unknown:
        raise TypeError(f"not writable here: {', '.join(sorted(unknown))}")
    values = dict(values)
    if "email" in values:
        values["email"] = (values["email"] or "").strip().lower()
    if values.get("status") == Lead.Status.CONVERTED:
        # Only lead_convert may mark a lead converted: it also records what it became.
        raise ValidationError({"status": _("Use “Convert” to turn a lead into a person and a company.")})
    required_fields.validate_values(Lead, values)
    return values


def _known(values: dict[str, Any]) -> dict[str, Any]:
    """What the lead knows of a record it converts into: an empty value is left out, so the new
    record is saved without it (its card says it is incomplete) instead of being refused."""
    return {name: value for name, value in values.items() if value not in (None, "")}


# What else reacts to a new lead (automation rules in activities, which this app must not import):
# called inside the creating transaction.
_created_lead_handlers: list[Callable[..., object]] = []


def on_lead_created(handler: Callable[..., object]) -> Callable[..., object]:
    """Call ``handler(actor=, lead=)`` after every lead created through `lead_create`."""
    if handler not in _created_lead_handlers:
        _created_lead_handlers.append(handler)
    return handler


# What else reacts to a converted lead (marketing carries its campaigns over to the person and the
# deal): called inside the converting transaction.
_converted_lead_handlers: list[Callable[..., object]] = []


def on_lead_converted(handler: Callable[..., object]) -> Callable[..., object]:
    """Call ``handler(actor=, lead=, person=, company=, deal=)`` after every conversion."""
    if handler not in _converted_lead_handlers:
        _converted_lead_handlers.append(handler)
    return handler


@transaction.atomic
def lead_create(*, actor, values: dict[str, Any]) -> Lead:
    lead = record_create(actor=actor, instance=Lead(**_lead_values(values)))
    for handler in _created_lead_handlers:
        handler(actor=actor, lead=lead)
    return lead


def lead_update(*, actor, lead: Lead, changes: dict[str, Any], expected_version: int) -> Lead:
    if lead.status == Lead.Status.CONVERTED and changes.get("status", lead.status) != Lead.Status.CONVERTED:
        raise ValidationError({"status": _("A converted lead stays converted.")})
    changes = {key: value for key, value in changes.items() if not (key == "status" and value == lead.status)}
    return record_update(
        actor=actor, instance=lead, changes=_lead_values(changes), expected_version=expected_version
    )


def lead_delete(*, actor, lead: Lead) -> None:
    record_delete(actor=actor, instance=lead)


@dataclass
class ConversionCandidates:
    companies: list[Company]
    people: list[Person]


def lead_conversion_candidates(*, user, lead: Lead) -> ConversionCandidates:
    """Existing companies (same e-mail domain or alike name) and people (same e-mail) the lead
    probably is, among those `user` may see."""
    companies = matching.similar_companies(
        Company.objects.visible_to(user), name=lead.company_name, email_domain=lead.email_domain
    )
    people = matching.similar_people(
        Person.objects.visible_to(user),
        email=lead.email,
        first_name=lead.first_name,
        last_name=lead.last_name,
    )
    return ConversionCandidates(companies=companies, people=people)


@transaction.atomic
def lead_convert(
    *,
    actor,
    lead: Lead,
    company: Company | None = None,
    create_company: bool = False,
    person: Person | None = None,
    deal_pipeline: Pipeline | None = None,
    deal_name: str = "",
    deal_vertical: Vertical | None = None,
    deal_description: str = "",
    deal_criteria: list[StageCriterion] | None = None,
) -> tuple[Person, Company | None]:
    """Turn a lead into a person (an existing one, or new) at a company (existing, new or none),
    and with `deal_pipeline` into a deal in its first stage too, through that stage's gate (with
    the vertical, description and checklist ticks given).

    Existing records must be visible to the actor; a chosen person keeps their own data and only
    gains the company when they had none. All of it happens or none of it does.
    """
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not lead.is_open:
        raise LeadConversionError(_("This lead is already converted or disqualified."))
    if not access.can_edit(actor, lead):
        raise LeadConversionError(_("You may not convert this lead."))
    for record in (company, person):
        if record is not None and not type(record).objects.visible_to(actor).filter(pk=record.pk).exists():
            raise LeadConversionError(_("Choose a company and a person you can see."))
    if company is not None and create_company:
        raise LeadConversionError(_("Either choose an existing company or create a new one, not both."))

    owner = lead.owner or actor
    if create_company:
        if not lead.company_name.strip():
            raise LeadConversionError(_("The lead has no company name to create a company from."))
        company = contact_services.company_create(
            actor=actor,
            values=_known(
                {
                    "name": lead.company_name,
                    "email_domain": matching.usable_domain(lead.email_domain),
                    "business_unit": lead.business_unit,
                    "owner": owner,
                    "team": lead.team,
                }
            ),
        )
    if person is None:
        person = contact_services.person_create(
            actor=actor,
            values=_known(
                {
                    "first_name": lead.first_name or lead.last_name,
                    "last_name": lead.last_name if lead.first_name else "",
                    "email": lead.email,
                    "phone": lead.phone,
                    "linkedin": lead.linkedin,
                    "title": lead.title,
                    "business_unit": lead.business_unit,
                    "company": company,
                    "owner": owner,
                    "team": lead.team,
                }
            ),
        )
    elif company is not None and person.company_id is None and access.can_edit(actor, person):
        person = contact_services.person_update(
            actor=actor, person=person, changes={"company": company}, expected_version=person.version
        )

    if deal_pipeline is not None:
        try:
            lead.converted_deal = deal_services.deal_create(
                actor=actor,
                pipeline=deal_pipeline,
                values={
                    "name": deal_name.strip() or lead.company_name or lead.full_name,
                    "company": company,
                    "primary_contact": person,
                    "business_unit": lead.business_unit,
                    "vertical": deal_vertical,
                    "description": deal_description.strip(),
                    "owner": owner,
                    "team": lead.team,
                },
                confirmed_criteria=deal_criteria,
            )
        except StageGateError as error:
            # Rolls back the person and company created above: all or nothing.
            raise LeadConversionError(" ".join(item.message for item in error.missing)) from error
        except ValidationError as error:  # e.g. a name outside the pipeline's fixed deal names
            raise LeadConversionError(" ".join(error.messages)) from error
    lead.status = Lead.Status.CONVERTED
    lead.converted_company = company
    lead.converted_person = person
    lead.converted_at = timezone.now()
    lead.converted_by = actor
    lead.version += 1
    lead._history_user = actor
    lead.save()
    audit_record(
        actor=actor,
        verb="convert",
        instance=lead,
        changes={
            "person": person.pk,
            "company": company.pk if company else None,
            "deal": lead.converted_deal_id,
        },
    )
    for handler in _converted_lead_handlers:
        handler(actor=actor, lead=lead, person=person, company=company, deal=lead.converted_deal)
    return person, company
