"""Which existing companies and people a new record (or a lead) probably is.

A company matches on the same e-mail domain (free-mail domains excluded) or a near-identical
name: compared without accents, punctuation and legal forms ("AB", "Kft.", "GmbH"…), equal or
at least 90 % alike. A person matches on the same e-mail address, or the same name at the
same company.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from django.db.models import Q, QuerySet

from contacts.models import Company, Person
from crm.search import normalise_for_search, search_query

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "hotmail.com", "outlook.com", "live.com", "msn.com", "yahoo.com",
        "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de",
        "freemail.hu", "citromail.hu", "t-online.hu", "telia.com", "spray.se", "bredband.net",
    }
)  # fmt: skip
LEGAL_FORMS = frozenset(
    {
        "ab", "publ", "aktiebolag", "hb", "kb", "oy", "oyj", "as", "asa", "aps", "a/s", "kft", "zrt", "nyrt",
        "bt", "rt", "gmbh", "ag", "kg", "se", "ltd", "limited", "plc", "llc", "inc", "corp", "co", "sa", "bv",
        "nv", "srl", "spa", "the",
    }
)  # fmt: skip
MAX_CANDIDATES = 10


def company_name_key(name: str) -> str:
    name = re.sub(r"(?i)\b([a-z])/([a-z])\b", r"\1\2", name)  # "A/S" is the legal form "as"
    return " ".join(word for word in normalise_for_search(name).split() if word not in LEGAL_FORMS)


def usable_domain(domain: str) -> str:
    domain = domain.strip().lower().removeprefix("@")
    return "" if domain in FREE_MAIL_DOMAINS else domain


def names_alike(first: str, second: str) -> bool:
    first_key, second_key = company_name_key(first), company_name_key(second)
    if not first_key or not second_key:
        return False
    return first_key == second_key or SequenceMatcher(None, first_key, second_key).ratio() >= 0.9


def similar_companies(
    companies: QuerySet, *, name: str = "", email_domain: str = "", exclude_pk=None
) -> list[Company]:
    """Likely duplicates of a company among `companies` (already scoped to the user)."""
    domain = usable_domain(email_domain)
    condition = Q(email_domain=domain) if domain else Q(pk__in=[])
    key_words = company_name_key(name).split()
    query = search_query(key_words[0]) if key_words else None
    if query is not None:
        condition |= Q(search_vector=query)
    candidates = companies.filter(condition).exclude(pk=exclude_pk).order_by("name")[:200]
    matches = [c for c in candidates if (domain and c.email_domain == domain) or names_alike(c.name, name)]
    return matches[:MAX_CANDIDATES]


def similar_people(
    people: QuerySet,
    *,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    company=None,
    exclude_pk=None,
) -> list[Person]:
    """Likely duplicates of a person among `people` (already scoped to the user)."""
    condition = Q(email__iexact=email.strip()) if email.strip() else Q(pk__in=[])
    if company is not None and last_name.strip():
        condition |= Q(
            company=company, first_name__iexact=first_name.strip(), last_name__iexact=last_name.strip()
        )
    # Unordered in SQL: sorting by name would let the planner walk the name index through every
    # person looking for matches that are not there; the few found are sorted here.
    matches = people.filter(condition).exclude(pk=exclude_pk).select_related("company").order_by()
    return sorted(
        matches[:MAX_CANDIDATES], key=lambda person: (person.last_name, person.first_name, person.pk)
    )
