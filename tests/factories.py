import datetime
import os
import random

import factory
import factory.random
from django.contrib.auth.models import Group
from django.utils import timezone

from activities.models import Activity, ActivityType
from contacts.models import (
    BusinessUnit,
    Company,
    ContactType,
    LifeCycle,
    Market,
    Person,
    Sector,
    Segment,
)
from crm.models import Role, Team, User
from leads.models import Lead, LeadSource
from opportunities.models import Deal, Pipeline


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create and extracted:
            user.groups.add(Group.objects.get(name=Role(extracted).value))


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Faker("company")
    email_domain = factory.Sequence(lambda n: f"company{n}.example")
    owner = None
    team = None

    class Params:
        # Seed 000's minimum information (contacts/required_fields.py): CompanyFactory(complete=True).
        complete = factory.Trait(
            contact_type=factory.LazyFunction(lambda: _first(ContactType)),
            business_unit=factory.LazyFunction(lambda: _first(BusinessUnit)),
            market=factory.LazyFunction(lambda: _first(Market)),
            life_cycle=factory.LazyFunction(lambda: _first(LifeCycle)),
            sector=factory.LazyFunction(lambda: _first(Sector)),
            segment=factory.LazyFunction(lambda: _first(Segment)),
        )


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    owner = None
    team = None

    class Params:
        complete = factory.Trait(
            phone=factory.Sequence(lambda n: f"+4670{n:07d}"),
            business_unit=factory.LazyFunction(lambda: _first(BusinessUnit)),
            company=factory.SubFactory(
                CompanyFactory,
                complete=True,
                owner=factory.SelfAttribute("..owner"),
                team=factory.SelfAttribute("..team"),
            ),
            title="Head of Archives",
        )


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    company_name = factory.Faker("company")
    email = factory.Sequence(lambda n: f"lead{n}@example.org")
    owner = None
    team = None

    class Params:
        complete = factory.Trait(
            business_unit=factory.LazyFunction(lambda: _first(BusinessUnit)),
            source=factory.LazyFunction(lambda: _first(LeadSource)),
            details="Nordic Archive Summit 2026",
        )


class DealFactory(factory.django.DjangoModelFactory):
    """A deal in the first stage of the "Standard" pipeline (seeded by a migration)."""

    class Meta:
        model = Deal

    name = factory.Sequence(lambda n: f"Deal {n}")
    pipeline = factory.LazyFunction(lambda: Pipeline.objects.get(name="Standard"))
    stage = factory.LazyAttribute(lambda deal: deal.pipeline.stages.order_by("position").first())
    currency = "EUR"
    owner = None
    team = None


def _first(lookup):
    """A seeded lookup value (contact types, sectors, sources… come with the migrations)."""
    return lookup.objects.order_by("position", "pk").first()


# Form data for seed 000's minimum fields besides the name (contacts/required_fields.py): the
# company, person and lead forms refuse records without them until an administrator relaxes one.


def company_minimum_data() -> dict:
    return {
        name: _first(lookup).pk
        for name, lookup in (
            ("contact_type", ContactType),
            ("business_unit", BusinessUnit),
            ("market", Market),
            ("life_cycle", LifeCycle),
            ("sector", Sector),
            ("segment", Segment),
        )
    }


def person_minimum_data(*, company: Company) -> dict:
    return {
        "email": "asa.oberg@nordlys.se",
        "phone": "+46 70 123 45 67",
        "business_unit": _first(BusinessUnit).pk,
        "company": company.pk,
        "title": "Head of Archives",
    }


def lead_minimum_data() -> dict:
    return {
        "company_name": "Nordlys Arkiv AB",
        "email": "asa.oberg@nordlys.se",
        "business_unit": _first(BusinessUnit).pk,
        "source": _first(LeadSource).pk,
        "details": "Nordic Archive Summit 2026",
    }


def seed_fake_data() -> int:
    """Seed Faker and factory_boy once for the session and return the seed, so the names a failing
    run made can be made again: CRM_TEST_SEED=<seed>. pytest-randomly, when on, reseeds both
    before every test from its own --randomly-seed, which it prints too."""
    seed = int(os.environ.setdefault("CRM_TEST_SEED", str(random.SystemRandom().randrange(2**32))))
    factory.random.reseed_random(seed)
    return seed


def make_personas():
    """One user per role and two teams: North (managed by the manager; the rep and the
    restricted user are members) and South (rep_other_team)."""
    from types import SimpleNamespace

    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    personas = SimpleNamespace(
        admin=UserFactory(username="admin", role=Role.ADMINISTRATOR),
        manager=UserFactory(username="manager", role=Role.MANAGER),
        rep=UserFactory(username="rep", role=Role.NORMAL_USER),
        rep_other_team=UserFactory(username="rep_other_team", role=Role.NORMAL_USER),
        restricted=UserFactory(username="restricted", role=Role.RESTRICTED),
        north=north,
        south=south,
    )
    north.managers.add(personas.manager)
    north.members.add(personas.rep, personas.restricted)
    south.members.add(personas.rep_other_team)
    return personas


class ActivityFactory(factory.django.DjangoModelFactory):
    """An open phone-call to-do due tomorrow; pass company/person/deal/lead to link it."""

    class Meta:
        model = Activity

    subject = factory.Sequence(lambda n: f"Call {n}")
    kind = "todo"
    activity_type = factory.LazyFunction(lambda: ActivityType.objects.get(name="Phone call"))
    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
    owner = None
