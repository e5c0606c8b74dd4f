"""The shortcuts the list pages take render exactly what they replace."""

from decimal import Decimal

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

from crm.record_urls import detail_url


def test_record_links_are_what_reverse_makes():
    for name in ("contacts:company_detail", "contacts:person_detail", "opportunities:deal_detail"):
        for pk in (1, 42, 2_147_483_647, 10**12):
            assert detail_url(name, pk) == reverse(name, kwargs={"pk": pk})


@pytest.mark.parametrize("language", ["en", "sv", "hu"])
@pytest.mark.parametrize(
    "value",
    [Decimal("0.00"), Decimal("125000.00"), Decimal("1234567.49"), Decimal("1234567.50"), Decimal("-0.4"),
     Decimal("99999999999999.99"), 7, 2.5, "3000", "", "abc", None],
)  # fmt: skip
def test_whole_number_is_floatformat_0_then_intcomma(language, value):
    engine = engines["django"]
    both = engine.from_string("{% load humanize %}{{ value|floatformat:0|intcomma }}")
    one = engine.from_string("{% load crm_tags %}{{ value|whole_number }}")
    with translation.override(language):
        assert one.render({"value": value}) == both.render({"value": value})
