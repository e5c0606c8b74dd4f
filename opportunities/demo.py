"""~120 demo deals across the three pipelines and all their stages, created through the gate-
checked service with what each stage requires; some won, some lost with a reason. Some journey
deals lie outside the prioritised verticals and say in their description why they were added."""

import datetime
import random
from decimal import Decimal

from contacts.models import Company, Sector
from opportunities import services
from opportunities.models import Deal, Pipeline, Product, Vertical, VolumeUnit
from opportunities.sales import services as sales

CONTENTS = ["Movie soundfiles in different languages", "Legal documents", "Personnel records", "Radio archive",
            "Parish registers", "Medical images", "Court recordings", "Newspaper microfilm"]  # fmt: skip
SERVICES = ["preservation", "digitization & preservation", "migration", "access platform"]
REASONS_FOR_ADDING = ["The national archive law changes in 2027 and they must keep records for 100 years.",
                      "Referred by a reseller who has a framework agreement with them."]  # fmt: skip
LOST_REASONS = ["Budget moved to next year", "Chose a cloud-only competitor", "No decision maker engaged",
                "Project cancelled after elections"]  # fmt: skip


def demo_deals_ensure(*, users, count: int = 120) -> int:
    if Deal.objects.count() >= count:
        return Deal.objects.count()
    random_numbers = random.Random(120)
    companies = list(Company.objects.prefetch_related("people").order_by("pk"))
    units = {unit.name: unit for unit in VolumeUnit.objects.all()}
    sectors, verticals = list(Sector.objects.all()), list(Vertical.objects.all())
    pipelines = list(Pipeline.objects.prefetch_related("stages__criteria"))
    today = datetime.date.today()
    products = list(Product.objects.filter(is_active=True))
    for index in range(count - Deal.objects.count()):
        pipeline = pipelines[index % len(pipelines)]
        stages = list(pipeline.stages.all())
        stage = stages[index // len(pipelines) % len(stages)]
        company = companies[index % len(companies)]
        people = list(company.people.all())
        unit = random_numbers.choice(["GB", "TB", "pages"])
        amount = random_numbers.choice([200, 500, 3, 12, 10_000, 50_000_000])
        content, service = random_numbers.choice(CONTENTS), random_numbers.choice(SERVICES)
        # Every fourth deal has no vertical (or one the company does not prioritise): its
        # description gives the reason for adding it, as the journey's Identify asks.
        vertical = None if index % 4 == 3 else random_numbers.choice(verticals)
        reason = "" if vertical and vertical.is_prioritised else random_numbers.choice(REASONS_FOR_ADDING)
        values = {
            "name": f"{amount:,} {unit} - {content} - {service}".replace(",", " "),
            "company": company,
            "primary_contact": people[0] if people else None,
            "expected_close_date": today + datetime.timedelta(days=random_numbers.randint(-60, 240)),
            "value": Decimal(random_numbers.choice([15, 40, 90, 180, 350, 800])) * 1000,
            "currency": random_numbers.choice(["EUR", "EUR", "SEK", "HUF"]),
            "volume_amount": Decimal(amount),
            "volume_unit": units[unit],
            "sector": random_numbers.choice(sectors),
            "vertical": vertical,
            "description": reason,
            "use_case": "Long-term preservation of the archive with guaranteed readability.",
            "business_case": "Lower storage cost over 30 years than keeping hard drives migrated.",
            "owner": company.owner,
            "lost_reason": random_numbers.choice(LOST_REASONS) if stage.kind == "lost" else "",
        }
        criteria = [
            criterion for s in stages if s.position <= stage.position for criterion in s.criteria.all()
        ]
        lines = []
        if index % 3 == 0 and products:
            lines = random_numbers.sample(products, k=min(2, len(products)))
        deal = services.deal_create(
            actor=users["admin"],
            pipeline=pipeline,
            stage=stage if not lines or stage.kind == "open" else stages[0],
            values=values,
            confirmed_criteria=criteria,
        )
        for product in lines:
            sales.deal_line_add(
                actor=users["admin"],
                deal=deal,
                values={
                    "product": product,
                    "quantity": random_numbers.choice([1, 2, 5]),
                    "discount": Decimal(5),
                    # A price list in another currency cannot be used as is.
                    **({} if product.currency == deal.currency else {"unit_price": Decimal(25_000)}),
                },
            )
        if lines and index % 6 == 0:
            sales.quote_create(actor=users["admin"], deal=deal)
        if lines and stage.kind != "open":
            # Closed after its lines were set, so a won deal's order carries them.
            deal.refresh_from_db()
            services.deal_move_stage(
                actor=users["admin"],
                deal=deal,
                stage=stage,
                expected_version=deal.version,
                confirmed_criteria=criteria,
            )
    return Deal.objects.count()
