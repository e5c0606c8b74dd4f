"""Automation rules (seed 004, "automated workflow"): trigger → conditions → action.

- **Events** come from the apps' hooks (opportunities.services.on_deal_saved,
  leads.services.on_lead_created), inside the write's transaction, and from the beat job
  `rules_check_overdue` for to-dos that fall overdue.
- **Once per event.** Each matching rule gets a RuleFiring row keyed (rule, event_key) — e.g.
  ``deal:7:stage:3:v12`` for deal 7 entering stage 3 at version 12 — in the same transaction as
  the event; a second attempt for the same event (beat twice, a save retried) finds the key taken
  and fires nothing. The action itself runs after commit in a worker (crm.outbox.enqueue: exactly
  once), and the firing records what it did or why it could not.
- **No loops.** `check_rule` (the rule's clean()) refuses a rule whose action could trigger it
  again, alone or through other active rules; at run time a rule never fires for an event its own
  action caused (RuleFiring.caused_by), should an edit of stages make a loop anyway.
- **Whose eyes.** Mails to users go only to those who may see the record the mail is about; a
  to-do is created in the name of whoever is to do it, so it is refused when they cannot see the
  record (the firing says so).
"""

from __future__ import annotations

import contextvars
import logging
from decimal import InvalidOperation

from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from activities import services as activity_services
from activities import templates_mail
from activities.models import Activity, ActivityType, AutomationRule, RuleFiring
from crm import lookup_cache, outbox
from crm.email import email_queue
from crm.exceptions import StaleRecordError
from crm.models import Team, User

logger = logging.getLogger(__name__)

Trigger = AutomationRule.Trigger
Action = AutomationRule.Action
Field = AutomationRule.Field

DEAL_TRIGGERS = (Trigger.DEAL_ENTERS_STAGE, Trigger.DEAL_VALUE_ABOVE, Trigger.DEAL_LOST)
EMAIL_ACTIONS = (
    Action.EMAIL_USER, Action.EMAIL_ROLE, Action.EMAIL_MANAGER, Action.EMAIL_OWNER, Action.EMAIL_ADDRESS,
)  # fmt: skip
LEAD_STATUSES = ("new", "working", "qualified", "disqualified")
OVERDUE_BATCH = 500

# The chain of rules whose action is running in this worker (see RuleFiring.caused_by).
_running_chain: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar("rule_chain", default=())


