from django.db import migrations

from crm.roles import grant_role_permissions, model_permissions

# The Copper guide's "Business Development Journey": what a deal must have to enter each stage.
QUALIFY_NAME_RULE = r"(?i)^\s*\d[\d\s.,]*\s*(kb|mb|gb|tb|pb|pages?)\s+-\s+\S.*\s-\s+\S.*$"
QUALIFY_NAME_EXPLANATION = (
    "amount of data - content - service, e.g. “200GB - Movie soundfiles in different languages - "
    "preservation” or “50 000 000 pages - legal documents - digitization & preservation”"
)
PIPELINES = [
    (
        "Business Development Journey",
        [
            ("Identify", "open", 10, [], "", []),
            (
                "Qualify", "open", 25,
                ["company", "primary_contact", "expected_close_date", "value", "volume", "sector"],
                QUALIFY_NAME_RULE, [],
            ),
            (
                "Develop", "open", 50, [], "",
                ["The client has verified the use case", "A proof of concept has been produced, if one was needed",
                 "The business case is defined"],
            ),
            ("Won", "won", 100, [], "", []),
            ("Lost", "lost", 0, ["lost_reason"], "", []),
        ],
    ),
    (
        "Standard",
        [
            ("Prospect", "open", 10, [], "", []),
            ("Offer", "open", 50, ["company", "value", "expected_close_date"], "", []),
            ("Order", "won", 100, [], "", []),
            ("Lost", "lost", 0, ["lost_reason"], "", []),
        ],
    ),
    (
        "Classic",
        [
            ("Prospecting", "open", 10, [], "", []),
            ("Qualification", "open", 20, ["company", "primary_contact"], "", []),
            ("Quotation", "open", 50, ["value", "expected_close_date"], "", []),
            ("Negotiation", "open", 75, [], "", []),
            ("Closed won", "won", 100, [], "", []),
            ("Closed lost", "lost", 0, ["lost_reason"], "", []),
        ],
    ),
]  # fmt: skip
VERTICALS = [
    "Archives",
    "Libraries",
    "Media & broadcasting",
    "Film",
    "Legal & courts",
    "Healthcare",
    "Government",
]
VOLUME_UNITS = ["GB", "TB", "PB", "pages", "reels", "hours of audio/video"]


def create_defaults(apps, schema_editor):
    pipeline_model = apps.get_model("opportunities", "Pipeline")
    stage_model = apps.get_model("opportunities", "Stage")
    criterion_model = apps.get_model("opportunities", "StageCriterion")
    for pipeline_position, (pipeline_name, stages) in enumerate(PIPELINES):
        pipeline, created = pipeline_model.objects.get_or_create(
            name=pipeline_name, defaults={"position": pipeline_position}
        )
        if not created:
            continue
        for position, (name, kind, probability, required, name_rule, criteria) in enumerate(stages):
            stage = stage_model.objects.create(
                pipeline=pipeline,
                name=name,
                position=position,
                kind=kind,
                default_probability=probability,
                required_fields=required,
                name_rule=name_rule,
                name_rule_explanation=QUALIFY_NAME_EXPLANATION if name_rule else "",
            )
            for criterion_position, text in enumerate(criteria):
                criterion_model.objects.create(stage=stage, text=text, position=criterion_position)
    for model_name, names in (("Vertical", VERTICALS), ("VolumeUnit", VOLUME_UNITS)):
        model = apps.get_model("opportunities", model_name)
        for position, name in enumerate(names):
            model.objects.get_or_create(name=name, defaults={"position": position})


def grant(apps, schema_editor):
    deal = model_permissions("opportunities", "deal")
    grant_role_permissions(
        apps,
        {
            "Manager": [*deal, "opportunities.export_deal"],
            "Sales rep": deal,
            "Restricted": model_permissions("opportunities", "deal", ("view", "add", "change")),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0001_initial"), ("crm", "0002_role_groups")]

    operations = [
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
