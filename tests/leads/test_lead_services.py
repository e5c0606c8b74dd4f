"""leads.services' own rules, each test killing a surviving mutant of scripts/mutation.sh
conversion: a status change is saved, only conversion marks a lead converted, and the hooks of a
new lead (automation rules) are registered, called and inside the creating transaction."""

import pytest
from django.core.exceptions import ValidationError

from leads import services
from leads.models import Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def complete_values(**extra):
    lead = LeadFactory.build(complete=True)
    values = {
        "last_name": lead.last_name,
        "company_name": lead.company_name,
        "email": "newlead@example.org",
        "business_unit": lead.business_unit,
        "source": lead.source,
        "details": lead.details,
    }
    return {**values, **extra}


@pytest.mark.parametrize("new_status", ["working", "qualified", "disqualified"])
def test_a_status_change_of_an_open_lead_is_saved(rep, new_status):
    lead = LeadFactory(complete=True, owner=rep, status=Lead.Status.NEW)
    updated = services.lead_update(
        actor=rep, lead=lead, changes={"status": new_status}, expected_version=lead.version
    )
    assert Lead.objects.get(pk=updated.pk).status == new_status


@pytest.mark.parametrize("status", [Lead.Status.CONVERTED, "converted"])
def test_only_conversion_marks_a_lead_converted(rep, status):
    """Also when the status comes as a plain string (a form, an import, the API)."""
    with pytest.raises(ValidationError) as refused:
        services.lead_create(actor=rep, values=complete_values(status=status))
    assert "Convert" in " ".join(refused.value.message_dict["status"])
    assert not Lead.objects.filter(email="newlead@example.org").exists()


def test_a_new_leads_hooks_are_registered_once_and_called(rep, monkeypatch):
    monkeypatch.setattr(services, "_created_lead_handlers", [])
    called = []

    def hook(*, actor, lead):
        called.append((actor, lead.pk))

    services.on_lead_created(hook)
    services.on_lead_created(hook)
    lead = services.lead_create(actor=rep, values=complete_values())
    assert called == [(rep, lead.pk)]


def test_a_failing_hook_leaves_no_lead(rep, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("an automation rule failed")

    monkeypatch.setattr(services, "_created_lead_handlers", [broken])
    with pytest.raises(RuntimeError):
        services.lead_create(actor=rep, values=complete_values())
    assert not Lead.objects.filter(email="newlead@example.org").exists()
