"""Seed 000's "Business Development Journey", passage by passage: what a deal needs to be under
Identify, to move to Qualify and to move to Develop, and what stays a nice-to-have.

Each rule is tested by a deal that has everything but the one thing the rule asks for: it is
refused with a message naming that thing, and the same deal with it enters."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from contacts.models import Sector
from leads.models import Lead
from opportunities import pipeline as gates
from opportunities import services
from opportunities.demo import demo_deals_ensure
from opportunities.models import Deal, Pipeline, Stage, Vertical, VolumeUnit
from tests.factories import CompanyFactory, LeadFactory, PersonFactory

GOOD_NAME = "200GB - Movie soundfiles in different languages - preservation"
REASON = "Their archive law changes next year: 100 years of records to keep."
IDENTIFY_TICKS = [
    "There is a clear need for one or all of our services",  # "a clear need for one or all of Piql Services"
    "The customer has access to finance for a project with us",  # "access to finance a potential project"
]
DEVELOP_TICKS = [
    "The client has verified the use case",  # "The client shall verify the use-case"
    "A proof of concept has been produced, if one was needed",  # "Production of PoC if needed"
]
EITHER_MESSAGE = "Identify needs one of the prioritised verticals, or the reason for adding it, written in the description."


@pytest.fixture
def journey(db):
    pipeline = Pipeline.objects.get(name="Business Development Journey")
    return {stage.name: stage for stage in pipeline.stages.prefetch_related("criteria")}


@pytest.fixture
def company(rep):
    return CompanyFactory(name="Madhya Pradesh High Court", owner=rep)


@pytest.fixture
def contact(rep, company):
    return PersonFactory(
        first_name="Priya",
        last_name="Sharma",
        email="priya@mphc.gov.in",
        phone="",
        company=company,
        owner=rep,
    )


@pytest.fixture
def prioritised(db):
    return Vertical.objects.get(name="Legal & courts")


@pytest.fixture
def other_vertical(db):
    return Vertical.objects.create(name="Mining", position=50)


@pytest.fixture
def values(rep, company, contact, prioritised):
    """Everything Identify, Qualify and Develop ask for."""
    return {
        "name": GOOD_NAME,
        "owner": rep,
        "vertical": prioritised,
        "company": company,
        "primary_contact": contact,
        "expected_close_date": datetime.date(2027, 3, 31),
        "value": Decimal("180000"),
        "volume_amount": Decimal("200"),
        "volume_unit": VolumeUnit.objects.get(name="GB"),
        "sector": Sector.objects.get(name="Public"),
        "use_case": "Keep the court's records readable for 500 years without migration.",
        "business_case": "Cheaper over 30 years than migrating hard drives every five.",
    }


def ticks(journey, *stage_names):
    return [criterion for name in stage_names for criterion in journey[name].criteria.all()]


def create(journey, stage_name, values, criteria):
    pipeline = journey[stage_name].pipeline
    return services.deal_create(
        actor=values["owner"],
        pipeline=pipeline,
        stage=journey[stage_name],
        values=values,
        confirmed_criteria=criteria,
    )


def refusal(journey, stage_name, values, criteria) -> list[gates.MissingItem]:
    with pytest.raises(gates.StageGateError) as refused:
        create(journey, stage_name, values, criteria)
    return refused.value.missing


def identify_deal(journey, values):
    return create(journey, "Identify", values, ticks(journey, "Identify"))


# The journey as shipped ---------------------------------------------------------------------------


def test_the_journey_stages_ask_what_the_guide_asks(journey):
    assert journey["Identify"].required_fields == ["prioritised_vertical|description"]
    assert [c.text for c in journey["Identify"].criteria.all()] == IDENTIFY_TICKS
    assert journey["Qualify"].required_fields == [
        "company", "contact_person", "expected_close_date", "value", "volume", "sector", "use_case",
    ]  # fmt: skip
    assert journey["Develop"].required_fields == ["business_case"]
    assert [c.text for c in journey["Develop"].criteria.all()] == DEVELOP_TICKS


def test_the_verticals_shipped_are_the_prioritised_ones_and_a_new_one_is_not(prioritised, other_vertical):
    assert set(Vertical.objects.filter(is_prioritised=True).values_list("name", flat=True)) == {
        "Archives", "Libraries", "Media & broadcasting", "Film", "Legal & courts", "Healthcare", "Government",
    }  # fmt: skip
    assert not other_vertical.is_prioritised


# Identify: "You have identified a clear need for one or all of Piql Services", "They have access to
# finance a potential project with us" -------------------------------------------------------------


def test_a_deal_with_both_identify_ticks_and_a_prioritised_vertical_enters_identify(journey, values):
    deal = identify_deal(journey, values)
    assert deal.stage == journey["Identify"]
    assert set(deal.confirmed_criteria.all()) == set(journey["Identify"].criteria.all())


@pytest.mark.parametrize("unticked", IDENTIFY_TICKS)
def test_identify_needs_each_of_its_entry_criteria_ticked(journey, values, unticked):
    given = [criterion for criterion in ticks(journey, "Identify") if criterion.text != unticked]
    missing = refusal(journey, "Identify", values, given)
    assert [(item.kind, item.message) for item in missing] == [
        ("criterion", f"Identify: confirm that {unticked[0].lower()}{unticked[1:]}")
    ]


# Identify: "They belong to one of our prioritised verticals, IF NOT: add the reason for adding them
# under Description" ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vertical", "description", "enters"),
    [
        pytest.param("prioritised", "", True, id="prioritised vertical, no description"),
        pytest.param("other", REASON, True, id="another vertical, the reason in the description"),
        pytest.param(None, REASON, True, id="no vertical, the reason in the description"),
        pytest.param("prioritised", REASON, True, id="prioritised vertical and a description"),
        pytest.param("other", "", False, id="another vertical, no description"),
        pytest.param(None, "", False, id="no vertical, no description"),
        pytest.param(None, "  \n ", False, id="no vertical, a blank description"),
    ],
)
def test_identify_needs_a_prioritised_vertical_or_the_reason_in_the_description(
    journey, values, prioritised, other_vertical, vertical, description, enters
):
    chosen = {"prioritised": prioritised, "other": other_vertical, None: None}[vertical]
    given = {**values, "vertical": chosen, "description": description}
    if enters:
        assert identify_deal(journey, given).stage == journey["Identify"]
        return
    missing = refusal(journey, "Identify", given, ticks(journey, "Identify"))
    # One item naming both ways to meet it, not two demands.
    assert [(item.kind, item.key) for item in missing] == [("either", "prioritised_vertical|description")]
    assert missing[0].message.startswith(EITHER_MESSAGE)
    assert ("Mining is not a prioritised vertical." in missing[0].message) == (vertical == "other")


def test_an_administrator_prioritising_a_vertical_lets_its_deals_in_without_a_reason(
    journey, values, other_vertical
):
    given = {**values, "vertical": other_vertical}
    refusal(journey, "Identify", given, ticks(journey, "Identify"))
    other_vertical.is_prioritised = True
    other_vertical.save()
    assert identify_deal(journey, given).stage == journey["Identify"]


def test_the_prioritised_verticals_are_edited_in_the_admin_list(client, admin, other_vertical):
    client.force_login(admin)
    url = reverse("admin:opportunities_vertical_changelist")
    page = client.get(url).content.decode()
    assert 'name="form-0-is_prioritised"' in page
    rows = list(Vertical.objects.order_by("position", "name"))
    data = {"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": len(rows), "_save": "Save"}
    for index, vertical in enumerate(rows):
        data |= {f"form-{index}-id": vertical.pk, f"form-{index}-position": vertical.position}
        data |= {f"form-{index}-is_active": "on"}
        if vertical == other_vertical or vertical.is_prioritised:
            data[f"form-{index}-is_prioritised"] = "on"
    assert client.post(url, data).status_code == 302
    other_vertical.refresh_from_db()
    assert other_vertical.is_prioritised


# Qualify: "MANDATORY INFORMATION FOR AN OPPORTUNITY TO BE UNDER QUALIFY" and "CRITERIAS TO MOVE AN
# OPPORTUNITY TO QUALIFY" --------------------------------------------------------------------------


def test_a_deal_with_everything_the_guide_lists_moves_to_qualify(journey, values):
    deal = identify_deal(journey, values)
    moved = services.deal_move_stage(
        actor=values["owner"], deal=deal, stage=journey["Qualify"], expected_version=deal.version
    )
    assert moved.stage == journey["Qualify"]


@pytest.mark.parametrize(
    ("without", "message"),
    [
        # "1: Name of opportunity shall start with amount of data, then … content … service"
        pytest.param(
            {"name": "Court archive"}, "Qualify needs a name of the form: amount of data", id="name"
        ),
        # "2: Connected to a company AND a primary contact person"
        pytest.param({"company": None}, "Qualify needs a company.", id="company"),
        pytest.param({"primary_contact": None}, "Qualify needs a primary contact person.", id="contact"),
        # "3: An expected close date"
        pytest.param({"expected_close_date": None}, "Qualify needs an expected close date.", id="close date"),
        # "4: An estimated value"; "You know … the estimated value"
        pytest.param({"value": None}, "Qualify needs an estimated value.", id="value"),
        # "5: A volume of information - data or paper"; "You know the amount of data"
        pytest.param({"volume_amount": None}, "Qualify needs a volume of information", id="volume amount"),
        pytest.param({"volume_unit": None}, "Qualify needs a volume of information", id="volume unit"),
        # "6: To be assigned to either public or private sector"
        pytest.param({"sector": None}, "Qualify needs public or private sector.", id="sector"),
        # "You can define a clear use-case"
        pytest.param({"use_case": ""}, "Qualify needs a use case.", id="use case"),
        pytest.param({"use_case": "   "}, "Qualify needs a use case.", id="blank use case"),
    ],
)
def test_qualify_needs_each_mandatory_item(journey, values, without, message):
    deal = identify_deal(journey, {**values, **without})
    with pytest.raises(gates.StageGateError) as refused:
        services.deal_move_stage(
            actor=values["owner"], deal=deal, stage=journey["Qualify"], expected_version=deal.version
        )
    assert [item.message for item in refused.value.missing if item.message.startswith(message)]
    assert len(refused.value.missing) == 1, [item.message for item in refused.value.missing]
    deal.refresh_from_db()
    assert deal.stage == journey["Identify"]


# "a primary contact person; name and contact details"; "a valid contact person from the organisation"
@pytest.mark.parametrize(
    ("person", "messages"),
    [
        pytest.param({"phone": ""}, [], id="e-mail only"),
        pytest.param({"email": "", "phone": "+91 761 266 8800"}, [], id="phone only"),
        pytest.param(
            {"email": "", "phone": ""},
            [
                "Qualify needs a contact person you can reach: the primary contact has no e-mail address or phone number."
            ],
            id="neither e-mail nor phone",
        ),
        pytest.param(
            {"email": " ", "phone": "  "},
            [
                "Qualify needs a contact person you can reach: the primary contact has no e-mail address or phone number."
            ],
            id="blank e-mail and phone",
        ),
        pytest.param(
            {"first_name": "", "last_name": ""},
            ["Qualify needs a contact person with a name: the primary contact has none."],
            id="no name",
        ),
        pytest.param(
            {"company": "other"},
            [
                "Qualify needs a contact person from the deal's company: the primary contact is not one of its people."
            ],
            id="someone at another company",
        ),
        pytest.param(
            {"company": None},
            [
                "Qualify needs a contact person from the deal's company: the primary contact is not one of its people."
            ],
            id="someone at no company",
        ),
        pytest.param(
            {"email": "", "phone": "", "company": "other"},
            [
                "Qualify needs a contact person you can reach: the primary contact has no e-mail address or phone number.",
                "Qualify needs a contact person from the deal's company: the primary contact is not one of its people.",
            ],
            id="each failure its own message",
        ),
    ],
)
def test_qualify_needs_a_valid_contact_person_from_the_deals_company(journey, values, rep, person, messages):
    if person.get("company") == "other":
        person = {**person, "company": CompanyFactory(name="Another court", owner=rep)}
    contact = PersonFactory(**{"first_name": "Arjun", "last_name": "Iyer", "email": "arjun@mphc.gov.in",
                               "company": values["company"], "owner": rep, **person})  # fmt: skip
    deal = identify_deal(journey, {**values, "primary_contact": contact})
    missing = gates.missing_for_move(deal, journey["Qualify"])
    assert [item.message for item in missing] == messages
    assert all(item.key == "contact_person" for item in missing)


def test_a_contact_person_of_a_deal_without_company_is_not_reported_twice(journey, values):
    deal = identify_deal(journey, {**values, "company": None})
    assert [item.message for item in gates.missing_for_move(deal, journey["Qualify"])] == [
        "Qualify needs a company."
    ]


def test_a_stage_asking_for_a_contact_person_but_not_a_company_says_the_deal_has_none(journey, values):
    stage = Stage.objects.create(
        pipeline=journey["Identify"].pipeline,
        name="Contacted",
        position=9,
        required_fields=["contact_person"],
    )
    deal = Deal(pipeline=stage.pipeline, stage=journey["Identify"], primary_contact=values["primary_contact"])
    assert [item.message for item in gates.missing_for_stage(deal, stage, set())] == [
        "Contacted needs a contact person from the deal's company, and the deal has no company."
    ]


# Develop: "The client shall verify the use-case", "Production of PoC if needed", "Definition of
# business case" ---------------------------------------------------------------------------------


def test_a_deal_with_both_develop_ticks_and_a_business_case_moves_to_develop(journey, values):
    deal = identify_deal(journey, values)
    moved = services.deal_move_stage(
        actor=values["owner"],
        deal=deal,
        stage=journey["Develop"],
        expected_version=deal.version,
        confirmed_criteria=ticks(journey, "Develop"),
    )
    assert moved.stage == journey["Develop"]


@pytest.mark.parametrize(
    ("business_case", "unticked", "message"),
    [
        pytest.param("", None, "Develop needs a business case.", id="no business case"),
        pytest.param("  ", None, "Develop needs a business case.", id="blank business case"),
        pytest.param(
            "x", DEVELOP_TICKS[0], "Develop: confirm that the client has verified the use case", id="use case"
        ),
        pytest.param(
            "x", DEVELOP_TICKS[1], "Develop: confirm that a proof of concept has been produced", id="PoC"
        ),
    ],
)
def test_develop_needs_its_ticks_and_the_business_case_itself(
    journey, values, business_case, unticked, message
):
    deal = identify_deal(journey, {**values, "business_case": business_case})
    given = [criterion for criterion in ticks(journey, "Develop") if criterion.text != unticked]
    with pytest.raises(gates.StageGateError) as refused:
        services.deal_move_stage(
            actor=values["owner"],
            deal=deal,
            stage=journey["Develop"],
            expected_version=deal.version,
            confirmed_criteria=given,
        )
    assert len(refused.value.missing) == 1
    assert refused.value.missing[0].message.startswith(message)


def test_the_business_case_is_not_a_tick_any_more(journey):
    texts = [criterion.text.lower() for stage in journey.values() for criterion in stage.criteria.all()]
    assert not [text for text in texts if "business case" in text]


# "NICE TO HAVE BUT NOT MANDATORY 1: A win probability 2: Assigned to the correct vertical
# 3: Information about status of the opportunity can be put under Status report" --------------------


@pytest.mark.parametrize("stage_name", ["Identify", "Qualify", "Develop"])
@pytest.mark.parametrize(
    "without",
    [
        pytest.param({"probability": None}, id="win probability"),
        pytest.param({"vertical": None, "description": REASON}, id="vertical"),
        pytest.param({"status_report": ""}, id="status report"),
    ],
)
def test_the_nice_to_haves_are_not_mandatory(journey, values, stage_name, without):
    deal = create(journey, stage_name, {**values, **without}, ticks(journey, "Identify", "Develop"))
    assert deal.stage == journey[stage_name]


# Ripples: existing deals, the forms that create deals, the move dialog, the demo data --------------


def test_a_deal_lacking_a_requirement_added_later_can_still_be_edited_but_not_emptied(journey, values):
    deal = create(journey, "Develop", values, ticks(journey, "Identify", "Develop"))
    Deal.objects.filter(pk=deal.pk).update(business_case="")  # as before Develop asked for it
    deal.refresh_from_db()
    edited = services.deal_update(
        actor=values["owner"], deal=deal, changes={"status_report": "Workshop booked."}, expected_version=1
    )
    assert edited.status_report == "Workshop booked."
    completed = services.deal_update(
        actor=values["owner"], deal=edited, changes={"business_case": "Saves 2 MEUR."}, expected_version=2
    )
    with pytest.raises(gates.StageGateError, match="Develop needs a business case"):
        services.deal_update(
            actor=values["owner"], deal=completed, changes={"business_case": ""}, expected_version=3
        )


def test_ticks_of_another_pipeline_are_refused_when_creating(journey, values):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.deal_create(
            actor=values["owner"],
            pipeline=Pipeline.objects.get(name="Standard"),
            values={"name": "x"},
            confirmed_criteria=ticks(journey, "Identify"),
        )


def test_the_new_deal_form_offers_identifys_ticks_and_creates_the_deal_in_identify(
    client, rep, journey, prioritised
):
    client.force_login(rep)
    pipeline = journey["Identify"].pipeline
    url = reverse("opportunities:deal_create")
    form = client.get(url, {"pipeline": pipeline.pk}).content.decode()
    for criterion in journey["Identify"].criteria.all():
        assert f'value="{criterion.pk}"' in form and criterion.text in form
    assert "Prioritised: " in form and "Legal &amp; courts" in form
    data = {"pipeline": pipeline.pk, "name": "Court archive", "currency": "EUR", "owner": rep.pk}
    refused = client.post(url, data)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Identify: confirm that there is a clear need" in page
    assert EITHER_MESSAGE.replace("'", "&#x27;") in page
    created = client.post(
        url,
        {**data, "vertical": prioritised.pk, "criteria": [c.pk for c in journey["Identify"].criteria.all()]},
    )
    assert created.status_code == 302
    deal = Deal.objects.get(name="Court archive")
    assert deal.stage == journey["Identify"]
    assert deal.confirmations.count() == 2


def test_converting_a_lead_into_the_journey_takes_identifys_ticks_and_the_reason(client, rep, journey):
    lead = LeadFactory(owner=rep, company_name="Riga Radio Archive", email="anna@radioarchive.lv")
    pipeline = journey["Identify"].pipeline
    client.force_login(rep)
    url = reverse("leads:lead_convert", args=[lead.pk])
    form = client.get(url).content.decode()
    for criterion in journey["Identify"].criteria.all():
        assert f'name="deal_criteria" value="{criterion.pk}"' in form
    data = {"company_choice": "new", "person_choice": "new", "deal_pipeline": pipeline.pk}
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "Identify: confirm that there is a clear need" in refused.content.decode()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW
    converted = client.post(
        url,
        {
            **data,
            "deal_description": REASON,
            "deal_criteria": [criterion.pk for criterion in journey["Identify"].criteria.all()],
        },
    )
    assert converted.status_code == 302
    lead.refresh_from_db()
    deal = lead.converted_deal
    assert (deal.stage, deal.description, deal.confirmations.count()) == (journey["Identify"], REASON, 2)


def drop(client, deal, stage, **filled):
    data = {"stage": stage.pk, "version": deal.version, **({"filled_in": "1", **filled} if filled else {})}
    return client.post(
        reverse("opportunities:deal_move_stage", args=[deal.pk]), data, headers={"HX-Request": "true"}
    )


def test_the_move_dialog_asks_for_the_use_case_the_contact_and_then_the_business_case(
    client, rep, journey, values
):
    deal = identify_deal(journey, {**values, "use_case": "", "business_case": "", "primary_contact": None})
    client.force_login(rep)
    dialog = drop(client, deal, journey["Qualify"]).content.decode()
    assert "Qualify needs a use case." in dialog and "Qualify needs a primary contact person." in dialog
    assert 'name="use_case"' in dialog and 'name="primary_contact"' in dialog
    moved = drop(
        client,
        deal,
        journey["Qualify"],
        use_case="Court records",
        primary_contact=values["primary_contact"].pk,
    )
    assert moved.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == journey["Qualify"]
    dialog = drop(client, deal, journey["Develop"]).content.decode()
    assert "Develop needs a business case." in dialog and 'name="business_case"' in dialog
    for criterion in journey["Develop"].criteria.all():
        assert criterion.text in dialog


@pytest.mark.parametrize(
    "filled",
    [
        pytest.param({"description": REASON}, id="the reason"),
        pytest.param({"vertical": "prioritised"}, id="vertical"),
    ],
)
def test_the_move_dialog_offers_both_alternatives_and_either_one_will_do(
    client, rep, journey, values, prioritised, filled
):
    deal = identify_deal(journey, values)
    deal = services.deal_move_stage(
        actor=rep,
        deal=deal,
        stage=journey["Lost"],
        expected_version=deal.version,
        changes={"lost_reason": "Budget"},
    )
    Deal.objects.filter(pk=deal.pk).update(vertical=None)
    deal.refresh_from_db()
    client.force_login(rep)
    dialog = drop(client, deal, journey["Identify"]).content.decode()
    assert EITHER_MESSAGE.replace("'", "&#x27;") in dialog
    assert 'name="vertical"' in dialog and 'name="description"' in dialog
    filled = {key: prioritised.pk if value == "prioritised" else value for key, value in filled.items()}
    criteria = {f"criterion_{criterion.pk}": "on" for criterion in journey["Identify"].criteria.all()}
    reopened = drop(client, deal, journey["Identify"], **filled, **criteria)
    assert "This field is required" not in reopened.content.decode()
    deal.refresh_from_db()
    assert deal.stage == journey["Identify"]


def test_the_demo_deals_meet_the_gates_of_their_stages(admin, rep, manager):
    from contacts.demo import demo_companies_ensure

    users = {"admin": admin, "rep": rep, "rep2": rep, "manager": manager, "restricted": rep}
    demo_companies_ensure(users=users)
    assert demo_deals_ensure(users=users, count=60) == 60
    for deal in Deal.objects.select_related("stage", "pipeline"):
        confirmed = set(deal.confirmations.values_list("criterion_id", flat=True))
        stages = Stage.objects.filter(pipeline=deal.pipeline, kind=Stage.Kind.OPEN)
        if deal.stage.kind == Stage.Kind.OPEN:
            stages = stages.filter(position__lte=deal.stage.position)
        entered = [deal.stage] if deal.stage.kind == Stage.Kind.LOST else [*stages, deal.stage]
        unmet = [
            item.message for stage in entered for item in gates.missing_for_stage(deal, stage, confirmed)
        ]
        assert unmet == [], f"{deal.pipeline} / {deal.stage.name}: {deal.name}"
    journey = Deal.objects.filter(pipeline__name="Business Development Journey")
    assert journey.filter(vertical__isnull=True).exclude(description="").exists()  # the "IF NOT" case


def test_the_migration_changes_the_journey_as_shipped_and_leaves_an_administrators_own_alone(journey):
    migration = importlib.import_module("opportunities.migrations.0007_journey_entry_criteria")
    identify, qualify, develop = journey["Identify"], journey["Qualify"], journey["Develop"]
    migration.backwards(django_apps, None)
    identify.refresh_from_db(), qualify.refresh_from_db(), develop.refresh_from_db()
    assert (identify.required_fields, identify.criteria.count()) == ([], 0)
    assert qualify.required_fields == migration.QUALIFY_OLD
    assert [c.text for c in develop.criteria.all()] == [*DEVELOP_TICKS, migration.BUSINESS_CASE_TICK]
    qualify.required_fields = ["company", "value"]  # an administrator's own choice
    qualify.save()
    migration.forwards(django_apps, None)
    identify.refresh_from_db(), qualify.refresh_from_db(), develop.refresh_from_db()
    assert identify.required_fields == ["prioritised_vertical|description"]
    assert [c.text for c in identify.criteria.all()] == IDENTIFY_TICKS
    assert qualify.required_fields == ["company", "value"]
    assert develop.required_fields == ["business_case"]
    assert [c.text for c in develop.criteria.all()] == DEVELOP_TICKS


def test_a_stage_refuses_unknown_alternatives_in_its_required_fields(journey):
    from django.core.exceptions import ValidationError

    stage = journey["Identify"]
    stage.required_fields = ["prioritised_vertical|reason"]
    with pytest.raises(ValidationError, match="reason"):
        stage.full_clean()
    stage.required_fields = [["vertical", "description"]]
    with pytest.raises(ValidationError):
        stage.full_clean()
