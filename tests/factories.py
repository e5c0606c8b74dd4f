import factory
from django.contrib.auth.models import Group

from contacts.models import Company, Person
from crm.models import Role, Team, User
from leads.models import Lead
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


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    owner = None
    team = None


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    company_name = factory.Faker("company")
    email = factory.Sequence(lambda n: f"lead{n}@example.org")
    owner = None
    team = None


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
