"""Seed 000, "Mandatory information for an opportunity to be under Qualify", rule 1: the name starts
with the amount of data, then a short description of the content, then which service applies.
Every example of the guide and of the pipeline itself, and the units and dashes reps type."""

import re
from decimal import Decimal

import pytest

from opportunities import pipeline as gates
from opportunities.models import Pipeline, VolumeUnit
from tests.factories import DealFactory

SEED_EXAMPLES = [
    "200GB - Movie soundfiles in different languages - preservation",
    "50 000 000 pages - legal documents - digitization & preservation",
    "3 TB - Personnel records - Preservation",
    "10 000 pages - Legal documents - Digitization",
]
UNITS_AND_DASHES = [
    "200 GB - Movie soundfiles - preservation",
    "1.5TB - Engineering drawings - preservation",
    "2 PB - Satellite images - preservation",
    "120 reels - Radio archive - digitization",
    "1 reel - Wedding film - digitization",
    "40 boxes - Land registry - digitization & preservation",
    "1 box - Letters - digitization",
    "25 000 files - Scanned maps - preservation",
    "800 hours of audio - Folk music recordings - digitization",
    "300 hours of video - TV news - digitization",
    "1 200 hours of audio/video - Parliament debates - preservation",
    "3 TB – Personnel records – Preservation",  # en dash
    "3 TB — Personnel records — Preservation",  # em dash, spaced
    "3TB—Personnel records—Preservation",  # em dash, unspaced
    "500 pages - Jean-Luc's film scripts - digitization",  # a hyphen inside the content
]
NOT_THE_FORM = [
    "Big archive deal",
    "200GB - movies",
    "movies - 200GB - preservation",
    "200 - Movie soundfiles - preservation",  # no unit
    "200GB-Movie soundfiles-preservation",  # hyphens without spaces read as one word
    "lots of pages - Legal documents - Digitization",
]


@pytest.fixture
def qualify(db):
    return Pipeline.objects.get(name="Business Development Journey").stages.get(name="Qualify")


@pytest.mark.parametrize("name", SEED_EXAMPLES + UNITS_AND_DASHES)
def test_names_of_the_form_amount_content_service_pass(qualify, name):
    assert re.search(qualify.name_rule, name)


@pytest.mark.parametrize("name", NOT_THE_FORM)
def test_names_of_another_form_are_refused(qualify, name):
    assert not re.search(qualify.name_rule, name)


def test_the_explanation_quotes_the_guides_examples(qualify):
    assert SEED_EXAMPLES[0] in qualify.name_rule_explanation
    assert SEED_EXAMPLES[1] in qualify.name_rule_explanation


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (SEED_EXAMPLES[0], (Decimal(200), "GB")),
        (SEED_EXAMPLES[1], (Decimal(50_000_000), "pages")),
        (SEED_EXAMPLES[2], (Decimal(3), "TB")),
        (SEED_EXAMPLES[3], (Decimal(10_000), "pages")),
        ("1.5TB - Drawings - preservation", (Decimal("1.5"), "TB")),
        ("1,500 pages - Letters - digitization", (Decimal(1500), "pages")),
        ("120 reels - Radio - digitization", (Decimal(120), "reels")),
        ("800 hours of audio - Music - digitization", (Decimal(800), "hours of audio/video")),
        ("Big archive deal", None),
    ],
)
def test_the_amount_in_the_name_is_read(name, expected):
    assert gates.name_volume(name) == expected


@pytest.mark.parametrize(
    ("amount", "unit", "warned"),
    [("200", "GB", False), ("300", "GB", True), ("200", "TB", True)],
)
def test_the_card_warns_when_the_name_and_the_volume_disagree(client, rep, amount, unit, warned):
    deal = DealFactory(
        name=SEED_EXAMPLES[0],
        owner=rep,
        volume_amount=Decimal(amount),
        volume_unit=VolumeUnit.objects.get(name=unit),
    )
    assert bool(gates.volume_warning(deal)) is warned
    client.force_login(rep)
    page = client.get(deal.get_absolute_url()).content.decode()
    assert ('data-testid="volume-warning"' in page) is warned
    if warned:
        assert f"The name says 200 GB but the volume is {amount} {unit}." in page


def test_boxes_and_files_are_volume_units(db):
    assert {"boxes", "files", "reels", "pages", "hours of audio/video"} <= set(
        VolumeUnit.objects.values_list("name", flat=True)
    )
