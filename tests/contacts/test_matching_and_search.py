"""crm.search (accent-free prefix search) and contacts.matching (duplicate candidates)."""

import pytest

from contacts.matching import company_name_key, names_alike, similar_companies, similar_people, usable_domain
from contacts.models import Company, Person
from crm.search import normalise_for_search, search, search_query
from leads.models import Lead
from tests.factories import CompanyFactory, LeadFactory, PersonFactory

# normalise_for_search


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Malmö", "malmo"),
        ("Győr", "gyor"),
        ("Åsa Öberg", "asa oberg"),
        ("Szegedi Filmarchívum Kft.", "szegedi filmarchivum kft"),
        ("Kovács, Éva", "kovacs eva"),
        ("Jean-Luc O'Brien & Co.", "jean luc o brien co"),
        ("anna.kovacs@film.hu", "anna kovacs film hu"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ("   ", ""),
        ("", ""),
    ],
)
def test_normalise_for_search_lower_cases_strips_accents_and_breaks_words_on_punctuation(text, expected):
    assert normalise_for_search(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Søren Ødegård", "soren odegard"),
        ("Tromsø", "tromso"),
        ("Łódź", "lodz"),
        ("Ærø", "aero"),
    ],
)
def test_normalise_for_search_folds_letters_without_a_unicode_decomposition(text, expected):
    # Ø, Æ and Ł are letters of their own in Unicode (NFKD leaves them whole); a Nordic CRM
    # must still find "Tromsø" when "Tromso" is typed.
    assert normalise_for_search(text) == expected


def test_normalise_for_search_appends_the_digits_of_a_phone_number():
    assert normalise_for_search("+46 70-123 45 67") == "46 70 123 45 67 46701234567"


def test_normalise_for_search_does_not_append_short_digit_runs():
    assert normalise_for_search("Box 123") == "box 123"


@pytest.mark.parametrize("garbage", ["&|!:*", "<->", "'\"()", "   ", "", "!!! :* | &"])
def test_search_query_is_none_when_nothing_searchable_was_typed(garbage):
    assert search_query(garbage) is None


def test_search_query_keeps_at_most_eight_words():
    query = search_query(" ".join(f"w{n}" for n in range(20)))
    assert str(query).count(":*") == 8


# search()


@pytest.fixture
def filmarchive(db):
    return CompanyFactory(
        name="Szegedi Filmarchívum Kft.",
        email_domain="filmarchivum.hu",
        website="https://www.filmarchivum.hu/",
    )


def found(queryset, term):
    return set(search(queryset, term))


def test_search_finds_a_company_by_word_prefixes_in_any_order(filmarchive):
    other = CompanyFactory(name="Nordlys Arkiv AB")
    companies = Company.objects.all()
    assert found(companies, "szeg") == {filmarchive}
    assert found(companies, "filma szeg") == {filmarchive}
    assert found(companies, "Szegedi Filmarchívum") == {filmarchive}
    assert found(companies, "nord ark") == {other}
    assert found(companies, "arkiv szeg") == set()


def test_search_matches_word_starts_not_the_middle_of_words(filmarchive):
    assert found(Company.objects.all(), "archiv") == set()


def test_search_is_accent_insensitive_both_ways(db):
    malmo = CompanyFactory(name="Malmö Stadsarkiv")
    plain = CompanyFactory(name="Gyor Media")
    companies = Company.objects.all()
    assert found(companies, "malmo") == {malmo}
    assert found(companies, "MALMÖ") == {malmo}
    assert found(companies, "Győr") == {plain}
    assert found(companies, "gyor") == {plain}


def test_search_finds_nordic_letters_typed_without_their_stroke(db):
    tromso = CompanyFactory(name="Tromsø Museum")
    assert found(Company.objects.all(), "Tromso") == {tromso}


def test_search_finds_a_person_accent_insensitively(db):
    asa = PersonFactory(first_name="Åsa", last_name="Öberg", email="asa@nordlys.se")
    PersonFactory(first_name="Anna", last_name="Berg")
    people = Person.objects.all()
    assert found(people, "asa ober") == {asa}
    assert found(people, "Öberg Åsa") == {asa}


