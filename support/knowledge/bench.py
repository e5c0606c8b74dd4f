"""The benchmark data set's knowledge base (crm/management/commands/bench_seed.py): 5,000
articles in 20 categories, written in bulk with the words the model's save() would store, so that
the every-route benchmark walks the article list, its search (`?q=`) and an article at volume.
Target: a search under 100 ms median (issue 15)."""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from crm.search import normalise_for_search
from support.knowledge.models import Article, Category

ARTICLES = 5_000
CATEGORIES = 20
# The words of the articles: a few thousand articles share them, as real answers share a trade's.
VOCABULARY = (
    "scan film reel tape microfilm fiche archive museum delivery portal ticket invoice contract warranty "
    "resolution colour grading checksum download upload format prores pdf tiff audio video frame gate "
    "scanner calibration light lens cleaning dust scratch splice leader perforation shrinkage vinegar "
    "mould storage humidity temperature crate pickup courier express standard priority escalation "
    "agent customer contact company account manager price discount quote order payment renewal "
    "expiry backup copy restore metadata catalogue index search ocr page volume book paper map poster "
    "negative positive print slide photo album box folder label barcode batch job queue report"
)
WORDS = VOCABULARY.split()


@transaction.atomic
def bench_knowledge_seed(*, admin, articles: int = ARTICLES) -> dict[str, int]:
    """Seed once; returns what was made ({} when it was there already)."""
    if Category.objects.filter(name="Bench category 1").exists():
        return {}
    chance = random.Random(15)
    categories = Category.objects.bulk_create(
        Category(name=f"Bench category {number}", position=number) for number in range(1, CATEGORIES + 1)
    )
    now = timezone.now()
    rows = []
    for number in range(articles):
        title = " ".join(chance.sample(WORDS, 5)).capitalize() + f" {number}"
        body = "\n\n".join(
            " ".join(chance.choices(WORDS, k=chance.randint(20, 40))).capitalize() + "."
            for _paragraph in range(chance.randint(2, 5))
        )
        published = chance.random() < 0.9
        rows.append(
            Article(
                title=title, body=body, category=categories[number % CATEGORIES], owner=admin,
                status=Article.Status.PUBLISHED if published else Article.Status.DRAFT,
                audience=Article.Audience.PUBLIC if chance.random() < 0.6 else Article.Audience.INTERNAL,
                published_at=now if published else None,
                helpful_yes=chance.randint(0, 40), helpful_no=chance.randint(0, 10),
                search_title=normalise_for_search(title), search_body=normalise_for_search(body),
            )
        )  # fmt: skip
    Article.objects.bulk_create(rows, batch_size=1000)
    return {"categories": len(categories), "articles": len(rows)}
