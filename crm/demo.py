"""Demo users and teams; each app adds its demo records through seed_demo."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from crm.models import Role, Team, User

DEMO_PASSWORD = "demo-crm-2026"  # noqa: S105 - printed on purpose; demo installs only


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role
    team: str | None
    manages_team: bool = False


DEMO_USERS = [
    DemoUser("admin", "Agnes", "Andersson", Role.ADMINISTRATOR, None),
    DemoUser("manager", "Márta", "Kovács", Role.MANAGER, "Nordic", manages_team=True),
    DemoUser("rep", "Erik", "Lindqvist", Role.NORMAL_USER, "Nordic"),
    DemoUser("rep2", "Bence", "Szabó", Role.NORMAL_USER, "Central Europe"),
    DemoUser("restricted", "Åsa", "Öberg", Role.RESTRICTED, "Nordic"),
]


@transaction.atomic
def demo_users_ensure() -> dict[str, User]:
    """Create (or repair) one demo user per role; safe to run again."""
    users = {}
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@example.com",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=demo.role.value))
        if demo.team:
            team, _created = Team.objects.get_or_create(name=demo.team)
            (team.managers if demo.manages_team else team.members).add(user)
        users[demo.username] = user
    return users