def test_search_finds_people_by_email_and_by_email_domain(db):
    anna = PersonFactory(first_name="Anna", email="anna.kovacs@filmarchivum.hu")
    PersonFactory(first_name="Bo", email="bo@nordlys.se")
    people = Person.objects.all()
    assert found(people, "anna.kovacs@filmarchivum.hu") == {anna}
    assert found(people, "filmarchivum.hu") == {anna}
    assert found(people, "filmarch") == {anna}


def test_search_finds_a_company_by_domain_and_website(filmarchive):
    assert found(Company.objects.all(), "filmarchivum.hu") == {filmarchive}
    assert found(Company.objects.all(), "www.filmarch") == {filmarchive}


def test_search_finds_a_phone_number_by_its_digits_however_typed(db):
    person = PersonFactory(first_name="Anna", phone="+46701234567")
    PersonFactory(first_name="Bo", phone="+46709999999")
    people = Person.objects.all()
    assert found(people, "46701234567") == {person}
    assert found(people, "+46 70 123 45 67") == {person}
    assert found(people, "4670123") == {person}


def test_search_finds_leads_by_company_name(db):
    lead = LeadFactory(company_name="Szegedi Filmarchívum", last_name="Kovács")
    LeadFactory(company_name="Nordlys")
    assert found(Lead.objects.all(), "szegedi kovacs") == {lead}


@pytest.mark.parametrize("garbage", ["&|!:*", "<->", "a:*b", "x' | 'y", "\\", "%_", "(((", "!"])
def test_search_with_tsquery_operators_raises_no_error(filmarchive, garbage):
    # Evaluating the queryset is what would raise a tsquery syntax error.
    list(search(Company.objects.all(), garbage))


def test_search_with_only_punctuation_does_not_filter(filmarchive):
    # Documented: "None when nothing searchable was typed", and search() then leaves the list
    # as it is (like an empty search box).
    assert found(Company.objects.all(), "&|!:*") == {filmarchive}


def test_search_ignores_operators_around_real_words(filmarchive):
    CompanyFactory(name="Nordlys Arkiv")
    assert found(Company.objects.all(), "!szeg & | :*") == {filmarchive}
    assert found(Company.objects.all(), "szeg | nord") == set()


def test_search_finds_nothing_for_a_word_nobody_has(filmarchive):
    assert found(Company.objects.all(), "zzzzqqq") == set()


def test_search_keeps_the_scope_of_the_queryset_it_is_given(
    manager, rep_other_team, managers_see_only_their_teams
):
    mine = CompanyFactory(name="Nordlys Nord", owner=manager)
    CompanyFactory(name="Nordlys Syd", owner=rep_other_team)
    assert found(Company.objects.visible_to(manager), "nordlys") == {mine}


# company_name_key and names_alike


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Nordlys Arkiv AB", "nordlys arkiv"),
        ("Szegedi Filmarchívum Kft.", "szegedi filmarchivum"),
        ("The Film Archive Ltd", "film archive"),
        ("Svenska Arkiv Aktiebolag (publ)", "svenska arkiv"),
        ("AB", ""),
    ],
)
def test_company_name_key_drops_accents_punctuation_and_legal_forms(name, key):
    assert company_name_key(name) == key


def test_names_made_only_of_legal_forms_are_never_alike():
    assert not names_alike("AB", "AB")


def test_free_mail_domains_are_not_usable_for_matching():
    assert usable_domain("@Gmail.com ") == ""
    assert usable_domain("@Nordlys.SE") == "nordlys.se"


# similar_companies


def similar(queryset=None, **kwargs):
    return set(similar_companies(queryset if queryset is not None else Company.objects.all(), **kwargs))


def test_similar_companies_match_on_the_same_email_domain(db):
    same = CompanyFactory(name="Completely different", email_domain="nordlys.se")
    CompanyFactory(name="Other", email_domain="other.se")
    assert similar(name="Nordlys Arkiv", email_domain="nordlys.se") == {same}
    assert similar(email_domain="@NORDLYS.SE") == {same}


