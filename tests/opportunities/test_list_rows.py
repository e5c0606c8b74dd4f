"""The deals list's rows, written in Python (opportunities/templatetags/deal_rows.py), are the
very HTML of the template loop they replaced: hidden companies, stages of every kind, amounts,
dates and owners, in every language."""

import datetime
from decimal import Decimal

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

from crm import linked
from opportunities.models import Deal, Pipeline, Stage
from tests.factories import CompanyFactory, DealFactory

# The template loop of templates/opportunities/deal_list.html before the rows moved to Python
# (with the columns of other apps' badges since).
TEMPLATE_LOOP = """{% load crm_tags linked_records %}
    {% for deal in page.object_list %}
      <tr>
        <td><a href="{{ deal.get_absolute_url }}">{{ deal.name }}</a></td>
        <td>{% linked_record deal.company deal.company_visible link=False %}</td>
        <td><span class="badge text-bg-{% if deal.stage.kind == 'won' %}success{% elif deal.stage.kind == 'lost' %}secondary{% else %}primary{% endif %}">{{ deal.stage.name }}</span> <span class="small text-body-secondary">{{ deal.pipeline }}</span></td>
        <td class="text-end">{{ deal.value|money:deal.currency }}</td>
        <td class="d-none d-md-table-cell">{{ deal.expected_close_date.isoformat }}</td>
        <td>{{ deal.owner|default:_("Unassigned") }}</td>{% for cell in deal.badge_cells %}<td class="d-none d-md-table-cell">{{ cell }}</td>{% endfor %}
      </tr>
    {% endfor %}
    </tbody>"""  # fmt: skip


def as_records(page, user) -> dict:
    """The page's rows as the Deal records (with `company_visible`) the template loop was written
    for (the list's rows are crm.list_rows.ListRows), in the page's order, with their badges."""
    deals = linked.annotate_visible(Deal.objects.all(), user, "company")
    records = deals.in_bulk([row.pk for row in page.object_list])
    for row in page.object_list:
        records[row.pk].badge_cells = row.badge_cells
    return {"object_list": [records[row.pk] for row in page.object_list]}


def rows_of(html: str) -> str:
    """The page's table body, from its first row to its end."""
    body = html.split("<tbody>", 1)[1]
    return body[: body.index("</tbody>") + len("</tbody>")]


@pytest.fixture
def odd_deals(personas):
    standard = Pipeline.objects.get(name="Standard")
    won = standard.stages.get(kind=Stage.Kind.WON)
    lost = standard.stages.get(kind=Stage.Kind.LOST)
    hidden_company = CompanyFactory(name="Not yours AB", owner=personas.rep_other_team)
    odd_company = CompanyFactory(name='Ström & "Sons" <Ltd>', owner=personas.restricted)
    DealFactory(name="<i>Big</i> & bold", owner=personas.restricted, company=odd_company,
                value=Decimal("1234567.50"), currency="SEK", stage=won,
                expected_close_date=datetime.date(2026, 3, 1))  # fmt: skip
    DealFactory(name="Behind a hidden company", owner=personas.restricted, company=hidden_company,
                value=Decimal("90000"), stage=lost)  # fmt: skip
    DealFactory(name="No company, no value", owner=personas.restricted, company=None, value=None,
                expected_close_date=datetime.date(2027, 12, 31))  # fmt: skip
    DealFactory(name="Nobody's", owner=None, value=Decimal("0.4"), currency="EUR")
    personas.restricted.first_name, personas.restricted.last_name = "Zoë", "<O'Neil>"
    personas.restricted.save()


@pytest.mark.parametrize("language", ["en", "sv", "hu"])
@pytest.mark.parametrize("who", ["admin", "restricted"])
def test_the_rows_are_the_template_loop(client, personas, odd_deals, language, who):
    client.force_login(getattr(personas, who))
    # LocaleMiddleware leaves the language of the request active: override() restores it.
    with translation.override(language):
        response = client.get(reverse("opportunities:deal_list"), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        page = response.context["page"]
        assert len(page.object_list) >= 3
        context = {"page": as_records(page, getattr(personas, who))}
        expected = engines["django"].from_string(TEMPLATE_LOOP).render(context, response.wsgi_request)
    served = rows_of(response.content.decode())
    assert served == expected
    assert "<i>" not in served and "&lt;i&gt;Big&lt;/i&gt; &amp; bold" in served
    # The restricted user sees the deal but not its company: its name never reaches the page.
    assert ("Not yours AB" in served) is (who == "admin")
    assert ('data-testid="hidden-record"' in served) is (who == "restricted")


def test_the_rows_compiled_for_one_user_never_serve_another(client, personas, odd_deals):
    """The rows' SQL is compiled once per user (crm.compiled_queries): the company's visibility
    flag compiled for an administrator must not show a restricted user the hidden company."""
    for who, sees_company in (("restricted", False), ("admin", True), ("restricted", False)):
        client.force_login(getattr(personas, who))
        served = rows_of(client.get(reverse("opportunities:deal_list")).content.decode())
        assert ("Not yours AB" in served) is sees_company, who
