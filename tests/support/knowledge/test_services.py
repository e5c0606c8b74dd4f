"""The knowledge base's rules, called directly: who reads and edits which article, publishing,
concurrent edits, full-text search (accent-free, prefixes, title ranked first), the portal's
public reads, "was this helpful" counted once per voter, categories, demo and bench data."""

import pytest
from django.core.exceptions import ValidationError

from crm.exceptions import StaleRecordError
from crm.models import AuditEvent
from support.knowledge import services
from support.knowledge.bench import bench_knowledge_seed
from support.knowledge.demo import ARTICLES, CATEGORIES, demo_knowledge_ensure
from support.knowledge.models import Article, ArticleVote, Category
from tests.support.knowledge.records import articles_by_owner

pytestmark = pytest.mark.django_db

PERSONAS = ["admin", "manager", "rep", "rep_other_team", "restricted"]
DRAFT, PUBLISHED = Article.Status.DRAFT, Article.Status.PUBLISHED


@pytest.fixture
def shelf():
    return Category.objects.create(name="Scanning")


def write(actor, shelf, **values):
    return services.article_create(
        actor=actor, values={"title": "How to scan", "body": "Answer.", "category": shelf, **values}
    )


# -- Writing --------------------------------------------------------------------------------------


def test_a_new_article_is_a_draft_by_its_writer_with_history_and_an_audit_row(manager, shelf):
    article = write(manager, shelf)
    assert article.status == DRAFT and article.published_at is None
    assert article.owner == manager
    assert article.history.get().history_user == manager
    assert AuditEvent.objects.filter(verb="create", object_id=str(article.pk)).exists()


def test_publishing_stamps_the_date_once(manager, shelf):
    article = write(manager, shelf)
    article = services.article_update(
        actor=manager, article=article, changes={"status": PUBLISHED}, expected_version=article.version
    )
    first = article.published_at
    assert first is not None
    article = services.article_update(
        actor=manager,
        article=article,
        changes={"title": "How to scan film"},
        expected_version=article.version,
    )
    assert article.published_at == first


def test_a_stale_edit_is_refused_and_writes_nothing(manager, admin, shelf):
    article = write(manager, shelf)
    services.article_update(actor=admin, article=article, changes={"title": "Theirs"}, expected_version=1)
    with pytest.raises(StaleRecordError):
        services.article_update(actor=manager, article=article, changes={"title": "Mine"}, expected_version=1)
    assert Article.objects.get().title == "Theirs"


def test_an_article_without_a_title_or_category_is_refused(manager):
    with pytest.raises(ValidationError):
        services.article_create(actor=manager, values={"title": "", "body": "x"})
    assert not Article.objects.exists()


# -- Who reads and edits ------------------------------------------------------------------------


def test_every_staff_role_reads_published_articles(personas):
    published = articles_by_owner(personas, status=PUBLISHED)
    for persona in PERSONAS:
        user = getattr(personas, persona)
        assert set(Article.objects.visible_to(user)) == set(published.values()), persona


def test_drafts_are_read_by_writers_only(personas):
    drafts = articles_by_owner(personas)
    assert set(Article.objects.visible_to(personas.admin)) == set(drafts.values())
    assert set(Article.objects.visible_to(personas.manager)) == set(drafts.values())
    for persona in ["rep", "rep_other_team", "restricted"]:
        assert not Article.objects.visible_to(getattr(personas, persona)).exists(), persona


def test_a_manager_narrowed_to_their_teams_reads_and_edits_only_their_teams_drafts(
    personas, managers_see_only_their_teams
):
    drafts = articles_by_owner(personas)
    readable = {article.title for article in Article.objects.visible_to(personas.manager)}
    assert readable == {f"Article of {key}" for key in ["manager", "rep", "restricted", "unassigned"]}
    editable = {article.title for article in Article.objects.editable_by(personas.manager)}
    assert editable == readable
    # Published articles stay everyone's.
    Article.objects.filter(pk=drafts["rep_other_team"].pk).update(status=PUBLISHED)
    assert Article.objects.visible_to(personas.manager).filter(pk=drafts["rep_other_team"].pk).exists()


def test_a_rep_edits_nothing_even_their_own_article(personas):
    articles_by_owner(personas, status=PUBLISHED)
    assert not Article.objects.editable_by(personas.rep).exists()


def test_an_inactive_user_reads_nothing(personas):
    articles_by_owner(personas, status=PUBLISHED)
    personas.rep.is_active = False
    assert not Article.objects.visible_to(personas.rep).exists()


# -- Search -------------------------------------------------------------------------------------


def test_search_is_accent_free_prefix_and_every_word_must_match(manager, shelf):
    vasteras = write(manager, shelf, title="Pickup in Västerås", status=PUBLISHED)
    write(manager, shelf, title="Pickup in Malmö", status=PUBLISHED)
    assert [a.pk for a in services.search.ranked(Article.objects.all(), "vaster")] == [vasteras.pk]
    assert [a.pk for a in services.search.ranked(Article.objects.all(), "PICK väst")] == [vasteras.pk]
    assert list(services.search.ranked(Article.objects.all(), "pickup oslo")) == []


