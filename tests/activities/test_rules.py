"""Automation rules: each trigger fires once per event, conditions, each action, loop refusal,
and the default rules of seed 004 (activities/rules.py)."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from activities import rules
from activities.models import Activity, AutomationRule, RuleFiring
from crm.models import OutboundEmail
from leads import services as lead_services
from leads.models import Lead
from opportunities import services as deal_services
from opportunities.models import Pipeline
from tests.factories import ActivityFactory, CompanyFactory, DealFactory, PersonFactory

Trigger = AutomationRule.Trigger
Action = AutomationRule.Action


@pytest.fixture
def classic(db):
    return Pipeline.objects.get(name="Classic")


def stage(pipeline, name):
    return pipeline.stages.get(name=name)


@pytest.fixture
def quoted_deal_values(personas):
    """What a deal of rep's (team North, managed by manager) needs to enter Quotation."""
    company = CompanyFactory(name="Nordlys Arkiv", owner=personas.rep)
    contact = PersonFactory(first_name="Åsa", company=company, owner=personas.rep)
    return {
        "name": "Archive digitisation",
        "company": company,
        "primary_contact": contact,
        "value": Decimal("150000"),
        "expected_close_date": datetime.date(2030, 1, 31),
        "owner": personas.rep,
    }


def make_rule(**values):
    rule = AutomationRule(name=values.pop("name", f"rule {AutomationRule.objects.count() + 1}"), **values)
    rule.full_clean()
    rule.save()
    return rule


# The default rules (seed 004, data migration)


def test_the_default_rules_of_seed_004_are_shipped(classic):
    large = AutomationRule.objects.get(trigger=Trigger.DEAL_ENTERS_STAGE)
    assert large.trigger_stage == stage(classic, "Quotation")
    assert large.condition_min_value == Decimal("100000")
    assert large.action == Action.EMAIL_MANAGER and large.is_active
    lost = AutomationRule.objects.get(trigger=Trigger.DEAL_LOST)
    assert lost.action == Action.CREATE_TODO and lost.todo_assignee == AutomationRule.Assignee.OWNER
    assert lost.subject == "Record why the deal was lost (lessons learned)"
    for rule in (large, lost):
        rule.full_clean()  # the shipped rules pass their own checks


