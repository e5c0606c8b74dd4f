from django.urls import reverse

from contacts.models import Company
from crm.models import AuditEvent
from tests.factories import CompanyFactory, company_minimum_data


def test_an_admin_edit_bumps_the_version_so_an_open_form_in_the_app_is_refused(client, admin, rep):
    company = CompanyFactory(name="Before", owner=rep)
    client.force_login(admin)
    page = client.get(reverse("admin:contacts_company_change", args=[company.pk]))
    data = {key: value for key, value in page.context["adminform"].form.initial.items() if value is not None}
    data.update(name="Changed in admin", owner=rep.pk, custom_fields="{}", categories=[])
    response = client.post(reverse("admin:contacts_company_change", args=[company.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    company.refresh_from_db()
    assert (company.name, company.version) == ("Changed in admin", 2)
    # The service's audit row, as an edit in the app writes it.
    assert AuditEvent.objects.filter(verb="update", changes={"name": "Changed in admin"}).exists()

    client.force_login(rep)
    stale = client.post(
        reverse("contacts:company_update", args=[company.pk]),
        {"name": "Rep's edit", "owner": rep.pk, "version": 1, **company_minimum_data()},
    )
    assert stale.status_code == 409
    assert Company.objects.get(pk=company.pk).name == "Changed in admin"
