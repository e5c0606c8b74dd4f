"""The public links of a campaign mail: pixel, tracked links, unsubscribe — and their abuse."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.models import Person
from marketing import attribution, visitors
from marketing.mailings import public_views, services, tracking
from marketing.mailings.models import MailEvent, Recipient
from marketing.models import PersonScore, ScoreEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sent(personas, mailing, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_send(actor=personas.manager, mailing=mailing)
    mailing.refresh_from_db()
    return mailing


@pytest.fixture
def recipient(sent, audience):
    return Recipient.objects.get(email_campaign=sent, person=audience["people"]["ada"])


def path(url: str) -> str:
    return urlsplit(url).path


def test_the_open_pixel_is_a_gif_and_counts_the_first_open_once(client, recipient):
    for _ in range(3):
        response = client.get(path(tracking.open_url(recipient.pk)))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/gif"
        assert response.content.startswith(b"GIF89a")
    recipient.refresh_from_db()
    assert recipient.opened_at is not None
    assert MailEvent.objects.filter(recipient=recipient, kind="opened").count() == 1
    assert list(ScoreEvent.objects.values_list("kind", "points")) == [("email_opened", 0)]


def test_a_click_redirects_to_the_link_with_the_visitor_token_and_scores_once(client, recipient, sent):
    for _ in range(2):
        response = client.get(path(tracking.click_url(recipient.pk, 0)))
        assert response.status_code == 302
    destination = urlsplit(response["Location"])
    assert (destination.scheme, destination.netloc, destination.path) == ("https", "example.com", "/launch")
    query = parse_qs(destination.query)
    assert query["ref"] == ["mail"]
    assert visitors.visitor_from_token(query[visitors.PARAMETER][0]) == visitors.Visitor(
        person_id=recipient.person_id
    )
    person = Person.objects.get(pk=recipient.person_id)
    assert list(ScoreEvent.objects.filter(person=person).values_list("kind", "points")) == [
        ("link_clicked", 5)
    ]
    assert PersonScore.objects.get(person=person).score == 5
    assert attribution.campaigns_of(person) == {"first": sent.campaign, "converting": sent.campaign}
    recipient.refresh_from_db()
    assert recipient.clicked_at is not None and recipient.opened_at is not None


def test_a_click_on_another_link_of_the_mail_scores_again(client, recipient):
    client.get(path(tracking.click_url(recipient.pk, 0)))
    client.get(path(tracking.click_url(recipient.pk, 1)))
    assert ScoreEvent.objects.filter(kind="link_clicked").count() == 2
    assert MailEvent.objects.filter(recipient=recipient, kind="clicked").count() == 2


def test_a_link_index_outside_the_mail_is_not_followed(client, recipient):
    response = client.get(path(tracking.click_url(recipient.pk, 2)))
    assert response.status_code == 404
    assert not MailEvent.objects.exists()


@pytest.mark.parametrize(
    "token",
    [
        "1:xxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "1.0:xxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "https%3A%2F%2Fevil.example",
        "../../etc/passwd",
        "a" * 5000,
    ],
)
def test_forged_tokens_get_404_and_change_nothing(client, recipient, token):
    for name in ("open", "click", "unsubscribe"):
        url = reverse(f"mailings_public:{name}", kwargs={"token": "x"}).replace("x", token, 1)
        assert client.get(url).status_code == 404
        assert client.post(url).status_code in (404, 405)
    assert not MailEvent.objects.exists()
    assert not Person.objects.filter(unsubscribed_at__isnull=False, pk=recipient.person_id).exists()


def test_a_token_of_one_recipient_altered_to_name_another_is_refused(client, sent):
    first, second = Recipient.objects.filter(email_campaign=sent).order_by("pk")[:2]
    token = tracking.token(tracking.KIND_UNSUBSCRIBE, first.pk)
    forged = f"{second.pk}:{token.partition(':')[2]}"
    assert client.post(reverse("mailings_public:unsubscribe", kwargs={"token": forged})).status_code == 404
    # A pixel token is no unsubscribe token.
    pixel = tracking.token(tracking.KIND_OPEN, first.pk)
    assert client.post(reverse("mailings_public:unsubscribe", kwargs={"token": pixel})).status_code == 404
    assert not Recipient.objects.filter(unsubscribed_at__isnull=False).exists()


def test_unsubscribe_asks_first_then_unsubscribes_the_person_once(client, recipient):
    url = path(tracking.unsubscribe_url(recipient.pk))
    page = client.get(url)
    assert page.status_code == 200 and b"unsubscribe-confirm" in page.content
    assert Person.objects.get(pk=recipient.person_id).unsubscribed_at is None

    first = client.post(url)
    again = client.post(url)
    assert first.status_code == again.status_code == 200
    assert b'data-testid="unsubscribed"' in first.content and b'data-testid="unsubscribed"' in again.content
    person = Person.objects.get(pk=recipient.person_id)
    assert person.unsubscribed_at is not None
    assert MailEvent.objects.filter(kind="unsubscribed").count() == 1
    assert list(ScoreEvent.objects.filter(person=person).values_list("kind", "points")) == [
        ("unsubscribed", -3)
    ]
    assert b"unsubscribed" in client.get(url).content


def test_one_click_unsubscribe_works_without_a_csrf_token_as_rfc_8058_posts_it(recipient):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path(tracking.unsubscribe_url(recipient.pk)),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Person.objects.get(pk=recipient.person_id).unsubscribed_at is not None


def test_an_unsubscribed_person_is_left_out_of_the_next_campaign(personas, recipient, sent, client):
    client.post(path(tracking.unsubscribe_url(recipient.pk)))
    assert services.audience(sent, personas.manager)["reachable"] == 2


@pytest.mark.parametrize(
    "withdrawn",
    [
        pytest.param(
            lambda client, recipient: client.post(path(tracking.unsubscribe_url(recipient.pk))),
            id="unsubscribed",
        ),
        pytest.param(
            lambda client, recipient: Person.objects.filter(pk=recipient.person_id).update(
                consent_email=False
            ),
            id="consent withdrawn",
        ),
    ],
)
def test_after_unsubscribing_or_withdrawing_consent_links_work_but_nothing_is_tracked(
    client, recipient, withdrawn
):
    withdrawn(client, recipient)
    before = (MailEvent.objects.count(), ScoreEvent.objects.count())
    assert client.get(path(tracking.open_url(recipient.pk))).status_code == 200
    response = client.get(path(tracking.click_url(recipient.pk, 0)))
    assert response.status_code == 302
    destination = urlsplit(response["Location"])
    assert (destination.netloc, destination.path, destination.query) == ("example.com", "/launch", "ref=mail")
    assert (MailEvent.objects.count(), ScoreEvent.objects.count()) == before
    recipient.refresh_from_db()
    assert recipient.opened_at is None and recipient.clicked_at is None
    assert attribution.campaigns_of(Person.objects.get(pk=recipient.person_id)) == {}


def test_a_flood_from_one_address_is_refused_and_recorded_nothing(client, recipient, monkeypatch):
    monkeypatch.setattr(public_views, "LIMIT_PER_MINUTE", 3)
    statuses = [client.get(path(tracking.click_url(recipient.pk, 0))).status_code for _ in range(3)]
    assert statuses == [302, 302, 302]
    assert client.get(path(tracking.click_url(recipient.pk, 1))).status_code == 429
    assert client.post(path(tracking.unsubscribe_url(recipient.pk))).status_code == 429
    assert not MailEvent.objects.filter(link=1).exists()
    assert Person.objects.get(pk=recipient.person_id).unsubscribed_at is None


def test_a_recipient_erased_since_gets_404(client, recipient):
    url = path(tracking.click_url(recipient.pk, 0))
    Recipient.objects.filter(pk=recipient.pk).delete()
    assert client.get(url).status_code == 404


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(["open", "click", "unsubscribe"]),
    token=st.one_of(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
            min_size=1,
            max_size=300,
        ),
        st.from_regex(r"[0-9]{1,20}(\.[0-9]{1,6})?:[A-Za-z0-9_-]{20,60}", fullmatch=True),
    ),
    method=st.sampled_from(["get", "post", "put", "delete"]),
)
def test_fuzzed_public_links_never_answer_500(client, recipient, name, token, method):
    cache.clear()
    from urllib.parse import quote

    url = reverse(f"mailings_public:{name}", kwargs={"token": "TOKEN"}).replace(
        "TOKEN", quote(token, safe="")
    )
    response = getattr(client, method)(url)
    assert response.status_code in (200, 302, 400, 404, 405, 429)
