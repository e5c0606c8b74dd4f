"""Web forms for the access matrix and the growth test (tests/test_access_matrix.py's `records`
and tests/test_page_growth.py's world take them from here, as "webform"): one per kind of owner,
like the other records, each with a submission whose lead belongs to the form's owner."""

from __future__ import annotations

from leads.models import Lead
from marketing.webforms.models import PageVisit, Submission, WebForm

OWNER_KEYS = ["admin", "manager", "rep", "rep_other_team", "restricted"]
FIELDS = [
    {"name": "first_name", "required": False},
    {"name": "last_name", "required": True},
    {"name": "email", "required": True},
    {"name": "consent", "required": False},
]


def _owners(personas) -> dict:
    owners = {key: {"owner": getattr(personas, key)} for key in OWNER_KEYS}
    owners["unassigned"] = {"owner": None}
    owners["south_team"] = {"owner": personas.admin, "team": personas.south}
    return owners


def webforms_by_owner(personas) -> dict[str, WebForm]:
    forms = {}
    for key, owner in _owners(personas).items():
        form = WebForm.objects.create(name=f"Form of {key}", fields=FIELDS, **owner)
        lead = Lead.objects.create(last_name=f"Web lead of {key}", email=f"{key}@form.example", **owner)
        Submission.objects.create(form=form, lead=lead, last_name=lead.last_name, email=lead.email)
        forms[key] = form
    return forms


def grow_submissions(form: WebForm, count: int, start: int = 0, *, lead: Lead | None = None) -> None:
    """`count` more submissions of `form` (on `lead`, whose card lists them too) and as many
    website visits of `lead`."""
    Submission.objects.bulk_create(
        Submission(form=form, lead=lead, last_name=f"grow{number}", email=f"grow{number}@form.example")
        for number in range(start, start + count)
    )
    if lead is not None:
        PageVisit.objects.bulk_create(
            PageVisit(lead=lead, url=f"https://www.example.com/grow/{number}", points=1)
            for number in range(start, start + count)
        )


def content_webforms(personas, people: dict) -> dict[str, WebForm]:
    """For the content checks: a form per kind of owner, each with a submission from the next
    owner's person (the form's page must not print the name of a person hidden from the viewer)."""
    keys = list(people)
    forms = {}
    for key, owner in _owners(personas).items():
        form = WebForm.objects.create(name=f"Form of {key}", fields=FIELDS, **owner)
        if keys:
            person = people[keys[(keys.index(key) + 1) % len(keys)] if key in keys else keys[0]]
            Submission.objects.create(
                form=form, person=person, first_name=person.first_name, last_name=person.last_name,
                email=f"{key}@form.example",
            )  # fmt: skip
        forms[key] = form
    return forms
