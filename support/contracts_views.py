"""Contracts and warranties (issue 15 item 3): owned records (crm.access). Everyone lists and
opens the ones they see; creating and changing them is set-up (support.manage_support) on top of
being able to edit the record."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import Company
from crm import access
from crm.exceptions import StaleRecordError
from crm.pagination import paginate
from support import contracts
from support.models import Contract
from support.setup_forms import ContractFilterForm, ContractForm

MANAGE = "support.manage_support"


def _contracts(user):
    return (
        Contract.objects.visible_to(user)
        .select_related("company", "product", "sla_policy", "owner")
        .order_by("ends_on", "pk")
    )


def _hide_companies(user, items) -> None:
    """A contract shows its company only to who sees the company (the name stays hidden)."""
    visible = set(
        Company.objects.visible_to(user)
        .filter(pk__in={item.company_id for item in items})
        .values_list("pk", flat=True)
    )
    for item in items:
        item.company_visible = item.company_id in visible


def contract_list(request):
    form = ContractFilterForm(request.GET or None)
    items = _contracts(request.user)
    today = timezone.localdate()
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            items = items.filter(name__icontains=data["q"])
        if data["expiring"]:
            items = items.filter(
                ends_on__gte=today, ends_on__lte=today + datetime.timedelta(days=data["expiring"])
            )
        elif not data["include_ended"]:
            items = items.filter(ends_on__gte=today)
    else:
        items = items.filter(ends_on__gte=today)
    page = paginate(items, request.GET.get("page"))
    _hide_companies(request.user, page.object_list)
    return render(
        request,
        "support/sla/contract_list.html",
        {"form": form, "page": page, "today": today, "current": "contracts"},
    )


def contract_detail(request, pk: int):
    contract = access.get_visible_or_404(_contracts(request.user), request.user, pk=pk)
    _hide_companies(request.user, [contract])
    return render(
        request,
        "support/sla/contract_detail.html",
        {
            "contract": contract,
            "can_edit": request.user.has_perm(MANAGE) and access.can_edit(request.user, contract),
            "current": "contracts",
        },
    )


def contract_create(request):
    access.require_permission(request.user, MANAGE)
    initial = {"company": request.GET.get("company")} if request.GET.get("company", "").isdigit() else {}
    form = ContractForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contract = contracts.contract_create(actor=request.user, values=form.service_values())
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("%(record)s created.") % {"record": contract})
            return redirect("support_setup:contract_detail", pk=contract.pk)
    return render(request, "support/sla/contract_form.html", {"form": form, "current": "contracts"})


def contract_update(request, pk: int):
    access.require_permission(request.user, MANAGE)
    contract = access.get_editable_or_404(Contract, request.user, pk=pk)
    form = ContractForm(request.POST or None, instance=contract, user=request.user)
    context = {"form": form, "record": contract, "current": "contracts"}
    if request.method == "POST" and form.is_valid():
        try:
            values = form.service_values()
            saved = contracts.contract_update(
                actor=request.user,
                contract=contract,
                changes=values,
                expected_version=form.cleaned_data["version"],
            )
        except StaleRecordError as stale:
            form.add_error(
                None,
                _(
                    "Someone else saved this record while you were editing it. What is saved now is shown "
                    "below the form: check your changes against it and save again."
                ),
            )
            form.data = form.data.copy()
            form.data["version"] = stale.current.version
            return render(
                request, "support/sla/contract_form.html", {**context, "stored": stale.current}, status=409
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("%(record)s saved.") % {"record": saved})
            return redirect("support_setup:contract_detail", pk=saved.pk)
    return render(request, "support/sla/contract_form.html", context)


def _errors(form, error: ValidationError) -> None:
    for name, errors in getattr(error, "error_dict", {None: error.error_list}).items():
        form.add_error(name if name in form.fields else None, errors)


# -- The company card's panel (crm.cards) ---------------------------------------------------------

PANEL_ROWS = 5


def company_contracts_panel(company, user) -> dict:
    """The company's contracts the user sees: the active and coming ones first, capped."""
    today = timezone.localdate()
    visible = Contract.objects.visible_to(user).filter(company=company)
    rows = list(
        visible.filter(ends_on__gte=today)
        .select_related("sla_policy")
        .order_by("ends_on", "pk")[: PANEL_ROWS + 1]
    )
    return {
        "contracts": rows[:PANEL_ROWS],
        "more": len(rows) > PANEL_ROWS,
        "ended": visible.filter(~Q(ends_on__gte=today)).exists(),
        "can_add": user.has_perm(MANAGE),
        "today": today,
    }
