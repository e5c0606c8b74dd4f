"""Contracts for the access matrix and the growth test (tests/test_access_matrix.py's `records`,
tests/access_matrix.py's content data set and tests/test_page_growth.py's world take them from
here, as "contract"): one per kind of owner, like the other records."""

from __future__ import annotations

import datetime

from django.utils import timezone

from support import contracts
from support.models import Contract, SlaPolicy
from tests.factories import CompanyFactory

OWNER_KEYS = ["admin", "manager", "rep", "rep_other_team", "restricted"]


def _owners(personas) -> dict:
    owners = {key: {"owner": getattr(personas, key)} for key in OWNER_KEYS}
    owners["unassigned"] = {"owner": None}
    owners["south_team"] = {"owner": personas.admin, "team": personas.south}
    return owners


def make_contract(actor, *, company, name: str, ends_in: int = 200, **values) -> Contract:
    today = timezone.localdate()
    return contracts.contract_create(
        actor=actor,
        values={
            "company": company,
            "name": name,
            "starts_on": today - datetime.timedelta(days=30),
            "ends_on": today + datetime.timedelta(days=ends_in),
            "sla_policy": SlaPolicy.objects.get(is_default=True),
            **values,
        },
    )


def contracts_by_owner(personas) -> dict[str, Contract]:
    company = CompanyFactory(name="Contract customer")
    return {
        key: make_contract(personas.admin, company=company, name=f"Contract of {key}", **owner)
        for key, owner in _owners(personas).items()
    }


def content_contracts(personas, people: dict) -> dict[str, Contract]:
    """Contracts for the content check: each with the next owner's company, so that a visible
    contract is of a hidden company for every narrowed role."""
    from tests.access_matrix import CONTENT_OWNERS

    owners = {**_owners(personas), "north_team": {"owner": personas.rep_other_team, "team": personas.north}}
    made = {}
    for key in CONTENT_OWNERS:
        company = people[CONTENT_OWNERS[(CONTENT_OWNERS.index(key) + 1) % len(CONTENT_OWNERS)]].company
        made[key] = make_contract(personas.admin, company=company, name=f"Contract of {key}", **owners[key])
    return made


def hub_contract(personas, company) -> Contract:
    return make_contract(personas.admin, company=company, name="Hub contract", owner=personas.rep)


def grow_contracts(hub: dict, count: int, start: int = 0) -> None:
    """For the growth test: `count` more contracts of the hub company (its card panel caps them,
    the list pages them), half ending soon, half ended, owned like the rest of the grown data."""
    owners = [None, hub["contract"].owner, None, None]
    today = timezone.localdate()
    Contract.objects.bulk_create(
        Contract(
            company=hub["company"],
            name=f"Grow contract {number}",
            starts_on=today - datetime.timedelta(days=400),
            ends_on=today + datetime.timedelta(days=(number % 60) - 20),
            sla_policy_id=hub["contract"].sla_policy_id,
            owner=owners[number % len(owners)],
        )
        for number in range(start, start + count)
    )
