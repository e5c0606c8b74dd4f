"""Who may file a record under which team (issue 9: Restricted users could pick any team)."""

import pytest

from contacts.forms import CompanyForm
from tests.factories import CompanyFactory


def team_names(user, instance=None) -> set[str]:
    form = CompanyForm(instance=instance, user=user)
    return {team.name for team in form.fields["team"].queryset}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", {"North", "South"}),
        ("manager", {"North", "South"}),
        ("rep", {"North"}),
        ("restricted", {"North"}),
    ],
)
def test_a_user_files_records_only_under_teams_they_may(personas, persona, expected):
    assert team_names(getattr(personas, persona)) == expected


def test_managers_narrowed_to_their_teams_file_under_those_only(personas, managers_see_only_their_teams):
    assert team_names(personas.manager) == {"North"}


def test_a_record_keeps_its_team_in_the_choices_of_who_edits_it(personas):
    company = CompanyFactory(owner=personas.restricted, team=personas.south)
    assert team_names(personas.restricted, company) == {"North", "South"}


def test_a_posted_team_the_user_may_not_file_under_is_refused(personas):
    from tests.factories import company_minimum_data

    form = CompanyForm(
        data={
            "name": "Filed",
            "team": personas.south.pk,
            "owner": personas.restricted.pk,
            **company_minimum_data(),
        },
        user=personas.restricted,
    )
    assert not form.is_valid()
    assert "team" in form.errors
