from contacts.models import Company
from crm.pagination import paginate
from tests.factories import CompanyFactory


def test_pages_of_rows_with_equal_sort_keys_neither_repeat_nor_skip(db):
    CompanyFactory.create_batch(120, name="Same name AB")
    queryset = Company.objects.order_by("name")
    seen = [company.pk for number in (1, 2, 3) for company in paginate(queryset, number).object_list]
    assert len(seen) == len(set(seen)) == 120


def test_the_total_is_capped_and_paging_goes_on_past_the_cap(db):
    CompanyFactory.create_batch(25)
    page = paginate(Company.objects.all(), 2, per_page=10, count_cap=12)
    assert (page.total, page.total_is_capped, page.has_next, len(page.object_list)) == (12, True, True, 10)
    last = paginate(Company.objects.all(), 3, per_page=10, count_cap=12)
    assert (len(last.object_list), last.has_next, last.start_index(), last.end_index()) == (5, False, 21, 25)


def test_a_page_number_that_is_not_a_number_shows_the_first_page(db):
    CompanyFactory.create_batch(3)
    for junk in (None, "", "abc", "-4", "0"):
        assert paginate(Company.objects.all(), junk).number == 1


def test_a_page_past_the_end_is_empty_not_an_error(db):
    CompanyFactory.create_batch(3)
    page = paginate(Company.objects.all(), 99)
    assert (page.object_list, page.has_next, page.has_previous) == ([], False, True)