class RuleError(Exception):
    """An action cannot be done (no manager, a field value the deal refuses…): recorded on the firing."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# -- Validation (AutomationRule.clean) ---------------------------------------------------------


def _stage_names_of_kind(kind: str) -> set[str]:
    from opportunities.models import Stage

    return {name.casefold() for name in Stage.objects.filter(kind=kind).values_list("name", flat=True)}


def _stage_edges(rule: AutomationRule) -> dict[str, set[str]]:
    """Stage name → stage names a deal is moved to by the active rules (this one as edited)."""
    edges: dict[str, set[str]] = {}
    others = AutomationRule.objects.filter(
        is_active=True, trigger=Trigger.DEAL_ENTERS_STAGE, action=Action.SET_FIELD, set_field=Field.DEAL_STAGE
    ).select_related("trigger_stage")
    if rule.pk:
        others = others.exclude(pk=rule.pk)
    for other in [*others, rule]:
        if (
            other.is_active
            and other.trigger == Trigger.DEAL_ENTERS_STAGE
            and other.trigger_stage_id
            and other.action == Action.SET_FIELD
            and other.set_field == Field.DEAL_STAGE
        ):
            source = other.trigger_stage.name.casefold()
            edges.setdefault(source, set()).add(other.set_value.strip().casefold())
    return edges


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name == goal:
            return True
        if name not in seen:
            seen.add(name)
            todo.extend(edges.get(name, ()))
    return False


def _loop_error(rule: AutomationRule) -> str | None:
    if rule.action == Action.CREATE_TODO and rule.trigger == Trigger.TODO_OVERDUE:
        return _(
            "This rule would loop: the to-do it creates can fall overdue and fire the rule again. "
            "E-mail someone instead."
        )
    if rule.action != Action.SET_FIELD or rule.set_field != Field.DEAL_STAGE:
        return None
    target = rule.set_value.strip().casefold()
    if rule.trigger == Trigger.DEAL_LOST and target in _stage_names_of_kind("lost"):
        return _("This rule would loop: moving a lost deal to a lost stage makes it lost again.")
    if rule.trigger == Trigger.DEAL_ENTERS_STAGE and rule.trigger_stage_id:
        source = rule.trigger_stage.name.casefold()
        if target == source:
            return _("This rule would loop: it moves the deal into “%(stage)s”, the stage that fires it.") % {
                "stage": rule.trigger_stage.name
            }
        if rule.is_active and _reaches(_stage_edges(rule), target, source):
            return _(
                "This rule would loop: with the other active rules that move deals, a deal entering "
                "“%(stage)s” would come back to it and fire this rule again."
            ) % {"stage": rule.trigger_stage.name}
    return None


def _value_error(rule: AutomationRule) -> str | None:
    value = rule.set_value.strip()
    if rule.set_field == Field.DEAL_PROBABILITY:
        if not value.isdigit() or int(value) > 100:
            return _("A probability is a whole number from 0 to 100.")
    elif rule.set_field == Field.LEAD_STATUS:
        if value not in LEAD_STATUSES:
            return _("A lead's status is one of: %(statuses)s.") % {"statuses": ", ".join(LEAD_STATUSES)}
    elif rule.set_field == Field.LEAD_GRADE:
        if len(value) > 2:
            return _("A grade has at most two characters.")
    elif rule.set_field == Field.DEAL_STAGE:
        from opportunities.models import Stage

        stages = Stage.objects.filter(name__iexact=value)
        if rule.condition_pipeline_id:
            stages = stages.filter(pipeline_id=rule.condition_pipeline_id)
        if not stages.exists():
            return _("No pipeline has a stage named “%(name)s”.") % {"name": value}
    elif rule.set_field == Field.DEAL_STATUS_REPORT:
        try:
            templates_mail.check_template(value)
        except templates_mail.MergeError as error:
            return error.message
    return None


def check_rule(rule: AutomationRule) -> None:
    """Refuse a rule that is incomplete, cannot apply to its trigger, or would loop."""
    errors: dict[str, str] = {}
    trigger, action = rule.trigger, rule.action
    if trigger == Trigger.DEAL_ENTERS_STAGE and not rule.trigger_stage_id:
        errors["trigger_stage"] = _("Choose the stage whose entry fires the rule.")
    if trigger == Trigger.DEAL_VALUE_ABOVE and rule.trigger_amount is None:
        errors["trigger_amount"] = _("Give the amount the value must rise above.")
    if trigger == Trigger.LEAD_CREATED:
        for name in ("condition_pipeline", "condition_min_value", "condition_stage"):
            if getattr(rule, name) not in (None, ""):
                errors[name] = _("A lead has no deal: leave the deal conditions empty.")
    if (
        rule.condition_pipeline_id
        and rule.condition_stage_id
        and rule.condition_stage.pipeline_id != rule.condition_pipeline_id
    ):
        errors["condition_stage"] = _("Choose a stage of the pipeline chosen.")
    if (
        trigger == Trigger.DEAL_ENTERS_STAGE
        and rule.condition_pipeline_id
        and rule.trigger_stage_id
        and rule.trigger_stage.pipeline_id != rule.condition_pipeline_id
    ):
        errors["trigger_stage"] = _("Choose a stage of the pipeline chosen.")
    if action == Action.EMAIL_USER and not rule.action_user_id:
        errors["action_user"] = _("Choose who is e-mailed.")
    if action == Action.EMAIL_ROLE and not rule.action_role:
        errors["action_role"] = _("Choose the role whose users are e-mailed.")
    if action == Action.EMAIL_ADDRESS and not rule.action_address:
        errors["action_address"] = _("Give the address to e-mail.")
    if action in (*EMAIL_ACTIONS, Action.CREATE_TODO) and not rule.subject.strip():
        errors["subject"] = _("Give a subject.")
    if (
        action == Action.CREATE_TODO
        and rule.todo_assignee == AutomationRule.Assignee.USER
        and not rule.action_user_id
    ):
        errors["action_user"] = _("Choose who gets the to-do.")
    if action == Action.SET_FIELD:
        if not rule.set_field:
            errors["set_field"] = _("Choose the field to set.")
        elif rule.set_field.startswith("lead.") and trigger not in (
            Trigger.LEAD_CREATED,
            Trigger.TODO_OVERDUE,
        ):
            errors["set_field"] = _("This trigger is about a deal: choose a deal's field.")
        elif rule.set_field.startswith("deal.") and trigger == Trigger.LEAD_CREATED:
            errors["set_field"] = _("This trigger is about a lead: choose a lead's field.")
        else:
            message = _value_error(rule)
            if message:
                errors["set_value"] = message
    for name in ("subject", "body"):
        try:
            templates_mail.check_template(getattr(rule, name))
        except templates_mail.MergeError as error:
            errors[name] = error.message
    if not errors:
        message = _loop_error(rule)
        if message:
            errors["action"] = message
    if errors:
        raise ValidationError(errors)


# -- Events ------------------------------------------------------------------------------------


def _conditions_hold(rule: AutomationRule, deal) -> bool:
    if (
        rule.condition_pipeline_id is None
        and rule.condition_min_value is None
        and rule.condition_stage_id is None
    ):
        return True
    if deal is None:
        return False
    if rule.condition_pipeline_id is not None and deal.pipeline_id != rule.condition_pipeline_id:
        return False
    if rule.condition_stage_id is not None and deal.stage_id != rule.condition_stage_id:
        return False
    minimum = rule.condition_min_value
    return minimum is None or (deal.value is not None and deal.value >= minimum)


def _deal_event_key(rule: AutomationRule, deal, old_stage, old_value) -> str | None:
    """The event of `rule`'s trigger this write of `deal` is, if it is one."""
    from opportunities.models import Stage

    entered = old_stage is None or old_stage.pk != deal.stage_id
    if rule.trigger == Trigger.DEAL_ENTERS_STAGE:
        if entered and deal.stage_id == rule.trigger_stage_id:
            return f"deal:{deal.pk}:stage:{deal.stage_id}:v{deal.version}"
    elif rule.trigger == Trigger.DEAL_LOST:
        was_lost = old_stage is not None and old_stage.kind == Stage.Kind.LOST
        if deal.stage.kind == Stage.Kind.LOST and not was_lost:
            return f"deal:{deal.pk}:lost:v{deal.version}"
    elif rule.trigger == Trigger.DEAL_VALUE_ABOVE:
        amount = rule.trigger_amount
        if deal.value is not None and deal.value > amount and (old_value is None or old_value <= amount):
            return f"deal:{deal.pk}:value-above:{amount}:v{deal.version}"
    return None


