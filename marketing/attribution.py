"""Which campaign brought a lead, a person or a deal (seed 004: "a campaign's success is measured
by its leads"). Each record has at most one first-touch campaign (the first that reached it; a
later one does not replace it) and one converting campaign (the latest that made it act: a form
submitted, a click, a conversion)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from marketing.models import Attribution, Campaign

Touch = Attribution.Touch


@transaction.atomic
def attribute(record: models.Model, campaign: Campaign, *, converting: bool = False) -> None:
    """Record that `campaign` reached `record`: its first touch unless it has one, and, when
    `converting`, its converting campaign (replacing an earlier one)."""
    content_type = ContentType.objects.get_for_model(record)
    key = {"content_type": content_type, "object_id": record.pk}
    Attribution.objects.bulk_create(
        [Attribution(campaign=campaign, touch=Touch.FIRST, **key)], ignore_conflicts=True
    )
    if converting:
        Attribution.objects.update_or_create(
            touch=Touch.CONVERTING, **key, defaults={"campaign": campaign, "created_at": timezone.now()}
        )


def campaigns_of(record: models.Model) -> dict[str, Campaign]:
    """The record's campaigns by touch ("first", "converting")."""
    content_type = ContentType.objects.get_for_model(record)
    return {
        a.touch: a.campaign
        for a in Attribution.objects.filter(content_type=content_type, object_id=record.pk).select_related(
            "campaign"
        )
    }


@transaction.atomic
def carry_over(source: models.Model, targets: list[models.Model]) -> None:
    """Give `targets` the campaigns of `source` (a lead's, to the person and deal it became)."""
    campaigns = campaigns_of(source)
    for touch in (Touch.FIRST, Touch.CONVERTING):  # the first touch first: attribute() keeps it
        if touch in campaigns:
            for target in targets:
                if target is not None:
                    attribute(target, campaigns[touch], converting=touch == Touch.CONVERTING)


@transaction.atomic
def merge_records(*, survivor: models.Model, duplicate: models.Model) -> None:
    """A company or person merge (contacts.services.on_merge): the survivor keeps the earlier
    first touch and the later converting campaign of the two records."""
    content_type = ContentType.objects.get_for_model(survivor)
    of_duplicate = Attribution.objects.filter(content_type=content_type, object_id=duplicate.pk)
    kept = {a.touch: a for a in Attribution.objects.filter(content_type=content_type, object_id=survivor.pk)}
    for taken in of_duplicate:
        mine = kept.get(taken.touch)
        earlier = mine is not None and taken.created_at < mine.created_at
        if mine is None or (earlier if taken.touch == Touch.FIRST else not earlier):
            if mine is not None:
                mine.delete()
            taken.object_id = survivor.pk
            taken.save(update_fields=["object_id"])
        else:
            taken.delete()