def test_a_title_match_ranks_above_a_body_match(manager, shelf):
    in_body = write(
        manager, shelf, title="Delivery times", body="Microfilm takes ten days.", status=PUBLISHED
    )
    in_title = write(manager, shelf, title="Microfilm formats", body="We scan at 400 dpi.", status=PUBLISHED)
    found = list(services.search.ranked(Article.objects.all(), "microfilm"))
    assert [article.pk for article in found] == [in_title.pk, in_body.pk]


def test_a_search_without_a_searchable_word_is_none(shelf):
    assert services.search.ranked(Article.objects.all(), " ,.- ") is None
    assert services.public_search("%%") == []


def test_search_words_follow_an_edit(manager, shelf):
    article = write(manager, shelf, title="Old words", status=PUBLISHED)
    services.article_update(
        actor=manager, article=article, changes={"title": "Fresh words"}, expected_version=1
    )
    assert services.public_search("old") == []
    assert list(services.search.ranked(Article.objects.all(), "fresh")) == [article]


# -- The portal's reads -------------------------------------------------------------------------


def test_the_portal_reads_only_published_public_articles(manager, shelf):
    public = write(manager, shelf, title="Scan answer public", status=PUBLISHED, audience="public")
    write(manager, shelf, title="Scan answer internal", status=PUBLISHED, audience="internal")
    write(manager, shelf, title="Scan answer draft", status=DRAFT, audience="public")
    assert list(services.public_articles()) == [public]
    assert services.public_search("scan answer") == [public]


def test_public_search_keeps_to_its_limit_best_first(manager, shelf):
    for number in range(5):
        write(manager, shelf, title=f"Film {number}", body="film", status=PUBLISHED, audience="public")
    best = write(
        manager, shelf, title="Film film", body="film film film", status=PUBLISHED, audience="public"
    )
    found = services.public_search("film", limit=3)
    assert len(found) == 3 and found[0] == best
    assert len(services.public_search("film", limit=1000)) == 6  # capped at 50, not more


# -- Was this helpful ---------------------------------------------------------------------------


def test_a_vote_counts_once_per_voter(manager, shelf):
    article = write(manager, shelf, status=PUBLISHED)
    first, second = services.voter_key("session-a"), services.voter_key("session-b")
    assert services.article_vote(article=article, helpful=True, voter=first) is True
    assert services.article_vote(article=article, helpful=True, voter=first) is False
    assert services.article_vote(article=article, helpful=False, voter=first) is False
    assert services.article_vote(article=article, helpful=False, voter=second) is True
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)
    assert ArticleVote.objects.count() == 2


def test_a_vote_stores_no_session_key(manager, shelf):
    article = write(manager, shelf, status=PUBLISHED)
    services.article_vote(article=article, helpful=True, voter=services.voter_key("secret-session"))
    assert "secret-session" not in ArticleVote.objects.get().voter


def test_a_draft_takes_no_vote(manager, shelf):
    article = write(manager, shelf)
    with pytest.raises(ValidationError):
        services.article_vote(article=article, helpful=True, voter="x")
    article.refresh_from_db()
    assert article.helpful_yes == 0 and not ArticleVote.objects.exists()


# -- Categories ---------------------------------------------------------------------------------


def test_a_category_holding_articles_or_categories_is_not_deleted(manager, shelf):
    write(manager, shelf)
    with pytest.raises(ValidationError):
        services.category_delete(actor=manager, category=shelf)
    inner = Category.objects.create(name="Inner")
    outer = Category.objects.create(name="Outer")
    inner.parent = outer
    inner.save()
    with pytest.raises(ValidationError):
        services.category_delete(actor=manager, category=outer)
    services.category_delete(actor=manager, category=inner)
    assert set(Category.objects.values_list("name", flat=True)) == {"Scanning", "Outer"}


def test_a_category_cannot_end_up_inside_itself(shelf):
    inner = Category.objects.create(name="Inner", parent=shelf)
    shelf.parent = inner
    with pytest.raises(ValidationError):
        shelf.full_clean()
    shelf.parent = shelf
    with pytest.raises(ValidationError):
        shelf.full_clean()


# -- Demo and bench data ------------------------------------------------------------------------


def test_demo_data_is_thirty_articles_in_five_categories_made_once(personas):
    users = {"admin": personas.admin, "manager": personas.manager}
    assert demo_knowledge_ensure(users=users) == 30 == len(ARTICLES)
    assert Category.objects.count() == len(CATEGORIES) == 5
    assert set(Article.objects.values_list("status", flat=True)) == {DRAFT, PUBLISHED}
    assert set(Article.objects.values_list("audience", flat=True)) == {"public", "internal"}
    assert services.public_search("microfilm")  # the portal finds demo answers
    assert demo_knowledge_ensure(users=users) == 0
    assert Article.objects.count() == 30


def test_bench_articles_are_found_by_search(admin):
    made = bench_knowledge_seed(admin=admin, articles=60)
    assert made == {"categories": 20, "articles": 60}
    assert services.search.ranked(Article.objects.all(), "scan").exists()
    assert bench_knowledge_seed(admin=admin, articles=60) == {}