def test_a_large_deal_entering_quotation_emails_the_owners_manager_once(
    personas, classic, quoted_deal_values, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deal = deal_services.deal_create(
            actor=personas.rep, pipeline=classic, stage=stage(classic, "Quotation"), values=quoted_deal_values
        )
    firing = RuleFiring.objects.get()
    assert firing.event_key == f"deal:{deal.pk}:stage:{deal.stage_id}:v{deal.version}"
    assert firing.status == RuleFiring.Status.DONE, firing.detail
    assert [message.to for message in mail.outbox] == [[personas.manager.email]]
    assert "Archive digitisation" in mail.outbox[0].subject and "150000" in mail.outbox[0].subject
    assert "Nordlys Arkiv" in mail.outbox[0].body

    # The same event again (a hook called twice, a retried save): nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        rules.deal_saved(actor=personas.rep, deal=deal, old_stage=None, old_value=None)
    assert RuleFiring.objects.count() == 1 and len(mail.outbox) == 1


def test_a_small_deal_entering_quotation_fires_nothing(
    personas, classic, quoted_deal_values, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deal_services.deal_create(
            actor=personas.rep,
            pipeline=classic,
            stage=stage(classic, "Quotation"),
            values={**quoted_deal_values, "value": Decimal("99999")},
        )
    assert not RuleFiring.objects.exists() and mail.outbox == []


def test_re_entering_the_stage_later_is_a_new_event(
    personas, classic, quoted_deal_values, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deal = deal_services.deal_create(
            actor=personas.rep, pipeline=classic, stage=stage(classic, "Quotation"), values=quoted_deal_values
        )
        deal = deal_services.deal_move_stage(
            actor=personas.rep, deal=deal, stage=stage(classic, "Negotiation"), expected_version=deal.version
        )
        deal = deal_services.deal_move_stage(
            actor=personas.rep, deal=deal, stage=stage(classic, "Quotation"), expected_version=deal.version
        )
    assert RuleFiring.objects.count() == 2 and len(mail.outbox) == 2


def test_a_lost_deal_gives_its_owner_the_lessons_learned_to_do(
    personas, classic, quoted_deal_values, django_capture_on_commit_callbacks
):
    deal = deal_services.deal_create(
        actor=personas.rep, pipeline=classic, values={**quoted_deal_values, "value": Decimal(10)}
    )
    with django_capture_on_commit_callbacks(execute=True):
        lost = deal_services.deal_move_stage(
            actor=personas.rep,
            deal=deal,
            stage=stage(classic, "Closed lost"),
            expected_version=deal.version,
            changes={"lost_reason": "Price"},
        )
    firing = RuleFiring.objects.get()
    assert (firing.status, firing.event_key) == (
        RuleFiring.Status.DONE,
        f"deal:{deal.pk}:lost:v{lost.version}",
    )
    todo = Activity.objects.get(deal=deal)
    assert todo.subject == "Record why the deal was lost (lessons learned)"
    assert (todo.owner, todo.status, todo.activity_type.name) == (personas.rep, "open", "Other")
    assert todo.company == quoted_deal_values["company"] and "Archive digitisation" in todo.notes
    assert todo.due_at > timezone.now()


def test_a_rule_switched_off_or_on_takes_effect_on_the_next_save(
    personas, classic, quoted_deal_values, django_capture_on_commit_callbacks
):
    """The active rules are kept per process (crm.lookup_cache): an admin's change reaches the
    next deal save, never a stale list."""
    lost_rule = AutomationRule.objects.get(trigger=Trigger.DEAL_LOST)
    lost_rule.is_active = False
    lost_rule.save()

    def lose(values):
        deal = deal_services.deal_create(actor=personas.rep, pipeline=classic, values=values)
        with django_capture_on_commit_callbacks(execute=True):
            deal_services.deal_move_stage(
                actor=personas.rep,
                deal=deal,
                stage=stage(classic, "Closed lost"),
                expected_version=deal.version,
                changes={"lost_reason": "Price"},
            )

    lose({**quoted_deal_values, "value": Decimal(10)})
    assert not RuleFiring.objects.exists()
    AutomationRule.objects.filter(pk=lost_rule.pk).update(is_active=True)  # as psql or admin would
    lose({**quoted_deal_values, "name": "Second", "value": Decimal(10)})
    assert RuleFiring.objects.get().rule == lost_rule


def test_a_lost_deal_edited_again_does_not_fire_again(
    personas, classic, quoted_deal_values, django_capture_on_commit_callbacks
):
    deal = deal_services.deal_create(actor=personas.rep, pipeline=classic, values=quoted_deal_values)
    with django_capture_on_commit_callbacks(execute=True):
        lost = deal_services.deal_move_stage(
            actor=personas.rep,
            deal=deal,
            stage=stage(classic, "Closed lost"),
            expected_version=deal.version,
            changes={"lost_reason": "Price"},
        )
        deal_services.deal_update(
            actor=personas.rep,
            deal=lost,
            changes={"lost_reason": "Price, timing"},
            expected_version=lost.version,
        )
    assert RuleFiring.objects.count() == 1 and Activity.objects.filter(deal=deal).count() == 1


def test_a_value_rising_above_the_amount_fires_once_per_crossing(
    personas, django_capture_on_commit_callbacks
):
    """Seed 004: a large deal alerts stock control (a fixed address)."""
    make_rule(
        trigger=Trigger.DEAL_VALUE_ABOVE,
        trigger_amount=Decimal("50000"),
        action=Action.EMAIL_ADDRESS,
        action_address="stock@example.com",
        subject="Prepare production for {{ deal.name }}",
        body="Value {{ deal.value }}",
    )
    deal = DealFactory(owner=personas.rep, value=Decimal("10000"))

    def set_value(amount):
        nonlocal deal
        deal = deal_services.deal_update(
            actor=personas.rep, deal=deal, changes={"value": Decimal(amount)}, expected_version=deal.version
        )

    with django_capture_on_commit_callbacks(execute=True):
        set_value("60000")  # crosses: fires
        set_value("70000")  # already above: nothing
        set_value("40000")
        set_value("80000")  # crosses again: a new event
    assert RuleFiring.objects.count() == 2
    assert [message.to for message in mail.outbox] == [["stock@example.com"]] * 2
    assert mail.outbox[0].subject == f"Prepare production for {deal.name}"


def test_conditions_pipeline_and_stage_must_hold(personas, classic, django_capture_on_commit_callbacks):
    standard = Pipeline.objects.get(name="Standard")
    make_rule(
        trigger=Trigger.DEAL_VALUE_ABOVE,
        trigger_amount=Decimal("1"),
        condition_pipeline=classic,
        condition_stage=stage(classic, "Prospecting"),
        action=Action.EMAIL_ADDRESS,
        action_address="classic@example.com",
        subject="{{ deal.name }}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        deal_services.deal_create(actor=personas.rep, pipeline=standard, values={"name": "S", "value": 5})
        deal_services.deal_create(actor=personas.rep, pipeline=classic, values={"name": "C", "value": 5})
    assert [firing.deal.name for firing in RuleFiring.objects.all()] == ["C"]
    assert len(mail.outbox) == 1


def test_an_overdue_to_do_fires_once_however_often_beat_runs(personas, django_capture_on_commit_callbacks):
    rule = make_rule(
        trigger=Trigger.TODO_OVERDUE,
        action=Action.EMAIL_OWNER,
        subject="Overdue: {{ activity.subject }}",
    )
    AutomationRule.objects.filter(pk=rule.pk).update(created_at=timezone.now() - datetime.timedelta(days=3))
    company = CompanyFactory(owner=personas.rep)
    late = ActivityFactory(
        subject="Call back",
        company=company,
        owner=personas.rep,
        due_at=timezone.now() - datetime.timedelta(hours=2),
    )
    ActivityFactory(company=company, owner=personas.rep)  # due tomorrow
    ActivityFactory(  # overdue since before the rule existed: not this rule's business
        company=company, owner=personas.rep, due_at=timezone.now() - datetime.timedelta(days=10)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert rules.fire_overdue() == 1
        assert rules.fire_overdue() == 0  # beat twice
    firing = RuleFiring.objects.get()
    assert (firing.activity, firing.event_key) == (late, f"activity:{late.pk}:overdue")
    assert [(message.to, message.subject) for message in mail.outbox] == [
        ([personas.rep.email], "Overdue: Call back")
    ]


def test_a_new_lead_can_have_a_field_set(personas, django_capture_on_commit_callbacks):
    make_rule(
        trigger=Trigger.LEAD_CREATED, action=Action.SET_FIELD, set_field="lead.status", set_value="working"
    )
    with django_capture_on_commit_callbacks(execute=True):
        lead = lead_services.lead_create(
            actor=personas.rep,
            values={"last_name": "Öberg", "company_name": "Nordlys", "owner": personas.rep},
        )
    assert RuleFiring.objects.get().event_key == f"lead:{lead.pk}:created"
    assert Lead.objects.get(pk=lead.pk).status == "working"


def test_a_to_do_for_a_user_who_cannot_see_the_record_is_refused_and_logged(
    personas, reps_see_only_own, django_capture_on_commit_callbacks
):
    make_rule(
        trigger=Trigger.LEAD_CREATED,
        action=Action.CREATE_TODO,
        todo_assignee=AutomationRule.Assignee.USER,
        action_user=personas.rep_other_team,
        subject="Call {{ lead.last_name }}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        lead_services.lead_create(
            actor=personas.rep,
            values={"last_name": "Öberg", "company_name": "Nordlys", "owner": personas.rep},
        )
    firing = RuleFiring.objects.get()
    assert firing.status == RuleFiring.Status.FAILED and "cannot see" in firing.detail
    assert not Activity.objects.exists()


def test_a_stage_the_gates_refuse_fails_the_firing_with_their_reason(
    personas, classic, django_capture_on_commit_callbacks
):
    make_rule(
        trigger=Trigger.DEAL_ENTERS_STAGE,
        trigger_stage=stage(classic, "Prospecting"),
        action=Action.SET_FIELD,
        set_field="deal.stage",
        set_value="Quotation",
    )
    with django_capture_on_commit_callbacks(execute=True):
        deal = deal_services.deal_create(actor=personas.rep, pipeline=classic, values={"name": "Bare"})
    firing = RuleFiring.objects.get()
    assert firing.status == RuleFiring.Status.FAILED and firing.detail
    deal.refresh_from_db()
    assert deal.stage.name == "Prospecting"


def test_a_rule_can_move_a_deal_and_set_its_probability(
    personas, classic, quoted_deal_values, django_capture_on_commit_callbacks
):
    make_rule(
        trigger=Trigger.DEAL_ENTERS_STAGE,
        trigger_stage=stage(classic, "Qualification"),
        action=Action.SET_FIELD,
        set_field="deal.stage",
        set_value="quotation",
    )
    make_rule(
        trigger=Trigger.DEAL_VALUE_ABOVE,
        trigger_amount=Decimal("1"),
        action=Action.SET_FIELD,
        set_field="deal.status_report",
        set_value="Worth {{ deal.value }}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        deal = deal_services.deal_create(
            actor=personas.rep, pipeline=classic, stage=stage(classic, "Qualification"),
            values={**quoted_deal_values, "value": Decimal(500)},
        )  # fmt: skip
    deal.refresh_from_db()
    assert deal.stage.name == "Quotation" and deal.status_report == "Worth 500.00"
    assert set(RuleFiring.objects.values_list("status", flat=True)) == {RuleFiring.Status.DONE}


# Loops are refused


def test_a_rule_moving_a_deal_into_its_own_stage_is_refused(classic):
    with pytest.raises(ValidationError, match="loop"):
        make_rule(
            trigger=Trigger.DEAL_ENTERS_STAGE,
            trigger_stage=stage(classic, "Quotation"),
            action=Action.SET_FIELD,
            set_field="deal.stage",
            set_value="Quotation",
        )


def test_a_lost_rule_moving_the_deal_to_a_lost_stage_is_refused(db):
    with pytest.raises(ValidationError, match="loop"):
        make_rule(
            trigger=Trigger.DEAL_LOST, action=Action.SET_FIELD, set_field="deal.stage", set_value="Lost"
        )


def test_an_overdue_rule_creating_to_dos_is_refused(db):
    with pytest.raises(ValidationError, match="loop"):
        make_rule(trigger=Trigger.TODO_OVERDUE, action=Action.CREATE_TODO, subject="Chase it")


def test_two_rules_moving_deals_back_and_forth_are_refused(classic):
    make_rule(
        trigger=Trigger.DEAL_ENTERS_STAGE,
        trigger_stage=stage(classic, "Qualification"),
        action=Action.SET_FIELD,
        set_field="deal.stage",
        set_value="Negotiation",
    )
    with pytest.raises(ValidationError, match="other active rules"):
        make_rule(
            trigger=Trigger.DEAL_ENTERS_STAGE,
            trigger_stage=stage(classic, "Negotiation"),
            action=Action.SET_FIELD,
            set_field="deal.stage",
            set_value="Qualification",
        )


def test_a_loop_made_behind_the_checks_stops_at_the_rule_that_caused_it(
    personas, classic, quoted_deal_values, django_capture_on_commit_callbacks
):
    """Stages renamed after the rules were saved can make a loop clean() could not see."""
    for source, target in (("Qualification", "Negotiation"), ("Negotiation", "Qualification")):
        AutomationRule.objects.create(
            name=f"{source} to {target}",
            trigger=Trigger.DEAL_ENTERS_STAGE,
            trigger_stage=stage(classic, source),
            action=Action.SET_FIELD,
            set_field="deal.stage",
            set_value=target,
        )
    with django_capture_on_commit_callbacks(execute=True):
        deal_services.deal_create(
            actor=personas.rep,
            pipeline=classic,
            stage=stage(classic, "Qualification"),
            values=quoted_deal_values,
        )
    statuses = list(RuleFiring.objects.order_by("pk").values_list("rule__name", "status"))
    assert statuses == [
        ("Qualification to Negotiation", "done"),
        ("Negotiation to Qualification", "done"),
        ("Qualification to Negotiation", "skipped"),
    ]


def test_incomplete_rules_and_unknown_merge_fields_are_refused_with_a_message(classic):
    with pytest.raises(ValidationError) as refused:
        make_rule(trigger=Trigger.DEAL_ENTERS_STAGE, action=Action.EMAIL_USER, subject="{{ deal.secret }}")
    errors = refused.value.message_dict
    assert set(errors) >= {"trigger_stage", "action_user", "subject"}
    assert "Unknown merge field" in errors["subject"][0]
    with pytest.raises(ValidationError, match="whole number"):
        make_rule(
            trigger=Trigger.DEAL_LOST, action=Action.SET_FIELD, set_field="deal.probability", set_value="lots"
        )


def test_mails_go_only_to_users_who_may_see_the_record(
    personas, reps_see_only_own, django_capture_on_commit_callbacks
):
    make_rule(
        trigger=Trigger.LEAD_CREATED,
        action=Action.EMAIL_ROLE,
        action_role="Sales rep",
        subject="{{ lead.last_name }}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        lead_services.lead_create(
            actor=personas.rep,
            values={"last_name": "Öberg", "company_name": "Nordlys", "owner": personas.rep},
        )
    assert [message.to for message in mail.outbox] == [[personas.rep.email]]
    assert (
        "rep_other_team" in RuleFiring.objects.get().detail
        or "Not e-mailed" in RuleFiring.objects.get().detail
    )


def test_the_rule_mail_is_queued_in_the_outbox_once_per_firing(personas, django_capture_on_commit_callbacks):
    make_rule(
        trigger=Trigger.LEAD_CREATED, action=Action.EMAIL_ADDRESS, action_address="a@example.com", subject="x"
    )
    with django_capture_on_commit_callbacks(execute=True):
        lead_services.lead_create(actor=personas.rep, values={"last_name": "A", "company_name": "B"})
    firing = RuleFiring.objects.get()
    assert OutboundEmail.objects.get().dedupe_key == f"rule-firing:{firing.pk}"
