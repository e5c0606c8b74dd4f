"""Generated leads for the benchmark (bench_seed), from a fixed random seed.

Most leads are open or disqualified, with names, companies and e-mails in the benchmark's four
locales; a quarter were converted and point at the company, the person and sometimes the deal
they became (their names and e-mail are the person's). Rows are dicts by attname, ready for
crm.bench_load.copy_rows, with ``search_text`` as ``SearchableModel.save()`` computes it.
"""

from __future__ import annotations

import datetime
import random

from contacts.management.bench_data import LOCALES, SEED, Generator, ascii_slug, search_text_of
from leads.demo import EVENTS
from leads.models import Lead, LeadSource

STATUS_WEIGHTS = {
    Lead.Status.NEW: 30,
    Lead.Status.WORKING: 20,
    Lead.Status.QUALIFIED: 10,
    Lead.Status.DISQUALIFIED: 15,
    Lead.Status.CONVERTED: 25,
}
GRADES = ["", "", "A", "B", "C"]


class LeadGenerator:
    """Deterministic lead rows; `contacts` gives names and owners in the same style as people."""

    def __init__(self, *, contacts: Generator, seed: int = SEED + 2):
        self.random = random.Random(seed)
        self.contacts = contacts
        self.sources = dict(LeadSource.objects.values_list("name", "id"))
        self.statuses = list(STATUS_WEIGHTS)
        self.weights = list(STATUS_WEIGHTS.values())

    def status(self) -> str:
        return self.random.choices(self.statuses, self.weights)[0]

    def lead(
        self,
        *,
        status: str | None = None,
        owner=None,
        converted: tuple[dict, dict, int | None] | None = None,
    ) -> dict:
        """One lead; a converted one needs `converted` = (company row, person row, deal id or None)."""
        pick = self.random
        status = status or self.status()
        source = pick.choice(list(self.sources)) if self.sources else None
        if owner is not None:
            owner_id, team_id = owner.pk, self.contacts.team_of.get(owner.pk)
        else:
            owner_id, team_id = self.contacts.owner()
        created_at = self.contacts.when(days=3 * 365)
        row = {
            "status": status,
            "source_id": self.sources.get(source),
            "details": pick.choice(EVENTS) if source == "Trade show" else "",
            "score": pick.choice((0, 0, 5, 10, 15, 30, 45)),
            "grade": pick.choice(GRADES),
            "owner_id": owner_id,
            "team_id": team_id,
            "created_at": created_at,
            "updated_at": created_at,
            "version": 1,
            "custom_fields": {},
        }
        if converted is not None:
            company, person, deal_id = converted
            row.update(
                first_name=person["first_name"],
                last_name=person["last_name"],
                email=person["email"],
                phone=person["phone"],
                title=person["title"],
                company_name=company["name"],
                status=Lead.Status.CONVERTED,
                converted_company_id=company["id"],
                converted_person_id=person["id"],
                converted_deal_id=deal_id,
                converted_at=created_at + datetime.timedelta(days=pick.randint(1, 60)),
                converted_by_id=owner_id,
            )
        else:
            locale = LOCALES[pick.choice(list(LOCALES))]
            first_name, last_name = pick.choice(locale.first_names), pick.choice(locale.last_names)
            company_name = self.contacts.company()["name"] if pick.random() < 0.7 else ""
            domain_words = [word for word in company_name.replace(",", " ").split() if ascii_slug(word)][:2]
            domain = (
                f"{'-'.join(ascii_slug(word) for word in domain_words)}.{locale.tld}"
                if domain_words
                else pick.choice(locale.free_mail)
            )
            row.update(
                first_name=first_name,
                last_name=last_name,
                email=f"{ascii_slug(first_name)}.{ascii_slug(last_name)}@{domain}"
                if pick.random() < 0.9
                else "",
                phone=self.contacts.phone(locale.mobile) if pick.random() < 0.5 else "",
                title=pick.choice(locale.titles) if pick.random() < 0.6 else "",
                company_name=company_name,
            )
            if status == Lead.Status.CONVERTED:
                row["status"] = Lead.Status.QUALIFIED  # converted leads are made with `converted`
        row["search_text"] = search_text_of(
            Lead(
                first_name=row["first_name"],
                last_name=row["last_name"],
                company_name=row["company_name"],
                email=row["email"],
                phone=row["phone"],
            )
        )
        return row
