from decimal import Decimal

from django.db import migrations

from crm.roles import grant_role_permissions, model_permissions

# The body is a fragment: the PDF wraps it in templates/opportunities/documents/pdf.html, and the
# quote page shows it as it is, so classes are Bootstrap's and no inline styles are needed.
LINES_TABLE = """<table class="table table-sm lines" repeat="1">
  <thead><tr><th>Description</th><th class="number">Quantity</th><th class="number">Unit price</th>
  <th class="number">Discount</th><th class="number">Total</th></tr></thead>
  <tbody>{% for line in lines %}<tr><td>{{ line.label }}</td><td class="number">{{ line.quantity|floatformat:"-2" }}</td>
  <td class="number">{{ line.unit_price|floatformat:2 }}</td><td class="number">{{ line.discount|floatformat:"-2" }} %</td>
  <td class="number">{{ line.total|floatformat:2 }}</td></tr>{% endfor %}</tbody>
  <tfoot><tr><th colspan="4">Total ({{ document.currency }})</th><th class="number">{{ document.total|floatformat:2 }}</th></tr></tfoot>
</table>"""
QUOTE_BODY = (
    """<h1>Quote {{ document.number }}</h1>
<p>Version {{ document.version }} · {{ document.created_at|date:"Y-m-d" }}</p>
<p><strong>To:</strong> {{ company.name|default:"" }}{% if contact %}, {{ contact }}{% endif %}<br>
<strong>Regarding:</strong> {{ deal.name }}<br>
{% if seller %}<strong>Your contact:</strong> {{ seller.get_full_name|default:seller.username }}{% endif %}</p>
"""
    + LINES_TABLE
    + """
<p>This quote is valid for 30 days. Prices exclude VAT.</p>"""
)
ORDER_BODY = (
    """<h1>Order confirmation {{ document.number }}</h1>
<p>{{ document.created_at|date:"Y-m-d" }}</p>
<p><strong>Customer:</strong> {{ company.name|default:"" }}{% if contact %}, {{ contact }}{% endif %}<br>
<strong>Regarding:</strong> {{ deal.name }}<br>
{% if seller %}<strong>Your contact:</strong> {{ seller.get_full_name|default:seller.username }}{% endif %}</p>
<p>Thank you for your order. We confirm the following:</p>
"""
    + LINES_TABLE
)
CATEGORIES = {
    "Digitization": [("Scanning, per 1,000 pages", "DIG-1000", "120.00"), ("Film scanning, per reel", "DIG-REEL", "85.00")],
    "Preservation": [("Digital preservation, per TB and year", "PRE-TB", "450.00")],
    "Services": [("Project management, per hour", "SRV-PM", "110.00"), ("Training, per day", "SRV-TRN", "900.00")],
}  # fmt: skip


def create_defaults(apps, schema_editor):
    template_model = apps.get_model("opportunities", "DocumentTemplate")
    category_model = apps.get_model("opportunities", "ProductCategory")
    product_model = apps.get_model("opportunities", "Product")
    for kind, name, body in [
        ("quote", "Standard quote", QUOTE_BODY),
        ("order_confirmation", "Standard order confirmation", ORDER_BODY),
    ]:
        if not template_model.objects.filter(kind=kind).exists():
            template_model.objects.create(kind=kind, name=name, body=body, is_default=True)
    for position, (category_name, products) in enumerate(CATEGORIES.items()):
        category, _created = category_model.objects.get_or_create(
            name=category_name, defaults={"position": position}
        )
        for product_name, code, price in products:
            product_model.objects.get_or_create(
                name=product_name,
                currency="EUR",
                defaults={"category": category, "code": code, "unit_price": Decimal(price)},
            )


def grant_permissions(apps, schema_editor):
    full = model_permissions("opportunities", "dealline") + model_permissions("opportunities", "quote")
    grant_role_permissions(
        apps,
        {
            "Manager": [*full, "opportunities.view_product", "opportunities.view_salesorder"],
            "Sales rep": [*full, "opportunities.view_product", "opportunities.view_salesorder"],
            "Restricted": [
                *model_permissions("opportunities", "dealline", ("view", "add", "change")),
                "opportunities.add_quote",
                # Whoever may make a quote must be able to open it.
                "opportunities.view_quote",
                "opportunities.view_product",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0003_products_quotes_orders_targets"),
        ("crm", "0002_role_groups"),
    ]

    operations = [
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
        migrations.RunPython(grant_permissions, migrations.RunPython.noop),
    ]