def _fire(rule: AutomationRule, event_key: str, **records) -> RuleFiring | None:
    """Log the firing of `rule` for `event_key` and queue its action — unless the event fired it
    already (None). Called inside the event's transaction."""
    chain = _running_chain.get()
    looping = rule.pk in chain
    try:
        # A savepoint: a duplicate key must not spoil the transaction of the write that fired.
        with transaction.atomic():
            firing = RuleFiring.objects.create(
                rule=rule,
                event_key=event_key,
                caused_by=list(chain),
                status=RuleFiring.Status.SKIPPED if looping else RuleFiring.Status.QUEUED,
                detail=_("Not run: its own action caused this event.") if looping else "",
                finished_at=timezone.now() if looping else None,
                **records,
            )
    except IntegrityError:
        return None
    if not looping:
        outbox.enqueue(run_firing, firing_id=firing.pk)
    return firing


def _active_rules(triggers) -> list[AutomationRule]:
    # Every deal save asks; the rules change only when an admin edits them (a watched table).
    return lookup_cache.cached(
        ("automation-rules", tuple(triggers)),
        lambda: list(AutomationRule.objects.filter(is_active=True, trigger__in=triggers).order_by("pk")),
    )


def deal_saved(*, actor, deal, old_stage, old_value) -> None:
    """opportunities.services.on_deal_saved: fire the deal rules this write is an event of."""
    for rule in _active_rules(DEAL_TRIGGERS):
        event_key = _deal_event_key(rule, deal, old_stage, old_value)
        if event_key is not None and _conditions_hold(rule, deal):
            _fire(rule, event_key, deal=deal)


