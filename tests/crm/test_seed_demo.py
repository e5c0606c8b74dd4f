from django.core.management import call_command

from contacts.models import Company, Person
from crm.demo import DEMO_USERS
from crm.models import Team, User
from leads.models import Lead
from opportunities.models import Deal


def test_seed_demo_creates_one_user_per_role_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert User.objects.count() == len(DEMO_USERS)
    assert Team.objects.count() == 2
    assert Company.objects.count() == 50
    assert Person.objects.count() == 150
    assert Lead.objects.count() == 80 + 5  # the demo leads, and those the demo web forms made
    assert Deal.objects.count() == 120
    assert set(Deal.objects.values_list("stage__kind", flat=True)) == {"open", "won", "lost"}
    assert Deal.objects.filter(lines__isnull=False).distinct().count() >= 30
    assert Deal.objects.filter(quotes__isnull=False).exists()
    assert Deal.objects.filter(stage__kind="won", sales_order__isnull=False).exists()
    assert not Deal.objects.filter(stage__kind="lost", lost_reason="").exists()
    for demo in DEMO_USERS:
        user = User.objects.get(username=demo.username)
        assert user.role == demo.role
        assert demo.username in output
    assert "demo-crm-2026" in output
