"""Seed 004's automated workflow and communication templates, shipped as data an administrator
edits: a large deal entering Quotation alerts the owner's manager; a lost deal gives its owner a
to-do to record why (the "lessons learned"); the polite thank-you after a first meeting."""

from decimal import Decimal

from django.db import migrations

LARGE_DEAL = Decimal("100000")
LESSONS_LEARNED = "Record why the deal was lost (lessons learned)"


def add_defaults(apps, schema_editor):
    rule_model = apps.get_model("activities", "AutomationRule")
    stage_model = apps.get_model("opportunities", "Stage")
    type_model = apps.get_model("activities", "ActivityType")
    template_model = apps.get_model("activities", "EmailTemplate")
    # Of every pipeline that has a Quotation stage (the Classic one, as shipped).
    for stage in stage_model.objects.filter(name__iexact="Quotation", kind="open").select_related("pipeline"):
        rule_model.objects.get_or_create(
            name=f"Large deal quoted in {stage.pipeline.name}: alert the manager",
            defaults={
                "trigger": "deal_enters_stage",
                "trigger_stage": stage,
                "condition_min_value": LARGE_DEAL,
                "action": "email_manager",
                "subject": "Large deal quoted: {{ deal.name }} ({{ deal.value }} {{ deal.currency }})",
                "body": (
                    "{{ deal.name }} for {{ company.name }}, worth {{ deal.value }} {{ deal.currency }}, "
                    "has entered the Quotation stage.\n\nOwner: {{ user.full_name }}. Expected to close "
                    "on {{ deal.expected_close_date }}. Time to get involved."
                ),
            },
        )
    rule_model.objects.get_or_create(
        name="Lost deal: record the lessons learned",
        defaults={
            "trigger": "deal_lost",
            "action": "create_todo",
            "todo_assignee": "owner",
            "todo_type": type_model.objects.filter(name="Other").first(),
            "todo_due_days": 2,
            "subject": LESSONS_LEARNED,
            "body": (
                "{{ deal.name }} ({{ company.name }}) was lost. Write down why, so the team learns "
                "from it: what the customer chose instead, and what we would do differently."
            ),
        },
    )
    template_model.objects.get_or_create(
        name="Thank you for the meeting",
        defaults={
            "subject": "Thank you for meeting us, {{ contact.first_name }}",
            "body": (
                "Dear {{ contact.first_name }},\n\nThank you for taking the time to meet us. It was a "
                "pleasure to hear about your plans, and we will follow up on what we agreed shortly.\n\n"
                "Kind regards,\n{{ user.full_name }}\n{{ user.signature }}"
            ),
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0004_rules_and_templates"),
        ("opportunities", "0002_default_pipelines_and_role_permissions"),
    ]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
