"""Writes to companies and people: every view, import, task and test goes through here."""

from __future__ import annotations

from contacts.models import Company
from crm.services import record_create, record_delete, record_update


def _normalised_domain(domain: str) -> str:
    return domain.strip().lower().removeprefix("@")


def company_create(
    *, actor, name: str, owner, website: str = "", email_domain: str = "", team=None
) -> Company:
    """Create a company; `owner` None leaves it unassigned."""
    company = Company(
        name=name.strip(),
        website=website,
        email_domain=_normalised_domain(email_domain),
        owner=owner,
        team=team,
    )
    return record_create(actor=actor, instance=company)


def company_update(*, actor, company: Company, changes: dict, expected_version: int) -> Company:
    """Change a company unless someone else saved it since `expected_version`."""
    if "email_domain" in changes:
        changes = {**changes, "email_domain": _normalised_domain(changes["email_domain"])}
    return record_update(actor=actor, instance=company, changes=changes, expected_version=expected_version)


def company_delete(*, actor, company: Company) -> None:
    record_delete(actor=actor, instance=company)
