"""Seed 001 on the sales board: batch SMS only where enabled (off until an administrator turns it
on, for the seeded pipelines too), and fixed deal names and probabilities per pipeline.

The default quote and order confirmation of 0004 wrote money with floatformat:2 ("90000.00"); they
now use the one money format (crm.money, the `money` filter). Only a template still exactly as
shipped is changed: an administrator's edits are kept."""

from django.db import migrations, models

LINES_TABLE_0004 = """<table class="table table-sm lines" repeat="1">
  <thead><tr><th>Description</th><th class="number">Quantity</th><th class="number">Unit price</th>
  <th class="number">Discount</th><th class="number">Total</th></tr></thead>
  <tbody>{% for line in lines %}<tr><td>{{ line.label }}</td><td class="number">{{ line.quantity|floatformat:"-2" }}</td>
  <td class="number">{{ line.unit_price|floatformat:2 }}</td><td class="number">{{ line.discount|floatformat:"-2" }} %</td>
  <td class="number">{{ line.total|floatformat:2 }}</td></tr>{% endfor %}</tbody>
  <tfoot><tr><th colspan="4">Total ({{ document.currency }})</th><th class="number">{{ document.total|floatformat:2 }}</th></tr></tfoot>
</table>"""
LINES_TABLE = """<table class="table table-sm lines" repeat="1">
  <thead><tr><th>Description</th><th class="number">Quantity</th><th class="number">Unit price</th>
  <th class="number">Discount</th><th class="number">Total</th></tr></thead>
  <tbody>{% for line in lines %}<tr><td>{{ line.label }}</td><td class="number">{{ line.quantity|floatformat:"-2" }}</td>
  <td class="number">{{ line.unit_price|money:document.currency }}</td><td class="number">{{ line.discount|floatformat:"-2" }} %</td>
  <td class="number">{{ line.total|money:document.currency }}</td></tr>{% endfor %}</tbody>
  <tfoot><tr><th colspan="4">Total</th><th class="number">{{ document.total|money:document.currency }}</th></tr></tfoot>
</table>"""
QUOTE_HEAD = """<h1>Quote {{ document.number }}</h1>
<p>Version {{ document.version }} · {{ document.created_at|date:"Y-m-d" }}</p>
<p><strong>To:</strong> {{ company.name|default:"" }}{% if contact %}, {{ contact }}{% endif %}<br>
<strong>Regarding:</strong> {{ deal.name }}<br>
{% if seller %}<strong>Your contact:</strong> {{ seller.get_full_name|default:seller.username }}{% endif %}</p>
"""
QUOTE_TAIL = """
<p>This quote is valid for 30 days. Prices exclude VAT.</p>"""
ORDER_HEAD = """<h1>Order confirmation {{ document.number }}</h1>
<p>{{ document.created_at|date:"Y-m-d" }}</p>
<p><strong>Customer:</strong> {{ company.name|default:"" }}{% if contact %}, {{ contact }}{% endif %}<br>
<strong>Regarding:</strong> {{ deal.name }}<br>
{% if seller %}<strong>Your contact:</strong> {{ seller.get_full_name|default:seller.username }}{% endif %}</p>
<p>Thank you for your order. We confirm the following:</p>
"""
LOAD = "{% load crm_tags %}\n"
# kind: (body as shipped by 0004, body now)
BODIES = {
    "quote": (QUOTE_HEAD + LINES_TABLE_0004 + QUOTE_TAIL, LOAD + QUOTE_HEAD + LINES_TABLE + QUOTE_TAIL),
    "order_confirmation": (ORDER_HEAD + LINES_TABLE_0004, LOAD + ORDER_HEAD + LINES_TABLE),
}


def _replace(apps, old_index: int, new_index: int) -> None:
    template_model = apps.get_model("opportunities", "DocumentTemplate")
    for kind, bodies in BODIES.items():
        template_model.objects.filter(kind=kind, body=bodies[old_index]).update(body=bodies[new_index])


def use_money_format(apps, schema_editor):
    _replace(apps, 0, 1)


def use_floatformat(apps, schema_editor):
    _replace(apps, 1, 0)


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0007_journey_entry_criteria"),
    ]

    operations = [
        migrations.AddField(
            model_name="pipeline",
            name="sms_enabled",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Whether the sales board of this pipeline may send a text message to every customer "
                    "in its view. Off until an administrator turns it on."
                ),
                verbose_name="batch text messages (SMS)",
            ),
        ),
        migrations.AddField(
            model_name="pipeline",
            name="deal_names",
            field=models.TextField(
                blank=True,
                help_text=(
                    "One subject per line. When given, a deal of this pipeline takes its name from this "
                    "list (a dropdown) instead of free text. Empty: any name."
                ),
                verbose_name="fixed deal names",
            ),
        ),
        migrations.AddField(
            model_name="pipeline",
            name="probabilities",
            field=models.TextField(
                blank=True,
                help_text=(
                    "One weight per line, whole numbers from 0 to 100, e.g. 10, 25, 50, 75, 90. When "
                    "given, a deal's probability is chosen from this list. Empty: any percentage."
                ),
                verbose_name="fixed probabilities (%)",
            ),
        ),
        migrations.RunPython(use_money_format, use_floatformat),
    ]
