from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from contacts import selectors, services
from contacts.filters import CompanyFilter
from contacts.forms import CompanyForm
from contacts.models import Company
from crm import access
from crm.exceptions import StaleRecordError


def company_list(request):
    company_filter = CompanyFilter(
        request.GET, queryset=selectors.company_list(user=request.user), user=request.user
    )
    page = Paginator(company_filter.qs, 50).get_page(request.GET.get("page"))
    return render(request, "contacts/company_list.html", {"filter": company_filter, "page": page})


def company_detail(request, pk: int):
    company = access.get_visible_or_404(selectors.company_list(user=request.user), request.user, pk=pk)
    return render(
        request,
        "contacts/company_detail.html",
        {"company": company, "can_edit": access.can_edit(request.user, company)},
    )


def company_create(request):
    access.require_permission(request.user, "contacts.add_company")
    form = CompanyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        company = services.company_create(
            actor=request.user,
            name=data["name"],
            website=data["website"],
            email_domain=data["email_domain"],
            owner=data["owner"],
            team=data["team"],
        )
        messages.success(request, _("Company %(name)s created.") % {"name": company.name})
        return redirect(company)
    return render(request, "contacts/company_form.html", {"form": form})


def company_update(request, pk: int):
    access.require_permission(request.user, "contacts.change_company")
    company = access.get_editable_or_404(Company, request.user, pk=pk)
    form = CompanyForm(request.POST or None, instance=company, user=request.user)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in CompanyForm.Meta.fields}
        try:
            company = services.company_update(
                actor=request.user,
                company=company,
                changes=changes,
                expected_version=form.cleaned_data["version"],
            )
        except StaleRecordError as stale:
            form = CompanyForm(request.POST, instance=stale.current, user=request.user)
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Someone else saved this company while you were editing it. "
                    "Their version is shown below the form; review your changes and save again."
                ),
            )
            return render(
                request,
                "contacts/company_form.html",
                {"form": form, "company": company, "stored": stale.current},
                status=409,
            )
        messages.success(request, _("Company %(name)s saved.") % {"name": company.name})
        return redirect(company)
    return render(request, "contacts/company_form.html", {"form": form, "company": company})


def company_delete(request, pk: int):
    access.require_permission(request.user, "contacts.delete_company")
    company = access.get_editable_or_404(Company, request.user, pk=pk)
    if request.method == "POST":
        services.company_delete(actor=request.user, company=company)
        messages.success(request, _("Company %(name)s deleted.") % {"name": company.name})
        return redirect("contacts:company_list")
    return render(request, "contacts/company_confirm_delete.html", {"company": company})
