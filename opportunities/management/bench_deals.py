"""Generated deals for the benchmarks (bench_seed, bench_board), from a fixed random seed.

Open deals sit in the open stages of their pipeline and close between two months ago and nine
months ahead; won and lost ones were closed over the last three years. Each deal has what the
gates of its stage and of every stage before it require (company, primary contact, value,
volume, sector, the name rule, checklist ticks…), as it would after real use, although the rows
are loaded with COPY and never pass the gate check. Lines and buying-influence contacts are
made on request. Rows are dicts by attname, ready for crm.bench_load.copy_rows, with
``search_text`` computed by ``Deal.search_words()`` as ``SearchableModel.save()`` does.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from contacts.management.bench_data import SEED, search_text_of
from contacts.models import BusinessUnit, BuyingInfluence, Sector
from opportunities.demo import CONTENTS, SERVICES
from opportunities.models import (
    Deal,
    Pipeline,
    Product,
    Stage,
    Vertical,
    VolumeUnit,
    requirement_alternatives,
)

WON_SHARE = 0.45
CURRENCIES = [("EUR", 70), ("SEK", 20), ("HUF", 10)]
PRODUCTS = [
    "Archive digitisation",
    "Film scanning",
    "Records management",
    "Long-term preservation",
    "Microfilm conversion",
    "Audio restoration",
    "Document capture",
    "Hosting renewal",
]
LOST_REASONS = ["Price", "Went with a competitor", "No budget this year", "Project cancelled"]
STATUS_REPORTS = [
    "Waiting for the customer's budget decision.",
    "Proof of concept delivered; feedback meeting booked.",
    "Legal is reviewing the contract.",
    "Sent revised pricing after the workshop.",
]
# The field a generated deal fills to meet a requirement; of alternatives ("a|b") it meets the first.
FIELD_OF_REQUIREMENT = {"contact_person": "primary_contact", "prioritised_vertical": "vertical"}
# Units a name rule like "200 GB - content - service" accepts, with amounts that fit them.
VOLUME_AMOUNTS = {"GB": [200, 500, 800], "TB": [3, 12, 40], "PB": [1, 2], "pages": [10_000, 50_000_000]}


@dataclass
class PipelinePlan:
    """A pipeline's stages and what entering each of them takes."""

    pipeline: Pipeline
    stages: list[Stage]
    open_stages: list[Stage]
    open_weights: list[float]
    won: Stage
    lost: Stage
    criteria: dict[int, list[int]] = field(default_factory=dict)  # stage id → ids of criteria ticked
    requirements: dict[int, set[str]] = field(default_factory=dict)  # stage id → required fields
    name_rule: bool = False

    @classmethod
    def of(cls, pipeline: Pipeline, open_shares: dict[str, float] | None = None) -> PipelinePlan:
        """Open deals spread by `open_shares` (stage name → share), else more in earlier stages."""
        stages = list(pipeline.stages.prefetch_related("criteria").order_by("position"))
        open_stages = [stage for stage in stages if stage.kind == Stage.Kind.OPEN]
        if open_shares:
            weights = [open_shares.get(stage.name, 0.0) for stage in open_stages]
        else:
            weights = [float(len(open_stages) - index) for index in range(len(open_stages))]
        plan = cls(
            pipeline=pipeline,
            stages=stages,
            open_stages=open_stages,
            open_weights=weights,
            won=next(stage for stage in stages if stage.kind == Stage.Kind.WON),
            lost=next(stage for stage in stages if stage.kind == Stage.Kind.LOST),
            name_rule=any(stage.name_rule for stage in stages),
        )
        for stage in stages:
            # A closed deal went through every open stage; an open one through those up to its own.
            passed = [
                earlier
                for earlier in open_stages
                if stage.kind != Stage.Kind.OPEN or earlier.position <= stage.position
            ]
            plan.criteria[stage.pk] = [c.pk for s in passed for c in s.criteria.all()]
            plan.requirements[stage.pk] = {
                FIELD_OF_REQUIREMENT.get(first, first)
                for s in [*passed, stage]
                for first in (requirement_alternatives(entry)[0] for entry in s.required_fields or [])
            }
            if stage.kind == Stage.Kind.LOST:
                plan.requirements[stage.pk].add("lost_reason")
        return plan


