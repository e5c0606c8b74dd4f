import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm.models import User
from crm.navigation import NAV_ITEMS, navigation_for


@pytest.mark.parametrize(
    ("persona", "labels"),
    [
        (
            "admin",
            [
                "Dashboard",
                "Leads",
                "Contacts",
                "Opportunities",
                "Sales board",
                "My work",
                "Marketing",
                "Support",
                "GDPR",
                "Admin",
            ],
        ),
        (
            "manager",
            [
                "Dashboard",
                "Leads",
                "Contacts",
                "Opportunities",
                "Sales board",
                "My work",
                "Marketing",
                "Support",
                "GDPR",
            ],
        ),
        ("rep", ["Dashboard", "Leads", "Contacts", "Opportunities", "Sales board", "My work", "Support"]),
        ("restricted", ["Dashboard", "Leads", "Contacts", "Opportunities", "Sales board", "My work"]),
    ],
)
def test_each_role_sees_the_sections_it_may_use(personas, persona, labels):
    assert [str(entry["label"]) for entry in navigation_for(getattr(personas, persona))] == labels


def test_admin_entry_and_settings_link_render_for_administrators_only(client, personas):
    client.force_login(personas.admin)
    assert reverse("admin:index") in client.get(reverse("dashboard")).content.decode()
    client.force_login(personas.manager)
    assert reverse("admin:index") not in client.get(reverse("dashboard")).content.decode()


def test_marketing_and_gdpr_are_for_managers_and_administrators():
    gated = {str(item.label): {role.value for role in item.roles} for item in NAV_ITEMS}
    for label in ("Marketing", "GDPR"):
        assert gated[label] == {"Administrator", "Manager"}
    assert gated["Admin"] == {"Administrator"}
    assert "Restricted" not in gated["Support"]


@pytest.mark.parametrize(
    ("persona", "shown"), [("admin", True), ("manager", True), ("rep", False), ("restricted", False)]
)
def test_reports_are_for_whoever_holds_the_report_permission(personas, persona, shown):
    reports = next(item for item in NAV_ITEMS if str(item.label) == "Reports")
    assert reports.permission == "crm.view_reports"
    assert reports.is_for(getattr(personas, persona)) is shown


def test_reports_show_for_a_normal_user_granted_them(personas):
    personas.rep.user_permissions.add(Permission.objects.get(codename="view_reports"))
    reports = next(item for item in NAV_ITEMS if str(item.label) == "Reports")
    assert reports.is_for(User.objects.get(pk=personas.rep.pk))


def test_the_page_marks_the_current_section(client, rep):
    client.force_login(rep)
    page = client.get(reverse("contacts:company_list")).content.decode()
    assert 'aria-current="page">Contacts' in page


def test_no_template_comment_leaks_into_the_page(client, rep):
    client.force_login(rep)
    page = client.get(reverse("dashboard")).content.decode()
    assert "{#" not in page
    assert "{%" not in page


def test_the_sales_board_highlights_its_own_menu_entry(client, rep):
    client.force_login(rep)
    page = client.get(reverse("opportunities:board")).content.decode()
    assert 'aria-current="page">Sales board' in page
