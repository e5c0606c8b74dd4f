"""The create and edit flows every record page shares: duplicate warnings on create, version
checks on save, errors from services shown on the form. Views call these with their services."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm.exceptions import StaleRecordError


def _add_service_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def create_flow(
    request,
    *,
    form,
    create: Callable[[dict], object],
    find_duplicates: Callable[[dict], list] | None,
    template: str,
    context: dict | None = None,
):
    """Validate, warn about likely duplicates until the user confirms, then create and redirect."""
    duplicates = []
    if request.method == "POST" and form.is_valid():
        if find_duplicates is not None and not form.cleaned_data.get("confirm_duplicate"):
            duplicates = find_duplicates(form.cleaned_data)
        if duplicates:
            form.fields["confirm_duplicate"].widget = forms.CheckboxInput()
            form.fields["confirm_duplicate"].label = _("These are different: create it anyway")
        else:
            try:
                record = create(form.service_values())
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, _("%(record)s created.") % {"record": record})
                return redirect(record)
    return render(request, template, {"form": form, "duplicates": duplicates, **(context or {})})


def update_flow(
    request,
    *,
    form,
    record,
    update: Callable[[dict, int], object],
    template: str,
    context: dict | None = None,
):
    """Validate and save; when someone saved the record meanwhile, refuse (409) and show theirs."""
    context = {"form": form, "record": record, **(context or {})}
    if request.method == "POST" and form.is_valid():
        try:
            saved = update(form.service_values(), form.cleaned_data["version"])
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
            return render(request, template, {**context, "stored": stale.current}, status=409)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("%(record)s saved.") % {"record": saved})
            return redirect(saved)
    return render(request, template, context)