def pipeline_plans(names: list[str] | None = None, open_shares: dict[str, float] | None = None):
    """Plans of the active pipelines named (default: all of them, in their order)."""
    pipelines = Pipeline.objects.filter(is_active=True).order_by("position", "name")
    if names:
        pipelines = pipelines.filter(name__in=names)
    return [PipelinePlan.of(pipeline, open_shares) for pipeline in pipelines]


class DealGenerator:
    """Deterministic deal rows over `plans`; the same options give the same data."""

    def __init__(
        self,
        *,
        reps: list,
        team_of: dict[int, int],
        plans: list[PipelinePlan],
        companies: list[dict],
        people_by_company: dict[int, list[int]],
        seed: int = SEED + 1,
    ):
        self.random = random.Random(seed)
        self.reps = reps
        self.team_of = team_of
        self.plans = plans
        self.companies = companies
        self.companies_with_people = [row for row in companies if people_by_company.get(row["id"])]
        self.people_by_company = people_by_company
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.sectors = list(Sector.objects.values_list("id", flat=True))
        self.verticals = list(Vertical.objects.values_list("id", flat=True))
        self.prioritised_verticals = list(
            Vertical.objects.filter(is_prioritised=True).values_list("id", flat=True)
        )
        self.business_units = list(BusinessUnit.objects.values_list("id", flat=True))
        self.buying_influences = list(BuyingInfluence.objects.values_list("id", flat=True))
        self.volume_units = dict(VolumeUnit.objects.filter(name__in=VOLUME_AMOUNTS).values_list("name", "id"))
        self.products = list(
            Product.objects.filter(is_active=True).values_list("id", "unit_price", "currency")
        )

    # Deals ---------------------------------------------------------------------------------------

    def deals(self, *, open_count: int, closed_count: int) -> list[dict]:
        """`open_count` open deals and `closed_count` won or lost ones, over the plans."""
        rows = [self.deal() for _ in range(open_count)]
        rows += [self.deal(closed=True) for _ in range(closed_count)]
        return rows

    def deal(
        self,
        *,
        plan: PipelinePlan | None = None,
        stage: Stage | None = None,
        closed: bool = False,
        company: dict | None = None,
        owner=None,
    ) -> dict:
        """One deal: in `stage` (or a random open one, or won/lost when `closed`), at `company`
        (or a random one when the stage needs it, 90 % otherwise), owned by `owner` (or mostly
        by the company's owner)."""
        pick = self.random
        plan = plan or pick.choice(self.plans)
        if stage is None:
            if closed:
                stage = plan.won if pick.random() < WON_SHARE else plan.lost
            else:
                stage = pick.choices(plan.open_stages, plan.open_weights)[0]
        required = plan.requirements[stage.pk]

        def chance(share: float, field: str) -> bool:
            """Whether to fill `field`: always when the stage (or an earlier one) requires it."""
            return field in required or pick.random() < share

        def one_of(values: list, share: float, field: str):
            return pick.choice(values) if values and chance(share, field) else None

        if company is None and self.companies and chance(0.9, "company"):
            needs_contact = "primary_contact" in required and self.companies_with_people
            company = pick.choice(self.companies_with_people if needs_contact else self.companies)
        people = self.people_by_company.get(company["id"], []) if company else []
        if owner is not None:
            owner_id = owner.pk
        elif pick.random() < 0.95:
            own = company and company["owner_id"] and pick.random() < 0.7
            owner_id = company["owner_id"] if own else pick.choice(self.reps).pk
        else:
            owner_id = None
        closed_on = None
        if stage.kind == Stage.Kind.OPEN:
            expected = self.today + datetime.timedelta(days=pick.randint(-60, 270))
        else:
            closed_on = self.today - datetime.timedelta(days=pick.randint(0, 3 * 365))
            expected = closed_on + datetime.timedelta(days=pick.randint(-30, 30))
        created_at = self.now - datetime.timedelta(days=pick.randint(30, 1200))
        # A deal's sector is its company's, when the company has one.
        sector = (company or {}).get("sector_id") or (pick.choice(self.sectors) if self.sectors else None)
        row = {
            "pipeline_id": plan.pipeline.pk,
            "stage_id": stage.pk,
            "company_id": company["id"] if company else None,
            "primary_contact_id": one_of(people, 0.8, "primary_contact"),
            "value": Decimal(pick.randrange(1_000, 500_000, 500)) if chance(0.95, "value") else None,
            "currency": pick.choices([c for c, _ in CURRENCIES], [w for _, w in CURRENCIES])[0],
            "probability": pick.randrange(5, 95, 5) if chance(0.3, "probability") else None,
            "expected_close_date": expected,
            "closed_on": closed_on,
            "lost_reason": pick.choice(LOST_REASONS) if stage.kind == Stage.Kind.LOST else "",
            "owner_id": owner_id,
            "team_id": self.team_of.get(owner_id) if owner_id and pick.random() < 0.6 else None,
            "sector_id": sector if chance(0.5, "sector") else None,
            "vertical_id": one_of(
                self.prioritised_verticals if "vertical" in required else self.verticals, 0.4, "vertical"
            ),
            "business_unit_id": one_of(self.business_units, 0.3, "business_unit"),
            "status_report": pick.choice(STATUS_REPORTS) if pick.random() < 0.3 else "",
            "created_at": created_at,
            "updated_at": created_at + (self.now - created_at) * pick.random(),
            "version": 1,
            "custom_fields": {},
            "_plan": plan,
            "_stage": stage,
        }
        if plan.name_rule or "volume" in required:
            unit = pick.choice(list(self.volume_units)) if self.volume_units else "GB"
            amount = pick.choice(VOLUME_AMOUNTS.get(unit, [500]))
            name = f"{amount:,} {unit} - {pick.choice(CONTENTS)} - {pick.choice(SERVICES)}".replace(",", " ")
            row["volume_amount"] = Decimal(amount)
            row["volume_unit_id"] = self.volume_units.get(unit)
        else:
            name = f"{company['name'] if company else 'New customer'} – {pick.choice(PRODUCTS)}"
        if required & {"use_case", "business_case"} or plan.criteria[stage.pk]:
            row["use_case"] = "Long-term preservation of the archive with guaranteed readability."
            row["business_case"] = "Lower storage cost over 30 years than keeping hard drives migrated."
        row["name"] = name[:200]
        row["search_text"] = search_text_of(Deal(name=row["name"]))
        return row

    # What hangs off a deal (the deal rows need their ids first) ----------------------------------

    def lines(self, deal: dict, count: int | None = None) -> list[dict]:
        """1–4 lines (products or described work); the deal's value becomes their total."""
        pick = self.random
        count = count if count is not None else pick.choice((1, 1, 2, 2, 3, 4))
        rows, total = [], Decimal(0)
        for position in range(count):
            product = pick.choice(self.products) if self.products and pick.random() < 0.8 else None
            if product and product[2] == deal["currency"]:
                unit_price = product[1]
            else:
                unit_price = Decimal(pick.randrange(100, 50_000, 50))
            quantity = Decimal(pick.choice((1, 1, 2, 5, 10, 40)))
            discount = Decimal(pick.choice((0, 0, 0, 5, 10)))
            rows.append(
                {
                    "deal_id": deal["id"],
                    "product_id": product[0] if product else None,
                    "description": "" if product else pick.choice(PRODUCTS),
                    "quantity": quantity,
                    "unit_price": unit_price,
                    "discount": discount,
                    "position": position,
                }
            )
            total += (quantity * unit_price * (Decimal(100) - discount) / Decimal(100)).quantize(
                Decimal("0.01")
            )
        deal["value"] = total
        return rows

    def contacts(self, deal: dict, count: int | None = None) -> list[dict]:
        """People of the deal's company involved in it, each with a buying-influence role."""
        people = self.people_by_company.get(deal["company_id"], []) if deal["company_id"] else []
        count = min(len(people), count if count is not None else self.random.choice((0, 1, 1, 2, 3)))
        return [
            {
                "deal_id": deal["id"],
                "person_id": person_id,
                "role_id": self.random.choice(self.buying_influences) if self.buying_influences else None,
            }
            for person_id in self.random.sample(people, count)
        ]

    def confirmations(self, deal: dict) -> list[dict]:
        """The checklist ticks of every stage the deal has entered."""
        return [
            {
                "deal_id": deal["id"],
                "criterion_id": criterion_id,
                "confirmed_by_id": deal["owner_id"],
                "confirmed_at": deal["updated_at"],
            }
            for criterion_id in deal["_plan"].criteria[deal["_stage"].pk]
        ]