def test_similar_companies_never_match_on_a_free_mail_domain(db):
    CompanyFactory(name="Someone's company", email_domain="gmail.com")
    assert similar(name="Nordlys", email_domain="gmail.com") == set()


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("Nordlys Arkiv AB", "Nordlys Arkiv"),
        ("Nordlys Arkiv", "Nordlys Arkiv AB"),
        ("Szegedi Filmarchívum Kft.", "Szegedi Filmarchivum"),
        ("Szegedi Filmarchivum", "szegedi filmarchívum kft"),
        ("Nordlys Arkiv AB", "Nordlys Arkiv A/S"),
        ("Nordlys Arkiver", "Nordlys Arkiv"),
    ],
)
def test_similar_companies_match_near_identical_names(db, existing, typed):
    company = CompanyFactory(name=existing, email_domain="")
    assert similar(name=typed) == {company}


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("Nordlys Arkiv AB", "Nordic Film Archive"),
        ("Nordlys Arkiv AB", "Nordlys Media Group"),
        ("Szegedi Filmarchívum", "Budapesti Filmarchívum"),
        ("Nordlys AB", "AB"),
    ],
)
def test_similar_companies_do_not_match_unrelated_names(db, existing, typed):
    CompanyFactory(name=existing, email_domain="")
    assert similar(name=typed) == set()


def test_similar_companies_with_nothing_given_match_nothing(db):
    CompanyFactory(name="Nordlys", email_domain="")
    assert similar() == set()


def test_similar_companies_leave_out_the_record_being_edited(db):
    company = CompanyFactory(name="Nordlys Arkiv", email_domain="nordlys.se")
    assert similar(name="Nordlys Arkiv", email_domain="nordlys.se", exclude_pk=company.pk) == set()


def test_similar_companies_only_look_among_the_records_the_user_sees(
    manager, rep, rep_other_team, managers_see_only_their_teams
):
    visible = CompanyFactory(name="Nordlys Arkiv AB", email_domain="nordlys.se", owner=rep)
    CompanyFactory(name="Nordlys Arkiv", email_domain="nordlys.se", owner=rep_other_team)
    CompanyFactory(name="Nordlys Arkiv Kft", email_domain="", owner=rep_other_team)
    result = similar(Company.objects.visible_to(manager), name="Nordlys Arkiv", email_domain="nordlys.se")
    assert result == {visible}


def test_similar_companies_return_at_most_ten(db):
    CompanyFactory.create_batch(15, name="Nordlys Arkiv", email_domain="nordlys.se")
    assert (
        len(similar_companies(Company.objects.all(), name="Nordlys Arkiv", email_domain="nordlys.se")) == 10
    )


# similar_people


def test_similar_people_match_on_the_email_ignoring_case(db):
    anna = PersonFactory(email="anna@nordlys.se")
    PersonFactory(email="bo@nordlys.se")
    assert similar_people(Person.objects.all(), email=" Anna@NORDLYS.se ") == [anna]


def test_similar_people_match_on_the_name_at_the_same_company(db):
    nordlys, other = CompanyFactory(), CompanyFactory()
    anna = PersonFactory(first_name="Anna", last_name="Kovács", company=nordlys, email="")
    PersonFactory(first_name="Anna", last_name="Kovács", company=other, email="")
    PersonFactory(first_name="Bo", last_name="Kovács", company=nordlys, email="")
    people = Person.objects.all()
    assert similar_people(people, first_name="anna", last_name="KOVÁCS", company=nordlys) == [anna]


def test_similar_people_do_not_match_on_name_alone_without_a_company(db):
    PersonFactory(first_name="Anna", last_name="Kovács", email="")
    assert similar_people(Person.objects.all(), first_name="Anna", last_name="Kovács") == []


def test_similar_people_with_no_email_and_no_name_match_nothing(db):
    PersonFactory(email="")
    assert similar_people(Person.objects.all(), email="  ") == []


def test_similar_people_only_look_among_the_records_the_user_sees(
    manager, rep, rep_other_team, managers_see_only_their_teams
):
    seen = PersonFactory(email="anna@nordlys.se", owner=rep)
    PersonFactory(email="anna@nordlys.se", owner=rep_other_team)
    assert similar_people(Person.objects.visible_to(manager), email="anna@nordlys.se") == [seen]


def test_similar_people_leave_out_the_record_being_edited(db):
    anna = PersonFactory(email="anna@nordlys.se")
    assert similar_people(Person.objects.all(), email="anna@nordlys.se", exclude_pk=anna.pk) == []