def lead_created(*, actor, lead) -> None:
    """leads.services.on_lead_created."""
    for rule in _active_rules([Trigger.LEAD_CREATED]):
        _fire(rule, f"lead:{lead.pk}:created", lead=lead)


def fire_overdue(*, now=None, batch: int = OVERDUE_BATCH) -> int:
    """Fire the "to-do overdue" rules for the open to-dos that fell overdue while the rule was on;
    each to-do once per rule. Returns how many firings were logged."""
    now = now or timezone.now()
    fired = 0
    for rule in _active_rules([Trigger.TODO_OVERDUE]):
        overdue = Activity.objects.filter(
            kind=Activity.Kind.TODO, status=Activity.Status.OPEN, due_at__lt=now, due_at__gte=rule.created_at
        ).exclude(Exists(RuleFiring.objects.filter(rule=rule, activity=OuterRef("pk"))))
        # The conditions are the deal's; in the query, so to-dos that never match do not fill the batch.
        if rule.condition_pipeline_id is not None:
            overdue = overdue.filter(deal__pipeline_id=rule.condition_pipeline_id)
        if rule.condition_stage_id is not None:
            overdue = overdue.filter(deal__stage_id=rule.condition_stage_id)
        if rule.condition_min_value is not None:
            overdue = overdue.filter(deal__value__gte=rule.condition_min_value)
        for activity_id in overdue.order_by("due_at", "pk").values_list("pk", flat=True)[:batch]:
            with transaction.atomic():
                if _fire(rule, f"activity:{activity_id}:overdue", activity_id=activity_id) is not None:
                    fired += 1
    return fired


@shared_task
def rules_check_overdue() -> int:
    """Beat: the "to-do overdue" rules (safe to run twice: each to-do fires a rule once)."""
    return fire_overdue()


def connect() -> None:
    """Listen to the apps' hooks (from ActivitiesConfig.ready)."""
    from leads import services as lead_services
    from opportunities import services as deal_services

    deal_services.on_deal_saved(deal_saved)
    lead_services.on_lead_created(lead_created)
    lookup_cache.watch(AutomationRule)


# -- Actions (in a worker) ---------------------------------------------------------------------


def _may_see(user, record) -> bool:
    return record is None or type(record).objects.visible_to(user).filter(pk=record.pk).exists()


def _managers(record) -> list[User]:
    """The owner's manager: the managers of the record's team, else of the owner's teams."""
    owner = record.owner
    if record.team_id is not None:
        teams = Team.objects.filter(pk=record.team_id)
    elif owner is not None:
        teams = Team.objects.filter(members=owner)
    else:
        return []
    managers = User.objects.filter(is_active=True, managed_teams__in=teams).distinct().order_by("pk")
    if owner is not None:
        managers = managers.exclude(pk=owner.pk)
    return list(managers)


