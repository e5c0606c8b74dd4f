"""The demo data of support's set-up: a second policy, a queue per team, contracts; twice is once."""

import pytest

from support.models import Contract, Queue, SlaPolicy
from support.sla_demo import demo_sla_ensure
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_the_demo_set_up_is_made_once(personas):
    for number in range(13):
        CompanyFactory(name=f"Demo {number}", owner=personas.rep)
    users = {"admin": personas.admin}

    demo_sla_ensure(users=users)
    demo_sla_ensure(users=users)

    assert SlaPolicy.objects.filter(name="Premium").get().targets.count() == 4
    assert Queue.objects.filter(team=personas.north).count() == 1
    assert Queue.objects.filter(team=personas.south).count() == 1
    assert Contract.objects.count() == 12
