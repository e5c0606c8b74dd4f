"""Personal data is registered, not hunted (issue 13): every text field of every model whose name
says it holds a person's e-mail, phone or name is covered by a gdpr registration (gdpr.registry),
or listed below with the reason it is not personal data of a data subject. A new model with such
a field fails here until its app registers it (or someone argues the exemption in review)."""

import re

import pytest
from django.apps import apps
from django.db import models

from gdpr import registry

PERSONAL_NAME = re.compile(
    r"(^|_)(e_?mail|email_address|phone|mobile|first_name|last_name|full_name)$|^name$"
)
TEXT_FIELDS = (models.CharField, models.TextField)  # EmailField is a CharField

EXEMPT: dict[str, set[str]] = {
    # Django's own and the kernel's configuration: names of permissions, groups, teams, the organisation.
    "auth.Permission": {"name"},
    "auth.Group": {"name"},
    "crm.Team": {"name"},
    "crm.OrganisationSettings": {"name"},
    # The CRM's users are staff accounts, not data subjects of the CRM: their data is kept under
    # the employment relation and removed by deactivating or deleting the account.
    "crm.User": {"first_name", "last_name", "email"},
    # A document's file name is the uploader's label (anonymisation scrubs no file contents).
    "crm.Document": {"name"},
    # Companies are legal persons: their name and switchboard number are not a person's.
    "contacts.Company": {"name", "phone"},
    # Lookup lists and pipeline set-up: names of categories, stages, products, templates, rules.
    "contacts.ContactType": {"name"},
    "contacts.BusinessUnit": {"name"},
    "contacts.Market": {"name"},
    "contacts.LifeCycle": {"name"},
    "contacts.Sector": {"name"},
    "contacts.Segment": {"name"},
    "contacts.CompanyCategory": {"name"},
    "contacts.CompanyStatus": {"name"},
    "contacts.BuyingInfluence": {"name"},
    "contacts.BuyingInfluenceConcept": {"name"},
    "contacts.ResponseMode": {"name"},
    "opportunities.Pipeline": {"name"},
    "opportunities.Stage": {"name"},
    "opportunities.Vertical": {"name"},
    "opportunities.VolumeUnit": {"name"},
    "opportunities.ProductCategory": {"name"},
    "opportunities.Product": {"name"},
    "opportunities.DocumentTemplate": {"name"},
    "leads.LeadSource": {"name"},
    "activities.ActivityType": {"name"},
    "activities.MeetingCategory": {"name"},
    "activities.AutomationRule": {"name"},
    "activities.EmailTemplate": {"name"},
    "imports.SavedMapping": {"name"},
    # A deal's name is a subject line (seed 000's naming rule: company, product, date); when it
    # quotes a person, the deal is no copy of that person's record.
    "opportunities.Deal": {"name"},
    # Marketing set-up: names of plans, campaigns, segments, mailings and forms; a mailing's sender
    # is the organisation or one of its users (staff accounts, see crm.User above).
    "marketing.MarketingPlan": {"name"},
    "marketing.Campaign": {"name"},
    "marketing.Segment": {"name"},
    "mailings.EmailCampaign": {"name", "from_email"},
    "webforms.WebForm": {"name"},
    # Customer-service set-up: names of queues, SLA policies, holidays and contracts; a queue's
    # inbound address is the organisation's.
    "support.Queue": {"name", "email_address"},
    "support.SlaPolicy": {"name"},
    "support.Holiday": {"name"},
    "support.Contract": {"name"},
    "knowledge.Category": {"name"},
}


def _base_model(model: type[models.Model]) -> type[models.Model]:
    """A simple-history copy answers for the model it copies: anonymisation rewrites those copies."""
    return getattr(model, "instance_type", None) or model


def uncovered_fields() -> list[str]:
    covered = registry.registered_fields()
    problems = []
    for model in apps.get_models():
        base = _base_model(model)
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS) or not PERSONAL_NAME.search(field.name):
                continue
            if (base._meta.label, field.name) in covered or field.name in EXEMPT.get(base._meta.label, ()):
                continue
            problems.append(f"{model._meta.label}.{field.name}")
    return problems


def test_every_person_like_field_is_registered_or_exempt():
    assert uncovered_fields() == [], (
        "Register these fields in gdpr.registry from their app's AppConfig.ready() (a Subject or a "
        "Linked), or add them to EXEMPT in this test with the reason."
    )


def test_the_exemptions_name_real_fields():
    # A renamed or removed field must leave the list, or the list hides nothing any more.
    for label, names in EXEMPT.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            pytest.fail(f"{label} is no model")
        for name in names:
            model._meta.get_field(name)


def test_a_field_nobody_registers_is_found(monkeypatch):
    # The check itself: take the people's registration away and their e-mail and names show up,
    # in the model and in its history copies.
    monkeypatch.setattr(registry, "_subjects", {})
    found = uncovered_fields()
    assert {"contacts.Person.email", "contacts.Person.first_name", "contacts.HistoricalPerson.phone"} <= set(
        found
    )
