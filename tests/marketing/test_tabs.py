"""Marketing's tabs: the core's and those the parts register, each for who may open it."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

EVERY_TAB = ["Campaigns", "Plans", "E-mail campaigns", "Segments", "Web forms", "Website tracking"]
SETTINGS_TABS = ["Scoring", "Mail settings"]


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [("admin", EVERY_TAB + SETTINGS_TABS, []), ("manager", EVERY_TAB, SETTINGS_TABS)],
)
@pytest.mark.parametrize(
    "url_name",
    ["marketing:campaign_list", "mailings:mailing_list", "webforms:form_list", "webforms:tracking"],
)
def test_every_marketing_page_shows_the_tabs_the_user_may_open(
    client, personas, persona, shown, hidden, url_name
):
    client.force_login(getattr(personas, persona))
    page = client.get(reverse(url_name)).content.decode()
    tabs = page[page.index('data-testid="marketing-tabs"') :].split("</ul>", 1)[0]
    assert [label for label in shown + hidden if f">{label}</a>" in tabs] == shown