def _records(firing: RuleFiring) -> dict:
    """The records the event is about, as they are now."""
    from leads.models import Lead
    from opportunities.models import Deal

    activity = Activity.objects.filter(pk=firing.activity_id).first() if firing.activity_id else None
    deal_id = firing.deal_id or (activity.deal_id if activity else None)
    lead_id = firing.lead_id or (activity.lead_id if activity else None)
    deal = (
        Deal.objects.select_related("stage", "pipeline", "company", "primary_contact", "owner")
        .filter(pk=deal_id)
        .first()
        if deal_id
        else None
    )
    lead = Lead.objects.select_related("owner").filter(pk=lead_id).first() if lead_id else None
    subject = activity or deal or lead  # whose owner the event concerns
    contact = (activity.person if activity and activity.person_id else None) or (
        deal.primary_contact if deal else None
    )
    company = (activity.company if activity and activity.company_id else None) or (
        deal.company if deal else None
    )
    return {
        "subject": subject,
        "about": deal or lead or activity,  # the record the e-mails and to-dos are about
        "deal": deal,
        "lead": lead,
        "activity": activity,
        "contact": contact,
        "company": company,
        "owner": subject.owner if subject is not None else None,
    }


def _merge_context(records: dict) -> dict:
    return {
        "deal": records["deal"],
        "lead": records["lead"],
        "activity": records["activity"],
        "contact": records["contact"],
        "company": records["company"],
        "user": records["owner"],
    }


def _email(rule: AutomationRule, firing: RuleFiring, records: dict) -> str:
    about = records["about"]
    if rule.action == Action.EMAIL_ADDRESS:
        addresses = [rule.action_address]
        skipped: list[User] = []
    else:
        if rule.action == Action.EMAIL_USER:
            users = [rule.action_user] if rule.action_user and rule.action_user.is_active else []
        elif rule.action == Action.EMAIL_ROLE:
            users = list(
                User.objects.filter(is_active=True, groups__name=rule.action_role).distinct().order_by("pk")
            )
        elif rule.action == Action.EMAIL_MANAGER:
            users = _managers(records["subject"])
        else:
            owner = records["owner"]
            users = [owner] if owner is not None and owner.is_active else []
        # A mail names the record: only to users who may see it.
        allowed = [user for user in users if user.email and _may_see(user, about)]
        skipped = [user for user in users if user not in allowed]
        addresses = [user.email for user in allowed]
    if not addresses:
        raise RuleError(_("No one to e-mail (no such user with an address who may see the record)."))
    context = _merge_context(records)
    email_queue(
        recipients=addresses,
        subject=templates_mail.merge(rule.subject, context, strict=False).replace("\n", " ").strip(),
        body_text=templates_mail.merge(rule.body, context, strict=False),
        body_html=templates_mail.merge(rule.body, context, html=True, strict=False),
        dedupe_key=f"rule-firing:{firing.pk}",
    )
    detail = _("E-mailed %(addresses)s.") % {"addresses": ", ".join(addresses)}
    if skipped:
        detail += " " + _("Not e-mailed (no address, or may not see the record): %(users)s.") % {
            "users": ", ".join(str(user) for user in skipped)
        }
    return detail


def _create_todo(rule: AutomationRule, records: dict) -> str:
    Assignee = AutomationRule.Assignee
    if rule.todo_assignee == Assignee.USER:
        assignee = rule.action_user
    elif rule.todo_assignee == Assignee.MANAGER:
        managers = _managers(records["subject"])
        assignee = managers[0] if managers else None
    else:
        assignee = records["owner"]
    if assignee is None or not assignee.is_active:
        raise RuleError(_("No one to give the to-do to."))
    activity_type = (
        rule.todo_type or ActivityType.objects.filter(name="Other").first() or ActivityType.objects.first()
    )
    context = _merge_context(records)
    links = {}
    for link in ("deal", "lead", "contact", "company"):
        if records[link] is not None:
            links["person" if link == "contact" else link] = records[link]
    todo = activity_services.activity_create(
        # In the assignee's name: a to-do on a record they cannot see is refused.
        actor=assignee,
        values={
            "kind": Activity.Kind.TODO,
            "activity_type": activity_type,
            "subject": templates_mail.merge(rule.subject, context, strict=False)
            .replace("\n", " ")
            .strip()[:200],
            "notes": templates_mail.merge(rule.body, context, strict=False),
            "due_at": timezone.now() + timezone.timedelta(days=rule.todo_due_days),
            "owner": assignee,
            **links,
        },
    )
    return _("To-do %(id)s created for %(user)s.") % {"id": todo.pk, "user": assignee}


