"""Custom-field and required-field targets come from each app's registration, not from lists in
the lower apps; a merge moves every app's linked records without contacts naming the apps."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts import required_fields, services
from contacts.models import RequiredField, required_field_targets
from crm import custom_fields
from crm.models import CustomFieldDefinition, custom_field_targets
from leads.models import Lead
from tests.factories import CompanyFactory, DealFactory, LeadFactory

REGISTERED_CUSTOM_FIELD_TARGETS = {
    "contacts.company": "Company",
    "contacts.person": "Person",
    "opportunities.deal": "Deal",
}


def _select_options(html: str, name: str) -> dict[str, str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no <select name={name}> on the page"
    return {
        value: label.strip()
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))
        if value
    }


def _definition(**values) -> CustomFieldDefinition:
    return CustomFieldDefinition(key="contract_no", label="Contract no.", **values)


# Custom-field targets


def test_the_custom_field_admin_offers_exactly_the_registered_targets(client, admin):
    client.force_login(admin)

    html = client.get(reverse("admin:crm_customfielddefinition_add")).content.decode()

    assert _select_options(html, "target") == REGISTERED_CUSTOM_FIELD_TARGETS


def test_a_target_an_app_registers_appears_in_the_admin_and_is_accepted(client, admin, monkeypatch):
    monkeypatch.setattr(custom_fields, "_targets", dict(custom_fields._targets))
    custom_fields.register_target(Lead, "Lead")
    client.force_login(admin)

    html = client.get(reverse("admin:crm_customfielddefinition_add")).content.decode()

    assert _select_options(html, "target")["leads.lead"] == "Lead"
    _definition(target="leads.lead").full_clean()


def test_an_unregistered_target_is_refused_by_the_model(db):
    with pytest.raises(ValidationError) as refused:
        _definition(target="leads.lead").full_clean()
    assert list(refused.value.message_dict) == ["target"]


def test_admin_refuses_an_unregistered_target_and_saves_nothing(client, admin):
    client.force_login(admin)

    response = client.post(
        reverse("admin:crm_customfielddefinition_add"),
        {"target": "leads.lead", "key": "budget", "label": "Budget", "field_type": "text", "position": 0},
    )

    assert response.status_code == 200
    assert "leads.lead is not one of the available choices" in response.content.decode()
    assert not CustomFieldDefinition.objects.exists()


def test_stored_targets_keep_their_names(db):
    definition = CustomFieldDefinition.objects.create(
        target="opportunities.deal", key="budget", label="Budget"
    )

    assert str(CustomFieldDefinition.objects.get(pk=definition.pk)) == "Deal: Budget"


def test_custom_fields_of_a_registered_target_reach_its_form(db):
    CustomFieldDefinition.objects.create(target="opportunities.deal", key="budget", label="Budget")
    from opportunities.models import Deal

    assert [definition.key for definition in custom_fields.definitions_for(Deal)] == ["budget"]


def test_the_migrations_store_the_registry_not_a_list_so_a_new_app_needs_none():
    for model, registry in [
        (CustomFieldDefinition, custom_field_targets),
        (RequiredField, required_field_targets),
    ]:
        _name, _path, _args, kwargs = model._meta.get_field("target").deconstruct()
        assert kwargs["choices"] is registry


# Required-field targets


def test_the_required_field_admin_offers_exactly_the_registered_records(client, admin):
    client.force_login(admin)

    html = client.get(reverse("admin:contacts_requiredfield_add")).content.decode()

    assert _select_options(html, "target") == {
        "contacts.company": "Company",
        "contacts.person": "Person",
        "leads.lead": "Lead",
    }


def test_a_required_field_of_an_unregistered_record_is_refused(db, monkeypatch):
    without_leads = {
        label: target for label, target in required_fields._targets.items() if label != "leads.lead"
    }
    monkeypatch.setattr(required_fields, "_targets", without_leads)

    with pytest.raises(ValidationError) as refused:
        RequiredField(target="leads.lead", field_name="email").full_clean()
    assert "target" in refused.value.message_dict


# Merging moves the records of every app


def test_the_merge_page_names_what_the_installed_apps_link_to_a_company(client, admin):
    company = CompanyFactory(owner=admin)
    client.force_login(admin)

    html = client.get(reverse("contacts:company_merge", args=[company.pk])).content.decode()

    moved = re.search(r"Everything linked to the duplicate \(([^)]*)\) moves", html).group(1).split(", ")
    assert {"people", "deals", "leads", "documents"} <= set(moved)


def test_a_merge_moves_deals_and_leads_through_their_relations(admin):
    survivor, duplicate = CompanyFactory(owner=admin), CompanyFactory(owner=admin)
    deal = DealFactory(company=duplicate, owner=admin)
    lead = LeadFactory(converted_company=duplicate, owner=admin)

    services.company_merge(actor=admin, survivor=survivor, duplicate=duplicate)

    deal.refresh_from_db()
    lead.refresh_from_db()
    assert (deal.company, lead.converted_company) == (survivor, survivor)
