"""{% pagination page %} (crm_tags) writes the HTML the pagination template wrote, byte for byte,
in every language and state of a page: first, middle, last, single, capped or exact total."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from crm.pagination import Page

# templates/includes/pagination.html as it was before the tag replaced it.
TEMPLATE = """{% load i18n humanize crm_tags %}
<nav class="d-flex flex-wrap align-items-center gap-2" aria-label="{% trans 'Pages' %}" data-testid="pagination">
  <span class="text-body-secondary small">{% blocktrans with first=page.start_index last=page.end_index total=page.total|intcomma plus=page.total_is_capped|yesno:"+," %}{{ first }}–{{ last }} of {{ total }}{{ plus }}{% endblocktrans %}</span>
  {% if page.has_other_pages %}
  <ul class="pagination pagination-sm mb-0">
    {% if page.has_previous %}
      <li class="page-item"><a class="page-link" href="?{% query_with page=page.previous_page_number %}">{% trans "Previous" %}</a></li>
    {% endif %}
    <li class="page-item disabled"><span class="page-link">{% blocktrans with number=page.number %}Page {{ number }}{% endblocktrans %}</span></li>
    {% if page.has_next %}
      <li class="page-item"><a class="page-link" href="?{% query_with page=page.next_page_number %}">{% trans "Next" %}</a></li>
    {% endif %}
  </ul>
  {% endif %}
</nav>
"""


def page(number, *, total, capped=False, per_page=50):
    shown = min(per_page, max(0, total - (number - 1) * per_page))
    has_next = capped or number * per_page < total
    return Page(list(range(shown)), number, per_page, total, capped, has_next)


@pytest.mark.parametrize("language", ["en", "sv", "hu"])
@pytest.mark.parametrize(
    ("state", "query"),
    [
        (page(1, total=2000, capped=True), ""),
        (page(3, total=12345), "q=a%26b&status=2"),
        (page(7, total=320), "page=7&ordering=-created"),
        (page(1, total=12), ""),
        (page(1, total=0), "q=<script>"),
        (page(400, total=2000, capped=True), "q=x"),
    ],
)
def test_the_tag_writes_what_the_template_wrote(language, state, query):
    request = RequestFactory().get(f"/contacts/companies/?{query}")
    request.user = AnonymousUser()
    engine = engines["django"]
    with translation.override(language):
        expected = engine.from_string(TEMPLATE).render({"page": state}, request)
        written = engine.from_string("{% load crm_tags %}{% pagination page %}").render(
            {"page": state}, request
        )
    assert written == expected
