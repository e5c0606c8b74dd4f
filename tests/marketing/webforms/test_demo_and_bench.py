"""The demo data (two forms with submissions made through the service, once) and the bench seed
(forms per team, submissions and visits loaded with COPY)."""

import pytest

from crm.bench_load import LoadReport
from leads.models import Lead
from marketing.webforms.bench import bench_webforms_seed
from marketing.webforms.demo import SUBMITTERS, demo_webforms_ensure
from marketing.webforms.models import PageVisit, Submission, WebForm
from tests.factories import LeadFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_the_demo_makes_two_forms_with_submissions_once(personas):
    users = {"admin": personas.admin, "manager": personas.manager}
    assert demo_webforms_ensure(users=users) == len(SUBMITTERS)
    assert demo_webforms_ensure(users=users) == 0
    assert WebForm.objects.count() == 2
    assert Submission.objects.count() == len(SUBMITTERS)
    assert Lead.objects.filter(score__gt=0).count() == len(SUBMITTERS)


def test_the_bench_seed_loads_forms_submissions_and_visits(personas):
    LeadFactory.create_batch(10)
    PersonFactory.create_batch(3)
    made = bench_webforms_seed(admin=personas.admin, report=LoadReport(), visits=50)
    assert made["forms"] == 2 * len(WebForm.Kind)  # two teams
    assert made["submissions"] == Submission.objects.count() == 2  # every fifth lead
    assert made["visits"] == PageVisit.objects.count() == 50
