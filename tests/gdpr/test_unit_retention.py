"""A business unit's own retention period overrides the global one for the records filed under
the unit (the subject's `unit_field`: a lead's business unit); 0 keeps the unit's records."""

import datetime

import pytest
from django.utils import timezone

from contacts.models import BusinessUnit, Person
from gdpr import registry, services
from gdpr.models import GdprEvent, GdprSettings, RetentionOverride
from leads.models import Lead
from tests.factories import LeadFactory, PersonFactory, UserFactory

DAY = datetime.timedelta(days=1)


@pytest.fixture
def units(db):
    return BusinessUnit.objects.create(name="Short unit"), BusinessUnit.objects.create(name="Keep unit")


def _lead(name, unit, days_old, **kwargs):
    lead = LeadFactory(first_name=name, business_unit=unit, **kwargs)
    Lead.objects.filter(pk=lead.pk).update(updated_at=timezone.now() - days_old * DAY)
    return lead


def _global(months):
    row = GdprSettings.load()
    row.retention_months = months
    row.save()


def test_a_units_period_overrides_the_global_one(units):
    short, keep = units
    _global(24)
    services.retention_override_set(actor=None, unit=short, months=6)
    services.retention_override_set(actor=None, unit=keep, months=0)
    _lead("Shortold", short, 300)  # past the unit's 6 months, within the global 24
    _lead("Shortyoung", short, 100)
    _lead("Keepancient", keep, 5000)  # the unit keeps its leads
    _lead("Nounitold", None, 800)  # past the global period
    _lead("Nounityoung", None, 300)
    assert services.retention_anonymise() == 2
    kept = set(Lead.objects.exclude(first_name="Anonymised").values_list("first_name", flat=True))
    assert kept == {"Shortyoung", "Keepancient", "Nounityoung"}
    report = GdprEvent.objects.get(action="retention")
    assert report.detail["units"]["lead"] == {str(short.pk): 6, str(keep.pk): 0}


def test_a_unit_period_works_with_the_global_job_off(units):
    short, _keep = units
    _global(0)
    services.retention_override_set(actor=None, unit=short, months=6)
    _lead("Shortold", short, 300)
    _lead("Nounitancient", None, 5000)
    assert services.retention_anonymise() == 1
    assert Lead.objects.get(first_name="Nounitancient")


def test_removing_a_units_period_brings_the_global_one_back(units):
    short, _keep = units
    _global(24)
    services.retention_override_set(actor=None, unit=short, months=0)
    services.retention_override_set(actor=None, unit=short, months=None)
    assert not RetentionOverride.objects.exists()
    _lead("Shortancient", short, 5000)
    assert services.retention_anonymise() == 1


def test_the_heads_up_uses_the_units_period(units):
    short, _keep = units
    _global(24)
    services.retention_override_set(actor=None, unit=short, months=6)
    owner = UserFactory(email="unitowner@example.com")
    cutoff_days = round(6 * services.DAYS_PER_MONTH)
    _lead("Soonshort", short, cutoff_days - 3, owner=owner)
    _lead("Notsoonglobal", None, cutoff_days - 3, owner=owner)
    assert services.retention_heads_up() == (1, 1)


def test_people_follow_their_unit(units):
    # contacts registers a person's business unit as their unit (contacts/apps.py).
    short, _keep = units
    assert registry.subject("person").unit_field == "business_unit"
    _global(24)
    services.retention_override_set(actor=None, unit=short, months=6)
    PersonFactory(first_name="Unitperson", business_unit=short, last_touched_at=timezone.now() - 300 * DAY)
    PersonFactory(first_name="Otherperson", last_touched_at=timezone.now() - 300 * DAY)
    services.retention_anonymise()
    assert set(Person.objects.values_list("first_name", flat=True)) == {"Anonymised", "Otherperson"}


def test_a_period_longer_than_a_century_is_refused(units):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.retention_override_set(actor=None, unit=units[0], months=5000)
    assert not RetentionOverride.objects.exists()


def test_only_a_registered_unit_model_takes_a_period(db):
    with pytest.raises(ValueError):
        services.retention_override_set(actor=None, unit=UserFactory(), months=6)