def _set_field(rule: AutomationRule, records: dict) -> str:
    from leads import services as lead_services
    from opportunities import services as deal_services

    model_name, field = rule.set_field.split(".", 1)
    record = records[model_name]
    if record is None:
        raise RuleError(_("There is no %(model)s to set a field of.") % {"model": model_name})
    value: object = rule.set_value.strip()
    if rule.set_field == Field.DEAL_STAGE:
        stage = record.pipeline.stages.filter(name__iexact=value).first()
        if stage is None:
            raise RuleError(_("The deal's pipeline has no stage named “%(name)s”.") % {"name": value})
        if stage.pk == record.stage_id:
            return _("The deal is in “%(name)s” already.") % {"name": stage.name}
        deal_services.deal_move_stage(actor=None, deal=record, stage=stage, expected_version=record.version)
        return _("Deal moved to “%(name)s”.") % {"name": stage.name}
    if rule.set_field == Field.DEAL_PROBABILITY:
        value = int(str(value))
    elif rule.set_field == Field.DEAL_STATUS_REPORT:
        value = templates_mail.merge(str(value), _merge_context(records), strict=False)
    if model_name == "deal":
        deal_services.deal_update(
            actor=None, deal=record, changes={field: value}, expected_version=record.version
        )
    else:
        lead_services.lead_update(
            actor=None, lead=record, changes={field: value}, expected_version=record.version
        )
    return _("%(field)s set to “%(value)s”.") % {"field": rule.get_set_field_display(), "value": value}


def _act(rule: AutomationRule, firing: RuleFiring) -> str:
    records = _records(firing)
    if records["about"] is None:
        raise RuleError(_("The record is gone."))
    if rule.action in EMAIL_ACTIONS:
        return _email(rule, firing, records)
    if rule.action == Action.CREATE_TODO:
        return _create_todo(rule, records)
    return _set_field(rule, records)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, StaleRecordError):
        return _("The record changed meanwhile.")
    if isinstance(error, PermissionDenied):
        return _("Not allowed.")
    return getattr(error, "message", None) or str(error)


@outbox.queueable
def run_firing(*, firing_id: int) -> None:
    """Do a firing's action (in a worker, once) and record what came of it."""
    from opportunities.pipeline import StageGateError

    firing = RuleFiring.objects.select_for_update().select_related("rule").filter(pk=firing_id).first()
    if firing is None or firing.status != RuleFiring.Status.QUEUED:
        return
    rule = firing.rule
    token = _running_chain.set((*firing.caused_by, rule.pk))
    try:
        if not rule.is_active:
            firing.status, firing.detail = RuleFiring.Status.SKIPPED, _("The rule was switched off.")
        else:
            try:
                with transaction.atomic():
                    firing.detail = _act(rule, firing)
                firing.status = RuleFiring.Status.DONE
            except (RuleError, ValidationError, PermissionDenied, StaleRecordError, StageGateError,
                    templates_mail.MergeError, ValueError, InvalidOperation) as error:  # fmt: skip
                firing.status, firing.detail = RuleFiring.Status.FAILED, _message(error)
                logger.info("rule %s could not act on %s: %s", rule.pk, firing.event_key, firing.detail)
    finally:
        _running_chain.reset(token)
    firing.finished_at = timezone.now()
    firing.save(update_fields=["status", "detail", "finished_at"])
