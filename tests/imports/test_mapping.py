"""Headings guess their fields, in English, Swedish and Hungarian, and custom fields by label."""

import pytest

from crm.models import CustomFieldDefinition
from imports.mapping import guess_mapping


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Company", "company"), ("Företag", "company"), ("Cég", "company"), ("cégnév", "company"),
        ("E-mail", "email"), ("E-post", "email"), ("e-mail cím", "email"), ("EMAIL", "email"),
        ("Telefon", "phone"), ("Phone", "phone"), ("Telefonszám", "phone"),
        ("First name", "first_name"), ("Förnamn", "first_name"), ("Keresztnév", "first_name"),
        ("Efternamn", "last_name"), ("Vezetéknév", "last_name"), ("Surname", "last_name"),
        ("Namn", "full_name"), ("Név", "full_name"), ("Titel", "title"), ("Beosztás", "title"),
        ("Ansvarig", "owner"), ("Felelős", "owner"),
    ],
)  # fmt: skip
def test_people_headings_guess_their_field(db, heading, field):
    assert guess_mapping("people", ["?", heading]) == {"1": field}


@pytest.mark.parametrize(
    ("heading", "field"),
    [("Företag", "name"), ("Cég", "name"), ("Name", "name"), ("Hemsida", "website"), ("Weboldal", "website"),
     ("Domain", "email_domain"), ("Beskrivning", "description"), ("Megjegyzés", "description")],
)  # fmt: skip
def test_company_headings_guess_their_field(db, heading, field):
    assert guess_mapping("companies", [heading]) == {"0": field}


def test_a_custom_field_is_guessed_from_its_label(db):
    CustomFieldDefinition.objects.create(target="contacts.company", key="org_number", label="Org.nr")
    assert guess_mapping("companies", ["Org.nr", "Unknown"]) == {"0": "cf:org_number"}


def test_a_field_goes_to_the_first_column_that_names_it(db):
    assert guess_mapping("people", ["E-mail", "E-post"]) == {"0": "email"}
