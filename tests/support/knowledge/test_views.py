"""The knowledge base's pages through the client: who opens what (every role), the list's search
and filters, writing an article (bad input, mass assignment, concurrent edits), "was this
helpful" counted once per session, the "insert answer" fragment and snippet, the categories
formset, stored XSS, and pinned query counts."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from support.knowledge import services
from support.knowledge.models import Article, ArticleVote, Category

pytestmark = pytest.mark.django_db

PERSONAS = ["admin", "manager", "rep", "rep_other_team", "restricted"]
WRITERS = {"admin", "manager"}
DRAFT, PUBLISHED = Article.Status.DRAFT, Article.Status.PUBLISHED
XSS = '<svg onload="alert(1)"></svg> <a href="javascript:alert(2)">x</a> [y](javascript:alert(3))'


@pytest.fixture
def shelf():
    return Category.objects.create(name="Scanning")


def make(shelf, **values) -> Article:
    return Article.objects.create(
        **{
            "title": "How to scan film",
            "body": "Use the gate.",
            "category": shelf,
            "status": PUBLISHED,
            **values,
        }
    )


def article_post(shelf, **changes):
    return {"title": "Pickup times", "category": shelf.pk, "body": "We pick up on Mondays.", "status": "draft",
            "audience": "public", **changes}  # fmt: skip


# -- Who opens what -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_role_reads_published_articles_and_only_writers_see_drafts(client, personas, shelf, persona):
    published = make(shelf, title="Published answer")
    draft = make(shelf, title="Draft answer", status=DRAFT, owner=personas.admin)
    client.force_login(getattr(personas, persona))
    listing = client.get(reverse("knowledge:article_list")).content.decode()
    assert "Published answer" in listing
    assert client.get(published.get_absolute_url()).status_code == 200
    if persona in WRITERS:
        assert "Draft answer" in listing
        assert client.get(draft.get_absolute_url()).status_code == 200
    else:
        assert "Draft answer" not in listing
        assert client.get(draft.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_writers_create_edit_and_set_up_categories(client, personas, shelf, persona):
    article = make(shelf)
    client.force_login(getattr(personas, persona))
    expected = 200 if persona in WRITERS else 403
    assert client.get(reverse("knowledge:article_create")).status_code == expected
    assert client.get(reverse("knowledge:article_update", args=[article.pk])).status_code == expected
    assert client.get(reverse("knowledge:category_list")).status_code == expected
    detail = client.get(article.get_absolute_url()).content.decode()
    assert (reverse("knowledge:article_update", args=[article.pk]) in detail) == (persona in WRITERS)


def test_a_rep_posting_an_edit_changes_nothing(client, rep, shelf):
    article = make(shelf, owner=rep)
    client.force_login(rep)
    response = client.post(
        reverse("knowledge:article_update", args=[article.pk]),
        article_post(shelf, title="Hijacked", version=1),
    )
    assert response.status_code == 403
    assert Article.objects.get().title == "How to scan film"


# -- The list -----------------------------------------------------------------------------------


def test_the_search_box_ranks_title_matches_first(client, rep, shelf):
    make(shelf, title="Delivery times", body="Microfilm takes ten days.")
    make(shelf, title="Microfilm formats", body="400 dpi.")
    make(shelf, title="Tape baking", body="Eight hours.")
    client.force_login(rep)
    page = client.get(reverse("knowledge:article_list"), {"q": "microf"}).content.decode()
    assert "Tape baking" not in page
    assert page.index("Microfilm formats") < page.index("Delivery times")


def test_a_category_filter_takes_the_categories_inside_it_too(client, rep, shelf):
    inner = Category.objects.create(name="Film", parent=shelf)
    other = Category.objects.create(name="Billing")
    make(shelf, title="Outer answer")
    make(inner, title="Inner answer")
    make(other, title="Billing answer")
    client.force_login(rep)
    page = client.get(reverse("knowledge:article_list"), {"category": shelf.pk}).content.decode()
    assert "Outer answer" in page and "Inner answer" in page and "Billing answer" not in page


def test_a_rep_gets_no_status_filter_and_bad_filter_values_are_no_error(client, rep, manager, shelf):
    make(shelf)
    client.force_login(rep)
    response = client.get(
        reverse("knowledge:article_list"), {"status": "draft", "category": "abc", "page": "x"}
    )
    assert response.status_code == 200
    assert 'name="status"' not in response.content.decode()
    client.force_login(manager)
    assert 'name="status"' in client.get(reverse("knowledge:article_list")).content.decode()


def test_the_list_runs_the_same_queries_for_one_and_many_articles(client, rep, shelf):
    make(shelf, title="Scan one")
    client.force_login(rep)
    url = reverse("knowledge:article_list")
    client.get(url)  # the first request of a session fills caches the others reuse
    counts = []
    for _round in range(2):
        for query in ({}, {"q": "scan"}):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url, query).status_code == 200
            counts.append(len(captured))
        for number in range(60):
            make(shelf, title=f"Scan {number}", owner=rep)
    assert counts[:2] == counts[2:], counts


# -- Writing ------------------------------------------------------------------------------------


def test_a_manager_writes_an_article(client, manager, shelf):
    client.force_login(manager)
    response = client.post(reverse("knowledge:article_create"), article_post(shelf, owner=manager.pk))
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == article.get_absolute_url()
    assert (article.title, article.status, article.owner) == ("Pickup times", DRAFT, manager)


@pytest.mark.parametrize(
    "bad",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"category": ""},
        {"category": "999999"},
        {"category": "abc"},
        {"status": "archived"},
        {"audience": "everyone"},
        {"body": ""},
        {"body": "x" * 50_001},
    ],
)
def test_bad_input_is_shown_on_the_form_and_saves_nothing(client, manager, shelf, bad):
    client.force_login(manager)
    response = client.post(reverse("knowledge:article_create"), article_post(shelf, **bad))
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert not Article.objects.exists()


def test_posted_counts_dates_and_search_words_are_ignored(client, manager, shelf):
    client.force_login(manager)
    client.post(
        reverse("knowledge:article_create"),
        article_post(shelf, helpful_yes="999", helpful_no="5", published_at="2020-01-01", search_title="spam",
                     version="7", status="published"),
    )  # fmt: skip
    article = Article.objects.get()
    assert (article.helpful_yes, article.helpful_no, article.version) == (0, 0, 1)
    assert article.published_at.year != 2020 and article.search_title == "pickup times"


def test_a_concurrent_edit_is_refused_with_what_is_saved_now(client, manager, admin, shelf):
    article = make(shelf, owner=manager)
    services.article_update(actor=admin, article=article, changes={"title": "Theirs"}, expected_version=1)
    client.force_login(manager)
    response = client.post(
        reverse("knowledge:article_update", args=[article.pk]), article_post(shelf, title="Mine", version=1)
    )
    assert response.status_code == 409
    assert "Theirs" in response.content.decode()
    assert Article.objects.get().title == "Theirs"


def test_a_body_with_markup_is_shown_as_text(client, rep, shelf):
    article = make(shelf, title=XSS, body=XSS + "\n\nSee https://example.com/help")
    client.force_login(rep)
    for url in (article.get_absolute_url(), reverse("knowledge:article_list")):
        page = client.get(url).content.decode()
        assert "<svg" not in page and 'href="javascript:' not in page
    detail = client.get(article.get_absolute_url()).content.decode()
    assert "&lt;svg" in detail
    assert '<a href="https://example.com/help"' in detail  # web addresses do become links


def test_the_history_of_an_article_shows_its_changes_to_writers(client, manager, shelf):
    client.force_login(manager)
    client.post(reverse("knowledge:article_create"), article_post(shelf))
    article = Article.objects.get()
    client.post(
        reverse("knowledge:article_update", args=[article.pk]),
        article_post(shelf, title="Renamed", version=1),
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'data-testid="article-history"' in page and "Pickup times" in page and "Renamed" in page


# -- Was this helpful ---------------------------------------------------------------------------


def test_a_vote_counts_once_per_session(client, rep, shelf):
    article = make(shelf)
    client.force_login(rep)
    url = reverse("knowledge:article_vote", args=[article.pk])
    assert client.post(url, {"helpful": "yes"}).status_code == 302
    client.post(url, {"helpful": "yes"})
    client.post(url, {"helpful": "no"})
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 0)
    assert "Thank you for your feedback." in client.get(article.get_absolute_url()).content.decode()


def test_another_session_counts_again(client, rep, shelf):
    article = make(shelf)
    url = reverse("knowledge:article_vote", args=[article.pk])
    client.force_login(rep)
    client.post(url, {"helpful": "no"})
    client.logout()
    client.force_login(rep)
    client.post(url, {"helpful": "no"})
    article.refresh_from_db()
    assert article.helpful_no == 2


@pytest.mark.parametrize("data", [{}, {"helpful": "maybe"}, {"helpful": ""}])
def test_a_bad_vote_counts_nothing(client, rep, shelf, data):
    article = make(shelf)
    client.force_login(rep)
    assert client.post(reverse("knowledge:article_vote", args=[article.pk]), data).status_code == 302
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (0, 0) and not ArticleVote.objects.exists()


def test_votes_are_posted_not_fetched_and_a_draft_takes_none(client, manager, shelf):
    draft = make(shelf, status=DRAFT, owner=manager)
    client.force_login(manager)
    assert client.get(reverse("knowledge:article_vote", args=[draft.pk])).status_code == 405
    response = client.post(
        reverse("knowledge:article_vote", args=[draft.pk]), {"helpful": "yes"}, follow=True
    )
    assert "Only published articles take votes." in response.content.decode()
    draft.refresh_from_db()
    assert draft.helpful_yes == 0


# -- Insert answer ------------------------------------------------------------------------------


def test_insert_search_lists_published_matches_with_their_text(client, rep, manager, shelf):
    make(shelf, title="Scanning speed", body='Ten reels a day. <b>"quoted"</b>', audience="internal")
    make(shelf, title="Scanning draft", status=DRAFT, owner=manager)
    client.force_login(manager)
    fragment = client.get(reverse("knowledge:insert_search"), {"q": "scann"}).content.decode()
    assert "<html" not in fragment
    assert "Scanning speed" in fragment and "Scanning draft" not in fragment  # drafts are never sent
    assert "data-kb-insert" in fragment
    assert 'data-kb-body="Ten reels a day. &lt;b&gt;&quot;quoted&quot;&lt;/b&gt;"' in fragment
    assert "Internal" in fragment


def test_insert_search_without_words_or_matches_says_so_without_error(client, rep, shelf):
    make(shelf)
    client.force_login(rep)
    url = reverse("knowledge:insert_search")
    assert "data-kb-insert" not in client.get(url).content.decode()
    assert "data-kb-insert" not in client.get(url, {"q": "%%%"}).content.decode()
    assert "No published article matches." in client.get(url, {"q": "zebra"}).content.decode()
    assert client.get(url, {"q": "x" * 5000}).status_code == 200


def test_the_insert_answer_snippet_searches_and_loads_its_script(rep):
    request = RequestFactory().get("/")
    request.user = rep
    html = render_to_string("knowledge/_insert_answer.html", request=request)
    assert f'hx-get="{reverse("knowledge:insert_search")}"' in html
    assert "knowledge/insert_answer.js" in html
    assert 'id="kb-insert-results"' in html
    assert 'form="kb-insert-no-form"' in html  # its box sends no reply form


# -- Categories ---------------------------------------------------------------------------------


def category_post(rows, extra=None):
    data = {"form-TOTAL_FORMS": str(len(rows) + 1), "form-INITIAL_FORMS": str(len(rows)),
            "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for number, row in enumerate([*rows, extra or {}]):
        for key, value in row.items():
            data[f"form-{number}-{key}"] = value
    return data


def test_a_manager_adds_renames_and_nests_categories_in_one_save(client, manager, shelf):
    client.force_login(manager)
    other = Category.objects.create(name="Billing", position=5)
    rows = [
        {"id": shelf.pk, "name": "Scanning and digitising", "position": "1", "parent": ""},
        {"id": other.pk, "name": "Billing", "position": "5", "parent": str(shelf.pk)},
    ]
    response = client.post(
        reverse("knowledge:category_list"), category_post(rows, {"name": "Portal", "position": "9"})
    )
    assert response.status_code == 302
    assert set(Category.objects.values_list("name", flat=True)) == {
        "Scanning and digitising",
        "Billing",
        "Portal",
    }
    assert Category.objects.get(name="Billing").parent == Category.objects.get(pk=shelf.pk)


def test_a_category_with_articles_is_not_deleted_and_nothing_else_changes(client, manager, shelf):
    make(shelf)
    client.force_login(manager)
    rows = [{"id": shelf.pk, "name": "Scanning", "position": "0", "parent": "", "DELETE": "on"}]
    response = client.post(
        reverse("knowledge:category_list"), category_post(rows, {"name": "New one", "position": "1"})
    )
    assert response.status_code == 200
    assert "still holds articles" in response.content.decode()
    assert list(Category.objects.values_list("name", flat=True)) == ["Scanning"]


@pytest.mark.parametrize(
    "bad", [{"name": ""}, {"name": "Billing"}, {"position": "-1"}, {"position": "x"}, {"parent": "999999"}]
)
def test_bad_category_rows_are_shown_and_save_nothing(client, manager, shelf, bad):
    Category.objects.create(name="Billing")
    client.force_login(manager)
    row = {"id": shelf.pk, "name": "Renamed", "position": "0", "parent": "", **bad}
    response = client.post(reverse("knowledge:category_list"), category_post([row]))
    assert response.status_code == 200
    assert set(Category.objects.values_list("name", flat=True)) == {"Scanning", "Billing"}


def test_two_rows_that_make_a_loop_together_are_refused(client, manager, shelf):
    other = Category.objects.create(name="Billing")
    client.force_login(manager)
    rows = [
        {"id": shelf.pk, "name": "Scanning", "position": "0", "parent": str(other.pk)},
        {"id": other.pk, "name": "Billing", "position": "0", "parent": str(shelf.pk)},
    ]
    response = client.post(reverse("knowledge:category_list"), category_post(rows))
    assert response.status_code == 200
    assert not Category.objects.filter(parent__isnull=False).exists()


def test_the_categories_page_runs_the_same_queries_for_few_and_more_categories(client, manager, shelf):
    client.force_login(manager)
    url = reverse("knowledge:category_list")
    client.get(url)  # the first request of a session fills caches the others reuse
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(20):
        Category.objects.create(name=f"Shelf {number}", parent=shelf)
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(few) == len(more)
